//! The code `#[require_auth]` writes: a policy type for the handler and the
//! guard extractor as the handler's first parameter.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::{FnArg, parse_quote};

use super::parse::Handler;
use super::validate::Requirement;

/// The path every generated item goes through, so the expansion works
/// whatever the user has (or has not) imported.
fn private() -> TokenStream {
    quote!(::auth_middleware::__private)
}

/// The policy type and the handler with the guard in front of its own
/// parameters. Everything of the user's (attributes, visibility, generics,
/// where clause, return type, body) is passed through untouched, with its
/// spans, so errors inside the handler still point at the user's code.
pub(crate) fn expand(mut handler: Handler, requirement: &Requirement) -> TokenStream {
    let private = private();
    let policy = format_ident!(
        "__require_auth_{}",
        handler.sig.ident.unraw(),
        span = handler.sig.ident.span()
    );
    let vis = &handler.vis;
    // The policy exists exactly when the handler does.
    let cfgs = handler
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"));
    let cfgs: Vec<_> = cfgs.collect();
    let requirement = requirement_tokens(requirement, &private);

    // First, so the guard runs before the handler's own extractors: a
    // request without a token is a 401 even when its body would not parse.
    let guard: FnArg = parse_quote!(_: #private::Guard<#policy>);
    let inputs = std::mem::take(&mut handler.sig.inputs);
    handler.sig.inputs = std::iter::once(guard)
        .chain(inputs)
        .collect::<Punctuated<_, _>>();

    quote! {
        #(#cfgs)*
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code, unreachable_pub)]
        #vis struct #policy;

        #(#cfgs)*
        impl #private::Policy for #policy {
            const REQUIREMENT: #private::Requirement = #requirement;
        }

        #handler
    }
}

/// The const expression building `requirement`; lists are `&[...]`, promoted
/// to `'static` in a const, so nothing is allocated.
fn requirement_tokens(requirement: &Requirement, private: &TokenStream) -> TokenStream {
    let list = |items: &[Requirement]| {
        let items = items.iter().map(|item| requirement_tokens(item, private));
        quote!(&[#(#items),*])
    };
    match requirement {
        Requirement::Authenticated => quote!(#private::Requirement::Authenticated),
        Requirement::Mfa => quote!(#private::Requirement::Mfa),
        Requirement::RecentAuth(seconds) => {
            // The literal is re-spelled without a suffix: `u64` is the type.
            let seconds = syn::LitInt::new(seconds.base10_digits(), seconds.span());
            quote!(#private::Requirement::RecentAuth(#seconds))
        }
        Requirement::Role(role) => quote!(#private::Requirement::Role(#role)),
        Requirement::Scope(scope) => quote!(#private::Requirement::Scope(#scope)),
        Requirement::All(items) => {
            let items = list(items);
            quote!(#private::Requirement::All(#items))
        }
        Requirement::Any(items) => {
            let items = list(items);
            quote!(#private::Requirement::Any(#items))
        }
    }
}
