#![allow(clippy::indexing_slicing)]
use std::sync::Arc;

use super::{CacheLimits, CacheUsage, VerifiedTokens, same_token};
use crate::AccessClaims;

const FAR: i64 = 4_000_000_000;

fn claims(sub: &str, exp: i64) -> Arc<AccessClaims> {
    let json = format!(
        r#"{{"iss":"https://id","sub":"{sub}","aud":"api","exp":{exp},"iat":1,"jti":"j-{sub}"}}"#
    );
    match serde_json::from_str(&json) {
        Ok(claims) => Arc::new(claims),
        Err(error) => panic!("test claims: {error}"),
    }
}

/// The slots every shard keeps in its order, stale ones included.
fn order_slots<C>(cache: &VerifiedTokens<C>) -> usize {
    cache
        .shards
        .iter()
        .map(|shard| shard.read().order.len())
        .sum()
}

#[test]
fn equal_tokens_are_the_same_and_any_byte_makes_them_differ() {
    let token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
    assert!(same_token(token, token));
    assert!(!same_token(token, &token[1..]));
    assert!(!same_token("", "x"));
    assert!(same_token("", ""));
    for i in 0..token.len() {
        let mut other = token.as_bytes().to_vec();
        other[i] ^= 0x01;
        let other = String::from_utf8_lossy(&other).into_owned();
        assert!(!same_token(token, &other), "byte {i}");
    }
}

#[test]
fn tokens_differing_in_one_byte_never_share_an_entry() {
    let cache = VerifiedTokens::new(CacheLimits::new(1_000, 1 << 20));
    // The index hashes the end of a token only: tokens that differ before
    // it share an index slot, and the whole token decides.
    let token = format!("header.payload.{}", "s".repeat(43));
    let original = claims("original", FAR);
    cache.insert(&token, &original, 7, 0, 0);
    for i in 0..token.len() {
        let mut bytes = token.clone().into_bytes();
        bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
        let Ok(other) = String::from_utf8(bytes) else {
            panic!("ascii stays ascii");
        };
        assert!(
            cache.get(&other, 7).is_none(),
            "byte {i} read the original's entry"
        );

        let forged = claims("other", FAR);
        cache.insert(&other, &forged, 7, 0, 0);
        let found = cache.get(&other, 7);
        assert!(found.is_some_and(|c| Arc::ptr_eq(&c, &forged)), "byte {i}");
        // The original's entry is its own, or gone (when both share a slot),
        // and never the other's.
        if let Some(c) = cache.get(&token, 7) {
            assert!(
                Arc::ptr_eq(&c, &original),
                "byte {i} replaced the original's claims"
            );
        }
        cache.insert(&token, &original, 7, 0, 0);
    }
}

#[test]
fn an_entry_is_found_only_under_the_key_generation_it_was_checked_with() {
    let cache = VerifiedTokens::new(CacheLimits::new(1_000, 1 << 20));
    let first = claims("u", FAR);
    cache.insert("a.b.c", &first, 1, 0, 0);
    assert!(
        cache
            .get("a.b.c", 1)
            .is_some_and(|c| Arc::ptr_eq(&c, &first))
    );
    assert!(cache.get("a.b.c", 2).is_none());
}

#[test]
fn a_million_distinct_tokens_stay_within_the_bounds() {
    let limits = CacheLimits::new(10_000, 4 << 20);
    let cache = VerifiedTokens::new(limits);
    let shared = claims("u", FAR);
    let heap = shared.registered_heap_size();
    let mut token = String::with_capacity(400);
    for i in 0..1_000_000u32 {
        token.clear();
        token.push_str("eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.");
        token.push_str(&"p".repeat(200));
        token.push('.');
        token.push_str(&format!("{i:0>86}"));
        cache.insert(&token, &shared, 1, heap, 0);
        if i % 100_000 == 99_999 {
            let CacheUsage { entries, bytes } = cache.usage();
            assert!(
                entries <= limits.max_entries(),
                "{entries} entries after {i}"
            );
            assert!(bytes <= limits.max_bytes(), "{bytes} bytes after {i}");
            assert!(order_slots(&cache) <= 2 * entries + 16 * cache.shards.len());
        }
    }
    let usage = cache.usage();
    // Full, not merely small: eviction makes room one entry at a time.
    assert!(
        usage.entries > limits.max_entries() / 2 || usage.bytes > limits.max_bytes() / 2,
        "{usage:?}"
    );
    // The last token is held; one of the first is long gone.
    assert!(cache.get(&token, 1).is_some());
    let first = format!(
        "eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.{}.{:0>86}",
        "p".repeat(200),
        0
    );
    assert!(cache.get(&first, 1).is_none());
}

#[test]
fn replacing_one_token_over_and_over_keeps_one_entry() {
    let cache = VerifiedTokens::new(CacheLimits::new(100, 1 << 20));
    let shared = claims("u", FAR);
    for generation in 0..100_000 {
        cache.insert("a.b.c", &shared, generation, 0, 0);
    }
    assert_eq!(cache.usage().entries, 1);
    assert!(order_slots(&cache) <= 2 + 16 * cache.shards.len());
}

#[test]
fn expired_entries_make_room_before_live_ones() {
    // One shard of four entries.
    let cache = VerifiedTokens::new(CacheLimits::new(4, 1 << 20));
    assert_eq!(cache.shards.len(), 1);
    let old = claims("old", 100);
    let live = claims("live", FAR);
    cache.insert("t.old.1", &old, 1, 0, 0);
    cache.insert("t.old.2", &old, 1, 0, 0);
    cache.insert("t.live.1", &live, 1, 0, 0);
    // At 100 (no leeway) the two old ones are dead and go first.
    cache.insert("t.live.2", &live, 1, 0, 100);
    assert_eq!(cache.usage().entries, 2);
    assert!(cache.get("t.old.1", 1).is_none());
    assert!(cache.get("t.live.1", 1).is_some());
    // Full of live entries: the oldest makes room.
    cache.insert("t.live.3", &live, 1, 0, 100);
    cache.insert("t.live.4", &live, 1, 0, 100);
    cache.insert("t.live.5", &live, 1, 0, 100);
    assert_eq!(cache.usage().entries, 4);
    assert!(cache.get("t.live.1", 1).is_none());
    assert!(cache.get("t.live.5", 1).is_some());
}

#[test]
fn an_entry_larger_than_the_whole_bound_is_not_kept() {
    let cache = VerifiedTokens::new(CacheLimits::new(16, 2_000));
    let shared = claims("u", FAR);
    cache.insert("a.b.c", &shared, 1, 2_000, 0);
    assert_eq!(
        cache.usage(),
        CacheUsage {
            entries: 0,
            bytes: 0
        }
    );
    let off = VerifiedTokens::new(CacheLimits::new(0, 1 << 20));
    off.insert("a.b.c", &shared, 1, 0, 0);
    assert!(off.get("a.b.c", 1).is_none());
}

/// What the shards really hold, counted entry by entry.
fn counted<C>(cache: &VerifiedTokens<C>) -> usize {
    cache
        .shards
        .iter()
        .map(|shard| shard.read().by_hash.len())
        .sum()
}

fn distinct_token(i: usize) -> String {
    format!("eyJhbGciOiJIUzI1NiJ9.{i:0>40}.{i:0>43}")
}

#[test]
fn as_many_tokens_as_the_bound_all_fit_however_they_spread_over_shards() {
    // Tokens never spread evenly: with bounds per shard, a shard receiving
    // more than its share would evict while the cache is not full.
    let limits = CacheLimits::new(10_000, 64 << 20);
    let cache = VerifiedTokens::new(limits);
    assert_eq!(cache.shards.len(), 64);
    let shared = claims("u", FAR);
    for i in 0..limits.max_entries() {
        cache.insert(&distinct_token(i), &shared, 1, 0, 0);
    }
    let missing = (0..limits.max_entries())
        .filter(|&i| cache.get(&distinct_token(i), 1).is_none())
        .count();
    assert_eq!(missing, 0);
    assert_eq!(cache.usage().entries, limits.max_entries());
    // One more makes room by evicting one.
    cache.insert(&distinct_token(limits.max_entries()), &shared, 1, 0, 0);
    assert_eq!(cache.usage().entries, limits.max_entries());
    assert_eq!(counted(&cache), limits.max_entries());
}

#[test]
fn threads_inserting_at_once_keep_the_cache_within_its_bound() {
    let limits = CacheLimits::new(1_000, 1 << 20);
    let cache = VerifiedTokens::new(limits);
    let shared = claims("u", FAR);
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let (cache, shared) = (&cache, &shared);
            scope.spawn(move || {
                for i in 0..20_000 {
                    cache.insert(&distinct_token(thread * 1_000_000 + i), shared, 1, 0, 0);
                    // The account holds what the shards hold plus the room
                    // reserved by inserts in flight: one per thread at most.
                    let usage = cache.usage();
                    assert!(usage.entries <= limits.max_entries() + 4, "{usage:?}");
                }
            });
        }
    });
    let usage = cache.usage();
    assert!(usage.entries <= limits.max_entries() && usage.bytes <= limits.max_bytes());
    // The account and the shards agree once every insert is done (counting
    // shard by shard only means something then).
    assert_eq!(counted(&cache), usage.entries);
}
