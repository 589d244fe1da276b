//! The `impl Claims` the derive writes.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use super::parse::RolesField;

/// `impl Claims for X`, with `roles()` reading `roles` when there is one;
/// without it the trait's default (the registered `roles` claim) is used.
/// Generics and where clauses are carried over unchanged.
pub(crate) fn impl_claims(input: &DeriveInput, roles: Option<&RolesField>) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let roles = roles.map(|RolesField { name, ty }| {
        // The binding is spanned at the field's type, so a field that is not
        // a list of strings is reported there ("expected `&[String]`, found
        // `&String`"), not at the derive.
        let mut name = name.clone();
        name.set_span(ty.span());
        let roles = quote_spanned!(ty.span()=> let roles: &[::std::string::String] = &self.#name;);
        quote! {
            fn roles(&self) -> ::core::option::Option<&[::std::string::String]> {
                #roles
                ::core::option::Option::Some(roles)
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics ::auth_middleware::Claims for #ident #type_generics #where_clause {
            #roles
        }
    }
}
