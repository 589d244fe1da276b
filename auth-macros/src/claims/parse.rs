//! The shape `#[derive(Claims)]` accepts: a struct with named fields, at most
//! one of them marked `#[claims(roles)]`.

use syn::{Data, DeriveInput, Field, Fields, Ident, Type};

use crate::errors::Errors;

/// The field that holds the user's roles.
pub(crate) struct RolesField {
    pub(crate) name: Ident,
    pub(crate) ty: Type,
}

/// The `#[claims(roles)]` field, if any; every mistake in the input is
/// reported at once.
pub(crate) fn roles_field(input: &DeriveInput) -> syn::Result<Option<RolesField>> {
    let mut errors = Errors::default();
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("claims"))
    {
        errors.push_spanned(
            attr,
            "`#[claims(...)]` goes on a field: mark the field holding the roles with `#[claims(roles)]`",
        );
    }
    let not_named =
        "#[derive(Claims)] needs a struct with named fields (the claims are a JSON object)";
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => named.named.iter().collect(),
            Fields::Unnamed(unnamed) => {
                errors.push_spanned(unnamed, format!("{not_named}, not a tuple struct"));
                Vec::new()
            }
            Fields::Unit => {
                errors.push_spanned(&input.ident, format!("{not_named}, not a unit struct"));
                Vec::new()
            }
        },
        Data::Enum(data) => {
            errors.push_spanned(data.enum_token, format!("{not_named}, not an enum"));
            Vec::new()
        }
        Data::Union(data) => {
            errors.push_spanned(data.union_token, format!("{not_named}, not a union"));
            Vec::new()
        }
    };

    let mut roles: Option<RolesField> = None;
    for field in fields {
        let Some(name) = &field.ident else { continue };
        if !is_roles_field(field, &mut errors) {
            continue;
        }
        match &roles {
            Some(first) => errors.push_spanned(
                name,
                format!(
                    "only one field can be `#[claims(roles)]`; `{}` already is",
                    first.name
                ),
            ),
            None => {
                roles = Some(RolesField {
                    name: name.clone(),
                    ty: field.ty.clone(),
                });
            }
        }
    }
    errors.finish()?;
    Ok(roles)
}

/// Whether `field` is marked `#[claims(roles)]`; unknown keys are errors.
fn is_roles_field(field: &Field, errors: &mut Errors) -> bool {
    let mut marked = false;
    for attr in field
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("claims"))
    {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("roles") {
                if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                    return Err(meta.error("`roles` takes no value: write `#[claims(roles)]`"));
                }
                marked = true;
                Ok(())
            } else {
                let key = quote::ToTokens::to_token_stream(&meta.path)
                    .to_string()
                    .replace(' ', "");
                Err(meta.error(format!(
                    "unknown claims attribute `{key}`; expected `roles`"
                )))
            }
        });
        errors.take(parsed);
    }
    marked
}
