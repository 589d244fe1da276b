use auth_middleware::require_auth;

#[require_auth(roles = [admin, 42])]
async fn admin() {}

fn main() {}
