use auth_middleware::Claims;
use serde::{Deserialize, Serialize};

#[derive(Claims, Serialize, Deserialize)]
struct MyClaims {
    #[claims(roles)]
    groups: Vec<String>,
    #[claims(roles)]
    teams: Vec<String>,
}

fn main() {}
