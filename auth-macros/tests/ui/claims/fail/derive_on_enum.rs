use auth_middleware::Claims;
use serde::{Deserialize, Serialize};

#[derive(Claims, Serialize, Deserialize)]
enum MyClaims {
    Tenant(String),
}

// The fallback impl keeps uses like this one free of errors.
fn needs_claims<C: Claims>() {}

fn main() {
    needs_claims::<MyClaims>();
}
