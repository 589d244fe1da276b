//! The verified-token cache: what a [`Verifier`](crate::Verifier) remembers
//! of the tokens it has accepted, so that a client reusing its access token
//! (what every client does, for the token's whole lifetime) is not charged a
//! signature check and a JSON parse on every request.
//!
//! What is remembered is only the *static* part of a verdict: this exact
//! token was signed by a key of a given [key-set
//! generation](crate::KeySet), has this issuer, audience and lifetime, and
//! parses to these claims. Everything that can change after the token was
//! accepted (the clock, revocations, the revocation view's freshness, the
//! keys) is checked again on every hit by the verifier, exactly as a full
//! verification checks it. Refusals are never remembered.
//!
//! The cache is sharded: a hit takes one shard's read lock for a hash probe,
//! and tokens spread over the shards, so cores do not queue on one lock. The
//! bounds hold for the whole cache, not per shard (a shard that happens to
//! receive more tokens than the average does not turn them away): an insert
//! first reserves its room in two shared counters, then evicts, oldest first,
//! until the reservation fits.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::mem::size_of;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use subtle::ConstantTimeEq as _;

use super::AccessClaims;

/// How many entries a verifier's cache holds by default: room for as many
/// live access tokens (one per signed-in client).
pub const DEFAULT_CACHE_ENTRIES: usize = 100_000;
/// How much memory a verifier's cache may hold by default, as accounted by
/// [`CacheLimits`]; a typical entry costs about 1.5 KiB.
pub const DEFAULT_CACHE_BYTES: usize = 160 * 1024 * 1024;

/// The bounds of a verifier's cache of accepted tokens: at most
/// `max_entries` tokens and at most `max_bytes` of memory, whichever is
/// reached first. When full, the oldest entries make room (tokens share a
/// lifetime, so the oldest are the closest to expiry); expired ones go first.
///
/// The memory of an entry is accounted as the token, the heap of its claims
/// (the application's own claims counted as the size of the JSON they came
/// from), the entry itself, and a per-allocation overhead; the tests check
/// the account against a counting allocator.
///
/// ```
/// use auth_core::{Algorithm, KeySet, TokenIssuer, token::CacheLimits};
///
/// let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA)?, "https://id.example", "api");
/// let verifier = issuer.verifier().cache_limits(CacheLimits::new(10_000, 16 << 20));
/// assert_eq!(verifier.cache_usage().map(|usage| usage.entries), Some(0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    max_entries: usize,
    max_bytes: usize,
}

impl CacheLimits {
    /// At most `max_entries` tokens and `max_bytes` bytes.
    pub const fn new(max_entries: usize, max_bytes: usize) -> Self {
        CacheLimits {
            max_entries,
            max_bytes,
        }
    }

    /// The most tokens held.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// The most memory held, in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }
}

impl Default for CacheLimits {
    /// [`DEFAULT_CACHE_ENTRIES`] and [`DEFAULT_CACHE_BYTES`].
    fn default() -> Self {
        CacheLimits::new(DEFAULT_CACHE_ENTRIES, DEFAULT_CACHE_BYTES)
    }
}

/// What a verifier's cache holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheUsage {
    /// Tokens held.
    pub entries: usize,
    /// Memory held, as accounted (see [`CacheLimits`]).
    pub bytes: usize,
}

/// The most shards; more would only spread small caches thin.
const MAX_SHARDS: usize = 64;
/// The fewest entries a shard is made for, on average.
const MIN_ENTRIES_PER_SHARD: usize = 16;
/// How much of a token's end is hashed to index it. The end of a token is its
/// signature: for a token that can be in the cache, chosen by the signer
/// alone. Hashing it alone keeps the cost of a lookup constant whatever the
/// token's length; the whole token is still compared on a hit.
const HASHED_TAIL: usize = 32;
/// What one heap allocation costs beyond its bytes (the allocator's header
/// and rounding), as accounted.
pub(crate) const ALLOCATION_OVERHEAD: usize = 16;

/// Accepted tokens and their claims, in shards.
pub(crate) struct VerifiedTokens<C> {
    shards: Box<[Shard<C>]>,
    /// Keyed per cache, so that nobody can aim tokens at one slot.
    hasher: RandomState,
    limits: CacheLimits,
    /// What all shards hold, reservations included; written on inserts
    /// and evictions only, never on a hit.
    held: Held,
}

/// The shared account, on a cache line of its own: its writes must not
/// evict the line a hit reads (`shards`, `hasher`) from other cores' caches.
#[repr(align(128))]
struct Held {
    entries: AtomicUsize,
    bytes: AtomicUsize,
    /// Where the next search for an entry to evict starts when the
    /// inserting shard has none.
    next_victim: AtomicUsize,
}

/// One shard, on a cache line (two, for prefetching neighbours) of its own so
/// that cores reading different shards do not contend.
#[repr(align(128))]
struct Shard<C>(RwLock<Entries<C>>);

struct Entries<C> {
    /// By the token's hash: one entry per hash. Two tokens with one hash (a
    /// 2⁻⁶⁴ event) take turns in the slot; neither is ever taken for the other.
    by_hash: HashMap<u64, Entry<C>, BuildHasherDefault<AlreadyHashed>>,
    /// Insertion order, oldest first. A slot whose entry was replaced since
    /// is skipped (its stamp no longer matches).
    order: VecDeque<Slot>,
    next_stamp: u64,
}

struct Entry<C> {
    token: Box<str>,
    claims: Arc<AccessClaims<C>>,
    /// The key-set generation the signature was checked under.
    key_generation: u64,
    cost: usize,
    stamp: u64,
}

#[derive(Clone, Copy)]
struct Slot {
    hash: u64,
    stamp: u64,
}

impl<C> VerifiedTokens<C> {
    /// An empty cache within `limits`.
    pub(crate) fn new(limits: CacheLimits) -> Self {
        let shard_count = (limits.max_entries / MIN_ENTRIES_PER_SHARD)
            .clamp(1, MAX_SHARDS)
            .next_power_of_two()
            .min(MAX_SHARDS);
        let shards = (0..shard_count)
            .map(|_| {
                Shard(RwLock::new(Entries {
                    by_hash: HashMap::default(),
                    order: VecDeque::new(),
                    next_stamp: 0,
                }))
            })
            .collect();
        VerifiedTokens {
            shards,
            hasher: RandomState::new(),
            limits,
            held: Held {
                entries: AtomicUsize::new(0),
                bytes: AtomicUsize::new(0),
                next_victim: AtomicUsize::new(0),
            },
        }
    }

    /// The claims of `token`, if it was accepted under keys of `key_generation`.
    #[inline]
    pub(crate) fn get(&self, token: &str, key_generation: u64) -> Option<Arc<AccessClaims<C>>> {
        let hash = self.hash(token);
        let entries = self.shard(hash)?.read();
        let entry = entries.by_hash.get(&hash)?;
        (entry.key_generation == key_generation && same_token(&entry.token, token))
            .then(|| Arc::clone(&entry.claims))
    }

    /// Remembers that `token` was accepted under keys of `key_generation`
    /// with `claims`, whose heap is `claims_heap` bytes. Entries whose `exp`
    /// is at or before `dead_at_or_before` are dropped from the token's shard
    /// first, then the oldest entries until the new one fits. An entry that
    /// cannot fit (larger than the whole bound, or the room taken by other
    /// inserts in flight) is not kept.
    pub(crate) fn insert(
        &self,
        token: &str,
        claims: &Arc<AccessClaims<C>>,
        key_generation: u64,
        claims_heap: usize,
        dead_at_or_before: i64,
    ) {
        let cost = entry_cost::<C>(token.len(), claims_heap);
        if cost > self.limits.max_bytes || self.limits.max_entries == 0 {
            return;
        }
        let hash = self.hash(token);
        let Some(home) = self.shard(hash) else {
            return;
        };
        {
            let mut entries = home.write();
            self.release(entries.remove(hash));
            entries.drop_expired(dead_at_or_before, |cost| self.release(Some(cost)));
        }
        // Reserve, then make room: the account never lets the shards hold
        // more than the bounds, whatever runs at the same time.
        self.held.entries.fetch_add(1, Ordering::AcqRel);
        self.held.bytes.fetch_add(cost, Ordering::AcqRel);
        if !self.make_room(home) {
            self.release(Some(cost));
            return;
        }
        let mut entries = home.write();
        // Another thread may have put the same token in meanwhile.
        self.release(entries.remove(hash));
        let stamp = entries.next_stamp;
        entries.next_stamp += 1;
        entries.order.push_back(Slot { hash, stamp });
        entries.by_hash.insert(
            hash,
            Entry {
                token: token.into(),
                claims: Arc::clone(claims),
                key_generation,
                cost,
                stamp,
            },
        );
        entries.compact_order();
    }

    /// Evicts the oldest entries, from `home` first, then from the other
    /// shards in turn, until the account is within the bounds. `false` if it
    /// cannot be (every shard is empty: the room is reserved by inserts in
    /// flight). One shard is locked at a time.
    fn make_room(&self, home: &Shard<C>) -> bool {
        let over = || {
            self.held.entries.load(Ordering::Acquire) > self.limits.max_entries
                || self.held.bytes.load(Ordering::Acquire) > self.limits.max_bytes
        };
        while over() {
            let evicted = home.write().evict_oldest();
            if evicted.is_some() {
                self.release(evicted);
                continue;
            }
            let mut found = false;
            for _ in 0..self.shards.len() {
                let index = self.held.next_victim.fetch_add(1, Ordering::Relaxed);
                let Some(victim) = self.shards.get(index % self.shards.len()) else {
                    continue;
                };
                let evicted = victim.write().evict_oldest();
                if evicted.is_some() {
                    self.release(evicted);
                    found = true;
                    break;
                }
            }
            if !found {
                return !over();
            }
        }
        true
    }

    /// Gives back the room of an entry of `cost` (none for `None`).
    fn release(&self, cost: Option<usize>) {
        if let Some(cost) = cost {
            self.held.entries.fetch_sub(1, Ordering::AcqRel);
            self.held.bytes.fetch_sub(cost, Ordering::AcqRel);
        }
    }

    /// What the cache holds now (room reserved by inserts in flight included).
    pub(crate) fn usage(&self) -> CacheUsage {
        CacheUsage {
            entries: self.held.entries.load(Ordering::Acquire),
            bytes: self.held.bytes.load(Ordering::Acquire),
        }
    }

    #[inline]
    fn hash(&self, token: &str) -> u64 {
        let tail = token.len().saturating_sub(HASHED_TAIL);
        let mut hasher = self.hasher.build_hasher();
        hasher.write_usize(token.len());
        hasher.write(token.as_bytes().get(tail..).unwrap_or_default());
        hasher.finish()
    }

    /// The shard of `hash`, chosen by bits that neither the map's bucket
    /// index (the low bits) nor its tag (the top seven) use.
    /// (Always `Some`: the index is masked to the count, a power of two.)
    #[inline]
    fn shard(&self, hash: u64) -> Option<&Shard<C>> {
        let index = (hash >> 32) as usize & (self.shards.len() - 1);
        self.shards.get(index)
    }
}

impl<C> Shard<C> {
    // A poisoned lock only means a panic between two map operations; the
    // account may then be off by one entry, never unsafe.
    #[inline]
    fn read(&self) -> RwLockReadGuard<'_, Entries<C>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Entries<C>> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C> Entries<C> {
    /// Removes the entry of `hash`, returning its cost.
    fn remove(&mut self, hash: u64) -> Option<usize> {
        self.by_hash.remove(&hash).map(|old| old.cost)
    }

    /// Drops the oldest entry, returning its cost; `None` when there is none.
    fn evict_oldest(&mut self) -> Option<usize> {
        while let Some(slot) = self.order.pop_front() {
            if self.holds(slot) {
                return self.remove(slot.hash);
            }
        }
        None
    }

    /// Drops expired entries from the old end, where they gather, telling
    /// `released` the cost of each.
    fn drop_expired(&mut self, dead_at_or_before: i64, mut released: impl FnMut(usize)) {
        while let Some(&slot) = self.order.front() {
            match self.by_hash.get(&slot.hash) {
                Some(entry) if entry.stamp == slot.stamp => {
                    if entry.claims.exp > dead_at_or_before {
                        return;
                    }
                    if let Some(cost) = self.remove(slot.hash) {
                        released(cost);
                    }
                }
                _ => {}
            }
            self.order.pop_front();
        }
    }

    /// Whether `slot` still names the entry it was made for.
    fn holds(&self, slot: Slot) -> bool {
        self.by_hash
            .get(&slot.hash)
            .is_some_and(|entry| entry.stamp == slot.stamp)
    }

    /// Forgets the slots of replaced entries once they outnumber the live
    /// ones, so the order stays within twice the entries.
    fn compact_order(&mut self) {
        if self.order.len() > 2 * self.by_hash.len().max(MIN_ENTRIES_PER_SHARD) {
            let live: VecDeque<Slot> = self
                .order
                .iter()
                .copied()
                .filter(|&slot| self.holds(slot))
                .collect();
            self.order = live;
        }
    }
}

/// The accounted memory of one entry.
fn entry_cost<C>(token_len: usize, claims_heap: usize) -> usize {
    // The map's slots and the order's are counted twice: both grow by
    // doubling, so up to half of their capacity may be empty.
    let slots = 2 * (size_of::<(u64, Entry<C>)>() + 1 + size_of::<Slot>());
    // The claims live in an `Arc` (two counters beside them).
    let claims = 2 * size_of::<usize>() + size_of::<AccessClaims<C>>() + ALLOCATION_OVERHEAD;
    let token = token_len + ALLOCATION_OVERHEAD;
    slots + claims + token + claims_heap
}

/// Whether two tokens are the same, in time that depends only on their
/// lengths: a cached token is a secret, and how much of it a guess matches
/// must not show. Eight bytes at a time, then the tail; the accumulator is
/// compared with `subtle`.
#[inline]
fn same_token(cached: &str, presented: &str) -> bool {
    let (a, b) = (cached.as_bytes(), presented.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut difference = 0u64;
    let (a_words, b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let (a_rest, b_rest) = (a_words.remainder(), b_words.remainder());
    for (x, y) in a_words.zip(b_words) {
        let mut xw = [0u8; 8];
        let mut yw = [0u8; 8];
        xw.copy_from_slice(x);
        yw.copy_from_slice(y);
        difference |= u64::from_ne_bytes(xw) ^ u64::from_ne_bytes(yw);
    }
    for (x, y) in a_rest.iter().zip(b_rest) {
        difference |= u64::from(x ^ y);
    }
    difference.ct_eq(&0).into()
}

/// The map's hasher for keys that are already hashes.
#[derive(Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; fold anything else in all the same.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

#[cfg(test)]
mod tests;
