use auth_middleware::require_auth;

#[require_auth(roles = ["admin", ""])]
async fn admin() {}

fn main() {}
