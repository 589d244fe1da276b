use auth_middleware::{AuthUser, require_auth};

// Errors in the handler point at the user's code, not at the attribute.
#[require_auth(roles = ["admin"])]
async fn admin(user: AuthUser) -> u32 {
    user.subject()
}

fn main() {}
