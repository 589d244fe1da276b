use auth_middleware::require_auth;

#[require_auth(max_age = 0)]
async fn never() {}

#[require_auth(max_age = "300")]
async fn text() {}

#[require_auth(max_age = 60, mfa, max_age = 120)]
async fn twice() {}

fn main() {}
