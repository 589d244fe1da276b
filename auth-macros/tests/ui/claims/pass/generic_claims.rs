//! `AuthUser<MyClaims>` with `#[derive(Claims)]`: with and without a
//! `#[claims(roles)]` field, and on a generic struct.
#![deny(warnings)]

use auth_middleware::auth_core::{Algorithm, KeySet, TokenIssuer};
use auth_middleware::{AuthLayer, AuthUser, Claims, require_auth};
use axum::Router;
use axum::routing::get;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Claims, Serialize, Deserialize)]
struct MyClaims {
    tenant: String,
    #[claims(roles)]
    #[serde(default)]
    groups: Vec<String>,
}

#[derive(Claims, Serialize, Deserialize, Default)]
struct NoRoles {
    tenant: Option<String>,
}

// The impl carries the struct's where clause, so it names what `Claims`
// needs of `T`.
#[derive(Claims, Serialize, Deserialize)]
#[serde(bound = "T: Serialize + DeserializeOwned")]
struct Tagged<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    tag: T,
    #[claims(roles)]
    groups: Vec<String>,
}

#[require_auth(roles = ["editor"])]
async fn edit(user: AuthUser<MyClaims>) -> String {
    format!("{} edits for {}", user.subject(), user.claims().tenant)
}

fn roles_of<C: Claims>(claims: &C) -> Option<&[String]> {
    claims.roles()
}

fn main() {
    let tokens = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id.example",
        "api",
    );
    let _app: Router = Router::new()
        .route("/edit", get(edit))
        .layer(AuthLayer::bearer(
            tokens.verifier().with_claims::<MyClaims>(),
        ));

    let mine = MyClaims {
        tenant: "acme".into(),
        groups: vec!["editor".into()],
    };
    assert_eq!(roles_of(&mine), Some(&["editor".to_owned()][..]));
    assert_eq!(roles_of(&NoRoles::default()), None);
    let tagged = Tagged {
        tag: 7_u8,
        groups: vec!["a".into()],
    };
    assert_eq!(roles_of(&tagged).map(<[String]>::len), Some(1));
    assert_eq!(tagged.tag, 7);
}
