use auth_middleware::require_auth;

#[require_auth(admin)]
async fn admin() -> &'static str {
    "welcome"
}

fn main() {}
