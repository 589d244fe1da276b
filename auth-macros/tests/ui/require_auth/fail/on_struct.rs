use auth_middleware::require_auth;

#[require_auth]
struct Admin;

fn main() {
    // The struct is still there: no "cannot find" error.
    let _ = Admin;
}
