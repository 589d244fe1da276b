use auth_middleware::Claims;
use serde::{Deserialize, Serialize};

#[derive(Claims, Serialize, Deserialize)]
struct MyClaims {
    #[claims(roles)]
    group: String,
}

fn main() {}
