use auth_middleware::require_auth;

// Every mistake is reported in one build, each at its own token.
#[require_auth(admin, mfa, roles = [""], mfa, any(), scopes = ["read orders"])]
fn admin() {}

fn main() {}
