//! The grammar of `#[require_auth(...)]` and of the item it annotates.
//!
//! Parsing only checks shape; what the values mean (empty lists, duplicates,
//! literal kinds) is left to `validate`, so both kinds of mistakes are reported
//! together. Each comma-separated argument is parsed on its own: a mistake in
//! one still lets the others be parsed and checked.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Expr, Ident, Item, Signature, Token, Visibility, bracketed, parenthesized, token,
};

use crate::errors::Errors;

/// What every "unknown argument" message lists.
const EXPECTED: &str = "expected `mfa`, `max_age = <seconds>`, `roles = [...]`, `scopes = [...]`, `any(...)` or `all(...)`";

/// One argument of the attribute.
pub(crate) enum Arg {
    /// `mfa`
    Mfa(Ident),
    /// `max_age = <seconds>`: the value is kept as an expression so that a
    /// wrong kind of value is reported by `validate` with the rest.
    MaxAge(Ident, Expr),
    /// `roles = [...]`
    Roles(StringList),
    /// `scopes = [...]`
    Scopes(StringList),
    /// `any(...)`
    Any(Nested),
    /// `all(...)`
    All(Nested),
}

impl Arg {
    /// The keyword that introduced the argument, for spans and duplicate checks.
    pub(crate) fn keyword(&self) -> &Ident {
        match self {
            Arg::Mfa(keyword) | Arg::MaxAge(keyword, _) => keyword,
            Arg::Roles(list) | Arg::Scopes(list) => &list.keyword,
            Arg::Any(nested) | Arg::All(nested) => &nested.keyword,
        }
    }
}

/// `roles = [...]` or `scopes = [...]`: the items are kept as expressions so
/// that a non-string item is reported by `validate` with the others.
pub(crate) struct StringList {
    pub(crate) keyword: Ident,
    pub(crate) bracket: token::Bracket,
    pub(crate) items: Vec<Expr>,
}

/// `any(...)` or `all(...)` with the arguments inside the parentheses.
pub(crate) struct Nested {
    pub(crate) keyword: Ident,
    pub(crate) paren: token::Paren,
    pub(crate) args: Vec<Arg>,
}

/// Parses the attribute's arguments, pushing every mistake into `errors` and
/// returning the arguments that did parse.
pub(crate) fn args(tokens: TokenStream, errors: &mut Errors) -> Vec<Arg> {
    split_on_commas(tokens, errors)
        .into_iter()
        .filter_map(|chunk| errors.take(parse_arg.parse2(chunk)))
        .collect()
}

/// Splits a token stream at its top-level commas (commas inside brackets or
/// parentheses belong to a nested group and are not seen here). A trailing
/// comma is allowed; an empty argument between two commas is an error.
fn split_on_commas(tokens: TokenStream, errors: &mut Errors) -> Vec<TokenStream> {
    let mut chunks = Vec::new();
    let mut current = TokenStream::new();
    for tree in tokens {
        match &tree {
            TokenTree::Punct(punct) if punct.as_char() == ',' => {
                if current.is_empty() {
                    errors.push_spanned(
                        punct,
                        format!("expected an argument before this comma; {EXPECTED}"),
                    );
                } else {
                    chunks.push(std::mem::take(&mut current));
                }
            }
            _ => current.extend([tree]),
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// Parses one argument: the whole of `input`, which holds no top-level comma.
fn parse_arg(input: ParseStream<'_>) -> syn::Result<Arg> {
    if !input.peek(Ident::peek_any) {
        let found: TokenTree = input.parse()?;
        let hint = match &found {
            TokenTree::Literal(literal) => {
                format!("; to require a role, write `roles = [{literal}]`")
            }
            _ => String::new(),
        };
        return Err(syn::Error::new_spanned(found, format!("{EXPECTED}{hint}")));
    }
    let keyword = input.call(Ident::parse_any)?;
    let arg = match keyword.to_string().as_str() {
        "mfa" => Arg::Mfa(keyword),
        "max_age" => {
            let value = seconds(&keyword, input)?;
            Arg::MaxAge(keyword, value)
        }
        "roles" => Arg::Roles(string_list(keyword, input, "\"admin\"")?),
        "scopes" => Arg::Scopes(string_list(keyword, input, "\"orders:read\"")?),
        "any" => Arg::Any(nested(keyword, input)?),
        "all" => Arg::All(nested(keyword, input)?),
        other => {
            let hint = match other {
                "role" => "; did you mean `roles = [...]`?".to_owned(),
                "maxage" | "max_age_secs" | "recent" => {
                    "; did you mean `max_age = <seconds>`?".to_owned()
                }
                "scope" => "; did you mean `scopes = [...]`?".to_owned(),
                _ => format!("; {EXPECTED}"),
            };
            return Err(syn::Error::new(
                keyword.span(),
                format!("unknown argument `{keyword}`{hint}"),
            ));
        }
    };
    if !input.is_empty() {
        let rest: TokenStream = input.parse()?;
        let message = match &arg {
            Arg::Mfa(_) => "`mfa` takes no value; write just `mfa`".to_owned(),
            _ => format!("expected `,` after `{}`", arg.keyword()),
        };
        return Err(syn::Error::new_spanned(rest, message));
    }
    Ok(arg)
}

/// `= <value>` after `max_age`.
fn seconds(keyword: &Ident, input: ParseStream<'_>) -> syn::Result<Expr> {
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(
            keyword.span(),
            "`max_age` needs a number of seconds: `max_age = 300`",
        ));
    }
    input.parse::<Token![=]>()?;
    if input.is_empty() {
        return Err(syn::Error::new(
            keyword.span(),
            "`max_age` needs a number of seconds: `max_age = 300`",
        ));
    }
    input.parse()
}

/// `= [item, ...]` after `roles` or `scopes`.
fn string_list(keyword: Ident, input: ParseStream<'_>, example: &str) -> syn::Result<StringList> {
    if input.is_empty() {
        return Err(syn::Error::new(
            keyword.span(),
            format!("`{keyword}` needs a list: `{keyword} = [{example}]`"),
        ));
    }
    if !input.peek(Token![=]) {
        return Err(input.error(format!(
            "expected `=` after `{keyword}`, as in `{keyword} = [{example}]`"
        )));
    }
    input.parse::<Token![=]>()?;
    if !input.peek(token::Bracket) {
        // Not a list: say what to write, reusing the user's literal when
        // there is one (`roles = "admin"` -> `roles = ["admin"]`).
        let value: TokenStream = input.parse()?;
        let shown = match syn::parse2::<syn::Lit>(value.clone()) {
            Ok(literal) => literal.to_token_stream().to_string(),
            Err(_) => example.to_owned(),
        };
        let message = format!("expected a list in brackets: `{keyword} = [{shown}]`");
        return Err(if value.is_empty() {
            syn::Error::new(keyword.span(), message)
        } else {
            syn::Error::new_spanned(value, message)
        });
    }
    let content;
    let bracket = bracketed!(content in input);
    let items = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
    Ok(StringList {
        keyword,
        bracket,
        items: items.into_iter().collect(),
    })
}

/// `(arg, ...)` after `any` or `all`; every mistake inside is reported.
fn nested(keyword: Ident, input: ParseStream<'_>) -> syn::Result<Nested> {
    if !input.peek(token::Paren) {
        return Err(syn::Error::new(
            keyword.span(),
            format!(
                "`{keyword}` takes its requirements in parentheses, as in `{keyword}(roles = [\"admin\"], mfa)`"
            ),
        ));
    }
    let content;
    let paren = parenthesized!(content in input);
    let mut errors = Errors::default();
    let args = args(content.parse()?, &mut errors);
    errors.finish()?;
    Ok(Nested {
        keyword,
        paren,
        args,
    })
}

/// The annotated function, with its body kept as unparsed tokens: the macro
/// never looks inside it, so it is passed through exactly as written.
pub(crate) struct Handler {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) body: TokenTree,
}

impl ToTokens for Handler {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        self.body.to_tokens(tokens);
    }
}

/// Parses the annotated item as a function with a body; anything else is an
/// error naming what it is.
pub(crate) fn handler(item: TokenStream) -> syn::Result<Handler> {
    parse_handler
        .parse2(item.clone())
        .map_err(|error| not_a_function(item).unwrap_or(error))
}

fn parse_handler(input: ParseStream<'_>) -> syn::Result<Handler> {
    let attrs = input.call(Attribute::parse_outer)?;
    let vis = input.parse()?;
    let sig = input.parse()?;
    let missing_body = "#[require_auth] needs a function with a body";
    if input.is_empty() {
        return Err(syn::Error::new_spanned(&sig, missing_body));
    }
    let body: TokenTree = input.parse()?;
    match &body {
        TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => Ok(Handler {
            attrs,
            vis,
            sig,
            body,
        }),
        _ => Err(syn::Error::new_spanned(body, missing_body)),
    }
}

/// When `item` is some other kind of item, the error for using the attribute
/// on it, spanned at its keyword and name.
fn not_a_function(item: TokenStream) -> Option<syn::Error> {
    let (what, head) = match syn::parse2::<Item>(item).ok()? {
        Item::Struct(item) => ("a struct", keyword_and_name(item.struct_token, &item.ident)),
        Item::Enum(item) => ("an enum", keyword_and_name(item.enum_token, &item.ident)),
        Item::Union(item) => ("a union", keyword_and_name(item.union_token, &item.ident)),
        Item::Trait(item) => ("a trait", keyword_and_name(item.trait_token, &item.ident)),
        Item::Mod(item) => ("a module", keyword_and_name(item.mod_token, &item.ident)),
        Item::Const(item) => (
            "a constant",
            keyword_and_name(item.const_token, &item.ident),
        ),
        Item::Static(item) => ("a static", keyword_and_name(item.static_token, &item.ident)),
        Item::Type(item) => (
            "a type alias",
            keyword_and_name(item.type_token, &item.ident),
        ),
        Item::Impl(item) => ("an impl block", item.impl_token.to_token_stream()),
        Item::Use(item) => ("a `use` declaration", item.use_token.to_token_stream()),
        Item::Macro(item) => ("a macro invocation", item.mac.path.to_token_stream()),
        // A function that did not parse as a handler (no body, ...): the
        // parser's own error says what is missing.
        _ => return None,
    };
    Some(syn::Error::new_spanned(
        head,
        format!("#[require_auth] can only be used on `async fn` handlers, not on {what}"),
    ))
}

fn keyword_and_name(keyword: impl ToTokens, name: &Ident) -> TokenStream {
    let mut head = keyword.to_token_stream();
    name.to_tokens(&mut head);
    head
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    /// The parse errors of an attribute's arguments (none: an empty list).
    fn errors_of(attr: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        args(attr, &mut errors);
        errors
            .finish()
            .err()
            .map(|e| e.into_iter().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    }

    fn item_error(item: TokenStream) -> Vec<String> {
        match handler(item) {
            Ok(_) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn each_argument_is_parsed_on_its_own() {
        let mut errors = Errors::default();
        let parsed = args(
            quote!(mfa, bogus, roles = ["a"], any(nope), scopes = []),
            &mut errors,
        );
        let keywords: Vec<String> = parsed.iter().map(|arg| arg.keyword().to_string()).collect();
        assert_eq!(keywords, ["mfa", "roles", "scopes"]);
        assert_eq!(
            errors.finish().map_err(|e| e.into_iter().count()).err(),
            Some(2)
        );
    }

    #[test]
    fn the_handler_is_passed_through_as_written() {
        let item = quote! {
            #[doc = "docs"]
            pub(crate) async fn h<T>(Json(t): Json<T>) -> impl IntoResponse where T: Send { #![allow(unused)] t }
        };
        let parsed = handler(item.clone()).unwrap();
        assert_eq!(parsed.sig.ident, "h");
        assert_eq!(parsed.to_token_stream().to_string(), item.to_string());
    }

    #[test]
    fn any_needs_parentheses() {
        assert_eq!(
            errors_of(quote!(any)),
            ["`any` takes its requirements in parentheses, as in `any(roles = [\"admin\"], mfa)`"]
        );
        assert_eq!(
            errors_of(quote!(all = ["a"])),
            ["`all` takes its requirements in parentheses, as in `all(roles = [\"admin\"], mfa)`"]
        );
    }

    #[test]
    fn unknown_argument_names_the_accepted_ones() {
        assert_eq!(
            errors_of(quote!(admin)),
            [
                "unknown argument `admin`; expected `mfa`, `max_age = <seconds>`, `roles = [...]`, `scopes = [...]`, `any(...)` or `all(...)`"
            ]
        );
        assert_eq!(
            errors_of(quote!(role = ["a"])),
            ["unknown argument `role`; did you mean `roles = [...]`?"]
        );
        assert_eq!(
            errors_of(quote!(scope = ["a"])),
            ["unknown argument `scope`; did you mean `scopes = [...]`?"]
        );
    }

    #[test]
    fn a_bare_literal_suggests_roles() {
        assert_eq!(
            errors_of(quote!("admin")),
            [
                "expected `mfa`, `max_age = <seconds>`, `roles = [...]`, `scopes = [...]`, `any(...)` or `all(...)`; \
                 to require a role, write `roles = [\"admin\"]`"
            ]
        );
    }

    #[test]
    fn lists_need_brackets_and_an_equals_sign() {
        assert_eq!(
            errors_of(quote!(roles = "admin")),
            ["expected a list in brackets: `roles = [\"admin\"]`"]
        );
        assert_eq!(
            errors_of(quote!(scopes = x)),
            ["expected a list in brackets: `scopes = [\"orders:read\"]`"]
        );
        assert_eq!(
            errors_of(quote!(roles)),
            ["`roles` needs a list: `roles = [\"admin\"]`"]
        );
        assert_eq!(
            errors_of(quote!(roles["a"])),
            ["expected `=` after `roles`, as in `roles = [\"admin\"]`"]
        );
    }

    #[test]
    fn stray_tokens_are_errors() {
        assert_eq!(
            errors_of(quote!(mfa = true)),
            ["`mfa` takes no value; write just `mfa`"]
        );
        assert_eq!(
            errors_of(quote!(roles = ["a"] mfa)),
            ["expected `,` after `roles`"]
        );
        assert_eq!(
            errors_of(quote!(, mfa)),
            [
                "expected an argument before this comma; expected `mfa`, `max_age = <seconds>`, `roles = [...]`, `scopes = [...]`, `any(...)` or `all(...)`"
            ]
        );
    }

    #[test]
    fn other_items_are_named_in_the_error() {
        assert_eq!(
            item_error(quote!(
                pub struct Admin;
            )),
            ["#[require_auth] can only be used on `async fn` handlers, not on a struct"]
        );
        assert_eq!(
            item_error(quote!(
                enum E {
                    A,
                }
            )),
            ["#[require_auth] can only be used on `async fn` handlers, not on an enum"]
        );
        assert_eq!(
            item_error(quote!(impl X {})),
            ["#[require_auth] can only be used on `async fn` handlers, not on an impl block"]
        );
        assert_eq!(
            item_error(quote!(
                async fn declared();
            )),
            ["#[require_auth] needs a function with a body"]
        );
    }
}
