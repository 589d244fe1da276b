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
        // Spanned at the field's type: a field that is not a list of strings
        // is reported there, not at the derive.
        let value = quote_spanned!(ty.span()=> ::core::option::Option::Some(&self.#name));
        quote! {
            fn roles(&self) -> ::core::option::Option<&[::std::string::String]> {
                #value
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
