use auth_middleware::require_auth;

struct Api;

impl Api {
    #[require_auth]
    async fn me(&self) -> &'static str {
        "me"
    }
}

fn main() {
    let _ = Api.me();
}
