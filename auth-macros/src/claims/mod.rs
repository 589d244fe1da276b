//! `#[derive(Claims)]`: find the roles field, then write the impl.

mod expand;
mod parse;

use proc_macro2::TokenStream;

use crate::errors::with_fallback;

/// The derive's expansion; on a mistake, the errors plus an impl with no
/// methods, so the type still implements `Claims` and uses elsewhere do not
/// fail too.
pub(crate) fn expand_derive(input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    match parse::roles_field(&input) {
        Ok(roles) => expand::impl_claims(&input, roles.as_ref()),
        Err(error) => with_fallback(error, expand::impl_claims(&input, None)),
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;

    fn errors_of(input: TokenStream) -> Vec<String> {
        let input: syn::DeriveInput = syn::parse2(input).unwrap();
        match parse::roles_field(&input) {
            Ok(_) => panic!("accepted"),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn without_a_roles_field_the_impl_is_empty() {
        let expanded = expand_derive(quote!(
            struct Plain {
                tenant: String,
            }
        ));
        let expected = quote! {
            #[automatically_derived]
            impl ::auth_middleware::Claims for Plain {}
        };
        assert_eq!(expanded.to_string(), expected.to_string());
    }

    #[test]
    fn the_roles_field_is_returned_by_roles() {
        let expanded = expand_derive(quote! {
            struct MyClaims<T> where T: Send { tenant: T, #[serde(default)] #[claims(roles)] groups: Vec<String> }
        });
        let expected = quote! {
            #[automatically_derived]
            impl<T> ::auth_middleware::Claims for MyClaims<T> where T: Send {
                fn roles(&self) -> ::core::option::Option<&[::std::string::String]> {
                    let roles: &[::std::string::String] = &self.groups;
                    ::core::option::Option::Some(roles)
                }
            }
        };
        assert_eq!(expanded.to_string(), expected.to_string());
    }

    #[test]
    fn only_structs_with_named_fields_are_accepted() {
        let needs =
            "#[derive(Claims)] needs a struct with named fields (the claims are a JSON object)";
        assert_eq!(
            errors_of(quote!(
                enum E {
                    A,
                }
            )),
            [format!("{needs}, not an enum")]
        );
        assert_eq!(
            errors_of(quote!(union U { a: u8 })),
            [format!("{needs}, not a union")]
        );
        assert_eq!(
            errors_of(quote!(
                struct T(Vec<String>);
            )),
            [format!("{needs}, not a tuple struct")]
        );
        assert_eq!(
            errors_of(quote!(
                struct U;
            )),
            [format!("{needs}, not a unit struct")]
        );
    }

    #[test]
    fn claims_attributes_are_checked() {
        assert_eq!(
            errors_of(quote!(
                struct C {
                    #[claims(roles)]
                    a: Vec<String>,
                    #[claims(roles)]
                    b: Vec<String>,
                }
            )),
            ["only one field can be `#[claims(roles)]`; `a` already is"]
        );
        assert_eq!(
            errors_of(quote!(
                struct C {
                    #[claims(role)]
                    a: Vec<String>,
                }
            )),
            ["unknown claims attribute `role`; expected `roles`"]
        );
        assert_eq!(
            errors_of(quote!(
                struct C {
                    #[claims(roles = "x")]
                    a: Vec<String>,
                }
            )),
            ["`roles` takes no value: write `#[claims(roles)]`"]
        );
        assert_eq!(
            errors_of(quote!(
                #[claims(roles)]
                struct C {
                    a: Vec<String>,
                }
            )),
            [
                "`#[claims(...)]` goes on a field: mark the field holding the roles with `#[claims(roles)]`"
            ]
        );
    }

    #[test]
    fn all_mistakes_are_reported_and_the_fallback_impl_is_emitted() {
        let input = quote! {
            #[claims(x)]
            struct C { #[claims(nope)] a: String, #[claims(roles)] b: Vec<String>, #[claims(roles)] c: Vec<String> }
        };
        assert_eq!(errors_of(input.clone()).len(), 3);
        let expanded = expand_derive(input).to_string();
        assert_eq!(expanded.matches("compile_error").count(), 3, "{expanded}");
        let fallback = quote!(
            #[automatically_derived]
            impl ::auth_middleware::Claims for C {}
        );
        assert!(expanded.ends_with(&fallback.to_string()), "{expanded}");
    }
}
