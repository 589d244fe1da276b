use auth_middleware::require_auth;

#[require_auth]
fn me() -> &'static str {
    "me"
}

fn main() {
    // The function is still there: no "cannot find function" error.
    let _ = me();
}
