//! What the parsed arguments mean, and whether the annotated function can be
//! a guarded handler. Every check pushes its error and goes on.

use std::collections::BTreeSet;

use syn::{Expr, ExprLit, FnArg, Lit, LitInt, LitStr};

use super::parse::{Arg, Handler, Nested, StringList};
use crate::errors::Errors;

/// The requirement tree, mirroring `auth_middleware::policy::Requirement`,
/// with the user's literals (and their spans) kept for the expansion.
pub(crate) enum Requirement {
    Authenticated,
    Mfa,
    RecentAuth(LitInt),
    Role(LitStr),
    Scope(LitStr),
    All(Vec<Requirement>),
    Any(Vec<Requirement>),
}

/// The requirement of the whole attribute: always
/// `All([Authenticated, ...listed])`, so a bare `#[require_auth]` still
/// demands a verified token.
pub(crate) fn requirement(args: &[Arg], errors: &mut Errors) -> Requirement {
    let mut all = vec![Requirement::Authenticated];
    all.extend(conjunction(args, errors));
    Requirement::All(all)
}

/// An AND list (the top level or `all(...)`): `mfa`, `roles` and `scopes` at
/// most once each, since two `roles = [...]` would leave the reader guessing
/// whether they mean "and" or "or". `any(...)` may repeat: two of them are
/// two independent choices.
fn conjunction(args: &[Arg], errors: &mut Errors) -> Vec<Requirement> {
    let mut seen = BTreeSet::new();
    let mut all = Vec::new();
    for arg in args {
        let keyword = arg.keyword();
        if matches!(
            arg,
            Arg::Mfa(_) | Arg::MaxAge(..) | Arg::Roles(_) | Arg::Scopes(_)
        ) && !seen.insert(keyword.to_string())
        {
            let message = match arg {
                Arg::Mfa(_) => "duplicate `mfa`".to_owned(),
                Arg::MaxAge(..) => "duplicate `max_age`".to_owned(),
                _ => format!("duplicate `{keyword}`; list them all in one `{keyword} = [...]`"),
            };
            errors.push(syn::Error::new(keyword.span(), message));
        }
        match arg {
            Arg::Mfa(_) => all.push(Requirement::Mfa),
            Arg::MaxAge(_, value) => {
                if let Some(seconds) = seconds(value, errors) {
                    all.push(Requirement::RecentAuth(seconds));
                }
            }
            Arg::Roles(list) => all.extend(
                strings(list, Kind::Role, errors)
                    .into_iter()
                    .map(Requirement::Role),
            ),
            Arg::Scopes(list) => all.extend(
                strings(list, Kind::Scope, errors)
                    .into_iter()
                    .map(Requirement::Scope),
            ),
            Arg::All(nested) => {
                require_some(nested, errors);
                all.extend(conjunction(&nested.args, errors));
            }
            Arg::Any(nested) => {
                require_some(nested, errors);
                let alternatives = nested
                    .args
                    .iter()
                    .map(|alternative| {
                        single(conjunction(std::slice::from_ref(alternative), errors))
                    })
                    .collect();
                all.push(Requirement::Any(alternatives));
            }
        }
    }
    all
}

/// One requirement from an AND list: itself when alone, else `All`.
fn single(mut all: Vec<Requirement>) -> Requirement {
    if all.len() == 1
        && let Some(only) = all.pop()
    {
        return only;
    }
    Requirement::All(all)
}

fn require_some(nested: &Nested, errors: &mut Errors) {
    if nested.args.is_empty() {
        let keyword = &nested.keyword;
        errors.push(syn::Error::new(
            nested.paren.span.join(),
            format!("`{keyword}()` is empty; list at least one requirement, as in `{keyword}(roles = [\"admin\"], mfa)`"),
        ));
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Role,
    Scope,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::Scope => "scope",
        }
    }
}

/// The string literals of a `roles` / `scopes` list: non-empty, each a
/// non-empty string literal, none twice, scopes in the RFC 6749 alphabet.
fn strings(list: &StringList, kind: Kind, errors: &mut Errors) -> Vec<LitStr> {
    let name = kind.name();
    if list.items.is_empty() {
        let keyword = &list.keyword;
        errors.push(syn::Error::new(
            list.bracket.span.join(),
            format!("`{keyword} = []` lists no {name}; list at least one, or remove `{keyword}`"),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut literals = Vec::new();
    for item in &list.items {
        let Some(literal) = string_literal(item) else {
            let example = match item {
                Expr::Path(path) => path
                    .path
                    .get_ident()
                    .map(|ident| format!("; write `\"{ident}\"`"))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            errors.push_spanned(item, format!("a {name} must be a string literal{example}"));
            continue;
        };
        let value = literal.value();
        if value.is_empty() {
            errors.push_spanned(literal, format!("a {name} cannot be an empty string"));
        } else if let (Kind::Scope, Some(bad)) = (kind, value.chars().find(|c| !is_scope_char(*c)))
        {
            errors.push_spanned(
                literal,
                format!("a scope cannot contain {bad:?} (RFC 6749 §3.3: printable ASCII, no spaces, `\"` or `\\`)"),
            );
        } else if !seen.insert(value.clone()) {
            errors.push_spanned(literal, format!("{name} `{value}` is listed twice"));
        }
        literals.push(literal.clone());
    }
    literals
}

/// The seconds of `max_age = <value>`: a positive whole-number literal that
/// fits a `u64`.
fn seconds(value: &Expr, errors: &mut Errors) -> Option<LitInt> {
    let literal = match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(literal),
            ..
        }) => literal,
        Expr::Group(group) => return seconds(&group.expr, errors),
        _ => {
            errors.push_spanned(
                value,
                "`max_age` takes a whole number of seconds, as in `max_age = 300`",
            );
            return None;
        }
    };
    match literal.base10_parse::<u64>() {
        Ok(0) => {
            errors.push_spanned(
                literal,
                "`max_age = 0` can never be met; give the seconds a login stays recent",
            );
            None
        }
        Ok(_) if literal.suffix().is_empty() || literal.suffix() == "u64" => Some(literal.clone()),
        Ok(_) => {
            errors.push_spanned(
                literal,
                "`max_age` is a plain number of seconds, without a suffix",
            );
            None
        }
        Err(_) => {
            errors.push_spanned(
                literal,
                "`max_age` must be a number of seconds that fits a u64",
            );
            None
        }
    }
}

/// The literal when `expr` is a string literal, looking through the invisible
/// groups that `macro_rules!` wraps around `$x:expr` fragments.
fn string_literal(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(literal),
            ..
        }) => Some(literal),
        Expr::Group(group) => string_literal(&group.expr),
        _ => None,
    }
}

/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 §3.3).
fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// Whether the function can take a guard as its first extractor.
pub(crate) fn handler(handler: &Handler, errors: &mut Errors) {
    let sig = &handler.sig;
    if sig.asyncness.is_none() {
        errors.push_spanned(sig.fn_token, "#[require_auth] handlers must be `async fn`");
    }
    for input in &sig.inputs {
        if let FnArg::Receiver(receiver) = input {
            errors.push_spanned(
                receiver,
                "#[require_auth] cannot be used on a method with a `self` receiver; an axum handler is a free `async fn`",
            );
        }
    }
    for attr in &handler.attrs {
        if attr
            .path()
            .segments
            .last()
            .is_some_and(|last| last.ident == "require_auth")
        {
            errors.push_spanned(
                attr,
                "duplicate #[require_auth]; put all the requirements in one attribute",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;
    use crate::require_auth::parse;

    /// A compact rendering of a requirement, to compare whole trees.
    fn describe(requirement: &Requirement) -> String {
        let list =
            |items: &[Requirement]| items.iter().map(describe).collect::<Vec<_>>().join(", ");
        match requirement {
            Requirement::Authenticated => "Authenticated".to_owned(),
            Requirement::Mfa => "Mfa".to_owned(),
            Requirement::RecentAuth(seconds) => format!("RecentAuth({seconds})"),
            Requirement::Role(role) => format!("Role({})", role.value()),
            Requirement::Scope(scope) => format!("Scope({})", scope.value()),
            Requirement::All(items) => format!("All[{}]", list(items)),
            Requirement::Any(items) => format!("Any[{}]", list(items)),
        }
    }

    fn requirement_of(attr: TokenStream) -> Result<String, Vec<String>> {
        let mut errors = Errors::default();
        let args = parse::args(attr, &mut errors);
        let requirement = requirement(&args, &mut errors);
        match errors.finish() {
            Ok(()) => Ok(describe(&requirement)),
            Err(error) => Err(error.into_iter().map(|e| e.to_string()).collect()),
        }
    }

    fn errors_of(attr: TokenStream) -> Vec<String> {
        match requirement_of(attr.clone()) {
            Ok(requirement) => panic!("`{attr}` was accepted as {requirement}"),
            Err(errors) => errors,
        }
    }

    fn handler_errors(item: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        match parse::handler(item) {
            Ok(parsed) => handler(&parsed, &mut errors),
            Err(error) => errors.push(error),
        }
        errors
            .finish()
            .err()
            .map(|e| e.into_iter().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn bare_attribute_requires_only_a_verified_token() {
        assert_eq!(requirement_of(quote!()).unwrap(), "All[Authenticated]");
    }

    #[test]
    fn top_level_arguments_are_all_required() {
        assert_eq!(
            requirement_of(quote!(mfa)).unwrap(),
            "All[Authenticated, Mfa]"
        );
        assert_eq!(
            requirement_of(quote!(roles = ["admin", "ops"], scopes = ["a:b"], mfa,)).unwrap(),
            "All[Authenticated, Role(admin), Role(ops), Scope(a:b), Mfa]"
        );
    }

    #[test]
    fn any_takes_each_argument_as_one_alternative() {
        assert_eq!(
            requirement_of(quote!(any(roles = ["admin"], scopes = ["billing:write"]))).unwrap(),
            "All[Authenticated, Any[Role(admin), Scope(billing:write)]]"
        );
        // Two roles in one alternative are both needed for that alternative.
        assert_eq!(
            requirement_of(quote!(any(roles = ["a", "b"], mfa))).unwrap(),
            "All[Authenticated, Any[All[Role(a), Role(b)], Mfa]]"
        );
    }

    #[test]
    fn all_is_flattened_into_its_and_list_and_nests_under_any() {
        assert_eq!(
            requirement_of(quote!(all(mfa, roles = ["a"]))).unwrap(),
            "All[Authenticated, Mfa, Role(a)]"
        );
        assert_eq!(
            requirement_of(quote!(any(
                all(mfa, roles = ["a"]),
                any(scopes = ["x"], roles = ["b"])
            )))
            .unwrap(),
            "All[Authenticated, Any[All[Mfa, Role(a)], Any[Scope(x), Role(b)]]]"
        );
    }

    #[test]
    fn any_may_repeat_and_may_repeat_its_own_arguments() {
        assert_eq!(
            requirement_of(quote!(
                any(roles = ["a"], roles = ["b"]),
                any(mfa, scopes = ["s"])
            ))
            .unwrap(),
            "All[Authenticated, Any[Role(a), Role(b)], Any[Mfa, Scope(s)]]"
        );
    }

    #[test]
    fn max_age_is_a_positive_number_of_seconds() {
        assert_eq!(
            requirement_of(quote!(max_age = 300)).unwrap(),
            "All[Authenticated, RecentAuth(300)]"
        );
        assert_eq!(
            requirement_of(quote!(mfa, max_age = 60)).unwrap(),
            "All[Authenticated, Mfa, RecentAuth(60)]"
        );
        assert_eq!(
            errors_of(quote!(max_age = 0)),
            ["`max_age = 0` can never be met; give the seconds a login stays recent"]
        );
        assert_eq!(
            errors_of(quote!(max_age = "300")),
            ["`max_age` takes a whole number of seconds, as in `max_age = 300`"]
        );
        assert_eq!(
            errors_of(quote!(max_age = 5, max_age = 6)),
            ["duplicate `max_age`"]
        );
        assert_eq!(
            errors_of(quote!(max_age)),
            ["`max_age` needs a number of seconds: `max_age = 300`"]
        );
    }

    #[test]
    fn duplicates_in_an_and_list_are_errors() {
        assert_eq!(errors_of(quote!(mfa, mfa)), ["duplicate `mfa`"]);
        assert_eq!(
            errors_of(quote!(roles = ["a"], all(roles = ["b"], roles = ["c"]))),
            ["duplicate `roles`; list them all in one `roles = [...]`"]
        );
        assert_eq!(
            errors_of(quote!(scopes = ["a"], scopes = ["b"])),
            ["duplicate `scopes`; list them all in one `scopes = [...]`"]
        );
    }

    #[test]
    fn list_items_must_be_distinct_non_empty_string_literals() {
        assert_eq!(
            errors_of(quote!(roles = [])),
            ["`roles = []` lists no role; list at least one, or remove `roles`"]
        );
        assert_eq!(
            errors_of(quote!(roles = [admin])),
            ["a role must be a string literal; write `\"admin\"`"]
        );
        assert_eq!(
            errors_of(quote!(scopes = [1])),
            ["a scope must be a string literal"]
        );
        assert_eq!(
            errors_of(quote!(roles = [""])),
            ["a role cannot be an empty string"]
        );
        assert_eq!(
            errors_of(quote!(roles = ["a", "b", "a"])),
            ["role `a` is listed twice"]
        );
    }

    #[test]
    fn scopes_are_checked_against_the_rfc_6749_alphabet() {
        assert_eq!(
            errors_of(quote!(scopes = ["read write"])),
            [
                "a scope cannot contain ' ' (RFC 6749 §3.3: printable ASCII, no spaces, `\"` or `\\`)"
            ]
        );
        assert_eq!(errors_of(quote!(scopes = ["a\"b"])).len(), 1);
        assert_eq!(errors_of(quote!(scopes = ["é"])).len(), 1);
        // Roles are only compared, so any non-empty string will do.
        assert_eq!(
            requirement_of(quote!(roles = ["team lead"])).unwrap(),
            "All[Authenticated, Role(team lead)]"
        );
    }

    #[test]
    fn any_and_all_must_not_be_empty() {
        assert_eq!(
            errors_of(quote!(all())),
            [
                "`all()` is empty; list at least one requirement, as in `all(roles = [\"admin\"], mfa)`"
            ]
        );
        assert_eq!(errors_of(quote!(roles = ["a"], any())).len(), 1);
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        // Parse errors in argument order, then the validation errors.
        assert_eq!(
            errors_of(quote!(
                admin,
                roles = [],
                mfa,
                mfa,
                any(bogus, scopes = "x"),
                scopes = [""]
            )),
            [
                "unknown argument `admin`; expected `mfa`, `max_age = <seconds>`, `roles = [...]`, `scopes = [...]`, `any(...)` or `all(...)`",
                "unknown argument `bogus`; expected `mfa`, `max_age = <seconds>`, `roles = [...]`, `scopes = [...]`, `any(...)` or `all(...)`",
                "expected a list in brackets: `scopes = [\"x\"]`",
                "`roles = []` lists no role; list at least one, or remove `roles`",
                "duplicate `mfa`",
                "a scope cannot be an empty string",
            ]
        );
    }

    #[test]
    fn literals_from_macro_rules_fragments_are_accepted() {
        // `$role:expr` reaches the macro wrapped in an invisible group.
        let role = proc_macro2::Group::new(proc_macro2::Delimiter::None, quote!("admin"));
        assert_eq!(
            requirement_of(quote!(roles = [#role])).unwrap(),
            "All[Authenticated, Role(admin)]"
        );
    }

    #[test]
    fn handlers_must_be_async_free_functions_used_once() {
        assert!(
            handler_errors(quote!(
                async fn ok(x: u8) -> u8 {
                    x
                }
            ))
            .is_empty()
        );
        assert_eq!(
            handler_errors(quote!(
                fn sync() {}
            )),
            ["#[require_auth] handlers must be `async fn`"]
        );
        assert_eq!(
            handler_errors(quote!(
                async fn method(&self) {}
            )),
            [
                "#[require_auth] cannot be used on a method with a `self` receiver; an axum handler is a free `async fn`"
            ]
        );
        assert_eq!(
            handler_errors(quote!(
                #[auth_middleware::require_auth(mfa)]
                async fn twice() {}
            )),
            ["duplicate #[require_auth]; put all the requirements in one attribute"]
        );
        assert_eq!(
            handler_errors(quote!(
                fn both(self: Box<Self>) {}
            )),
            [
                "#[require_auth] handlers must be `async fn`",
                "#[require_auth] cannot be used on a method with a `self` receiver; an axum handler is a free `async fn`"
            ]
        );
    }
}
