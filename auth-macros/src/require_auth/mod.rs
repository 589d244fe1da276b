//! `#[require_auth(...)]`: parse the arguments and the handler, validate
//! both, then expand.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

use crate::errors::{Errors, with_fallback};

/// The attribute's expansion; on any mistake, the errors plus the original
/// item, so the user does not also get "cannot find function" errors.
pub(crate) fn expand_attribute(attr: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(attr, item.clone()) {
        Ok(expanded) => expanded,
        Err(error) => with_fallback(error, item),
    }
}

fn try_expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let args = parse::args(attr, &mut errors);
    let requirement = validate::requirement(&args, &mut errors);
    match parse::handler(item) {
        Ok(handler) => {
            validate::handler(&handler, &mut errors);
            errors.finish()?;
            Ok(expand::expand(handler, &requirement))
        }
        Err(error) => Err(errors.into_error_with(error)),
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn expands_to_a_policy_and_a_guard_in_front_of_the_parameters() {
        let expanded = expand_attribute(
            quote!(roles = ["admin"]),
            quote! {
                /// Docs stay.
                pub async fn admin(State(s): State<AppState>, user: AuthUser) -> impl IntoResponse { body }
            },
        );
        let expected = quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code, unreachable_pub)]
            pub struct __require_auth_admin;
            impl ::auth_middleware::__private::Policy for __require_auth_admin {
                const REQUIREMENT: ::auth_middleware::__private::Requirement =
                    ::auth_middleware::__private::Requirement::All(&[
                        ::auth_middleware::__private::Requirement::Authenticated,
                        ::auth_middleware::__private::Requirement::Role("admin")
                    ]);
            }
            /// Docs stay.
            pub async fn admin(
                _: ::auth_middleware::__private::Guard<__require_auth_admin>,
                State(s): State<AppState>,
                user: AuthUser
            ) -> impl IntoResponse { body }
        };
        assert_eq!(expanded.to_string(), expected.to_string());
    }

    #[test]
    fn the_policy_has_the_handlers_visibility_and_cfg() {
        let expanded = expand_attribute(
            quote!(),
            quote!(
                async fn private() {}
            ),
        )
        .to_string();
        assert!(
            expanded.contains(
                &quote!(
                    #[allow(non_camel_case_types, dead_code, unreachable_pub)]
                    struct __require_auth_private;
                )
                .to_string()
            )
        );
        let expanded = expand_attribute(
            quote!(),
            quote!(
                #[cfg(test)]
                pub(crate) async fn me() {}
            ),
        )
        .to_string();
        let expected = quote! {
            #[cfg(test)]
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code, unreachable_pub)]
            pub(crate) struct __require_auth_me;
            #[cfg(test)]
            impl ::auth_middleware::__private::Policy for __require_auth_me
        };
        assert!(expanded.starts_with(&expected.to_string()), "{expanded}");
    }

    #[test]
    fn generics_where_clauses_and_raw_names_pass_through() {
        let expanded = expand_attribute(
            quote!(mfa),
            quote! {
                async fn r#type<T: Clone>(Json(t): Json<T>,) -> Result<String, Error> where T: Send { todo() }
            },
        )
        .to_string();
        let signature = quote! {
            async fn r#type<T: Clone>(
                _: ::auth_middleware::__private::Guard<__require_auth_type>,
                Json(t): Json<T>
            ) -> Result<String, Error> where T: Send { todo() }
        };
        assert!(
            expanded.contains("struct __require_auth_type ;"),
            "{expanded}"
        );
        assert!(expanded.ends_with(&signature.to_string()), "{expanded}");
    }

    #[test]
    fn nested_requirements_are_const_slices() {
        let expanded = expand_attribute(
            quote!(any(roles = ["a", "b"], scopes = ["s"])),
            quote!(
                async fn h() {}
            ),
        );
        let requirement = quote! {
            ::auth_middleware::__private::Requirement::All(&[
                ::auth_middleware::__private::Requirement::Authenticated,
                ::auth_middleware::__private::Requirement::Any(&[
                    ::auth_middleware::__private::Requirement::All(&[
                        ::auth_middleware::__private::Requirement::Role("a"),
                        ::auth_middleware::__private::Requirement::Role("b")
                    ]),
                    ::auth_middleware::__private::Requirement::Scope("s")
                ])
            ]);
        };
        assert!(
            expanded.to_string().contains(&requirement.to_string()),
            "{expanded}"
        );
    }

    #[test]
    fn on_error_the_original_item_follows_the_errors() {
        let item = quote!(
            fn not_async(x: u8) -> u8 {
                x
            }
        );
        let expanded = expand_attribute(quote!(admin), item.clone()).to_string();
        assert_eq!(expanded.matches("compile_error").count(), 2, "{expanded}");
        assert!(expanded.ends_with(&item.to_string()), "{expanded}");
        assert!(!expanded.contains("Guard"), "{expanded}");
    }
}
