use auth_middleware::require_auth;

#[require_auth(mfa, roles = ["admin"], mfa)]
async fn billing() {}

fn main() {}
