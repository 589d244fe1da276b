use auth_middleware::require_auth;

struct Api;

// The policy type cannot be declared inside an impl block, so associated
// functions cannot be guarded: rustc says so at the attribute.
impl Api {
    #[require_auth]
    async fn me() -> &'static str {
        "me"
    }
}

fn main() {}
