//! The cache of accepted tokens stays within its memory bound, as measured by
//! a counting allocator, not only as the cache accounts for itself: the
//! account is checked against the heap the cache really holds. (One test in
//! this binary, so that nothing else allocates while it measures.)

use std::alloc::System;

use auth_core::token::CacheLimits;
use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes held now that were not held when `region` started.
fn held(region: &Region<'_, System>) -> isize {
    let change = region.change();
    change.bytes_allocated as isize - change.bytes_deallocated as isize + change.bytes_reallocated
}

#[test]
fn the_cache_holds_no_more_memory_than_its_bound() -> Result<(), Box<dyn std::error::Error>> {
    const TOKENS: usize = 20_000;
    let limits = CacheLimits::new(2_000, 2 << 20);
    let issuer = TokenIssuer::new(
        KeySet::generate(Algorithm::HS256)?,
        "https://id.example",
        "api",
    );
    let tokens: Vec<String> = (0..TOKENS)
        .map(|i| {
            issuer
                .issue(
                    &TokenRequest::new(format!("user-{i}"))
                        .session(format!("session-{i}"))
                        .roles(["reader", "writer"])
                        .amr(["pwd", "otp", "mfa"]),
                )
                .map(|token| token.access_token)
        })
        .collect::<Result<_, _>>()?;

    let region = Region::new(GLOBAL);
    let verifier = issuer.verifier().cache_limits(limits);
    let empty = held(&region);
    let mut most = 0isize;
    for (i, token) in tokens.iter().enumerate() {
        verifier.verify(token)?;
        if i % 500 == 499 {
            let usage = verifier.cache_usage().ok_or("a cache")?;
            assert!(usage.entries <= limits.max_entries(), "{usage:?}");
            assert!(usage.bytes <= limits.max_bytes(), "{usage:?}");
            let real = held(&region) - empty;
            most = most.max(real);
            // The account is not an underestimate of what is really held.
            assert!(
                real <= usage.bytes as isize,
                "after {} tokens the cache holds {real} bytes but accounts for {}",
                i + 1,
                usage.bytes
            );
        }
    }
    let usage = verifier.cache_usage().ok_or("a cache")?;
    println!(
        "{TOKENS} tokens through a cache of {limits:?}: {} entries, {} bytes accounted, at most {most} bytes held (empty cache: {empty} bytes)",
        usage.entries, usage.bytes
    );
    // The cache was filled, so the bound was what held it.
    assert!(usage.entries >= limits.max_entries() / 2, "{usage:?}");
    assert!(most <= limits.max_bytes() as isize);
    Ok(())
}
