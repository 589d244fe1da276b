use auth_middleware::Claims;
use serde::{Deserialize, Serialize};

#[derive(Claims, Serialize, Deserialize)]
struct MyClaims {
    #[claims(role)]
    groups: Vec<String>,
}

fn main() {}
