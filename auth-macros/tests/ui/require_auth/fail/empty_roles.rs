use auth_middleware::require_auth;

#[require_auth(roles = [])]
async fn admin() {}

fn main() {}
