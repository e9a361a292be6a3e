//! How a pool of concurrent reads (the tag table's HEADs) backs off when the registry
//! keeps answering 429 (Too Many Requests) after [`Registry::execute`] already asked
//! again as it said: the whole pool pauses, a few times in a row, then stops asking.
//!
//! [`Registry::execute`]: super::client::Registry

use std::cell::Cell;

/// Pauses of the whole pool in a row before it stops asking: the rate-limited read
/// and every read still queued are told as failed, unasked (the user's "Read again"
/// asks again, later).
pub const MAX_PAUSES_IN_A_ROW: u32 = 4;

/// A pause when the 429 has no Retry-After, and the longest one: a registry's
/// Retry-After may ask for hours, and a row that says it failed serves better.
pub const PAUSE_WITHOUT_RETRY_AFTER_MS: u32 = 5_000;
pub const LONGEST_PAUSE_MS: u32 = 60_000;

/// The pauses a pool has taken since its last answer that was not a 429. Shared by
/// the pool's workers (one task each, on one thread), hence the `Cell`.
#[derive(Debug, Default)]
pub struct RateLimitPauses {
    in_a_row: Cell<u32>,
}

impl RateLimitPauses {
    /// Whether a read answered 429 goes back to the queue, for after a pause; false
    /// once the pool has paused [`MAX_PAUSES_IN_A_ROW`] times in a row: stop asking.
    pub fn may_pause(&self) -> bool {
        self.in_a_row.get() < MAX_PAUSES_IN_A_ROW
    }

    /// Counts the pause the pool takes now (by the one worker that takes it; the
    /// others wait for it) and says how long, from the answer's Retry-After seconds.
    pub fn pause_ms(&self, retry_after_seconds: Option<u64>) -> u32 {
        self.in_a_row.set(self.in_a_row.get() + 1);
        retry_after_seconds.map_or(PAUSE_WITHOUT_RETRY_AFTER_MS, |seconds| {
            let ms = seconds
                .saturating_mul(1000)
                .min(u64::from(LONGEST_PAUSE_MS));
            u32::try_from(ms).unwrap_or(LONGEST_PAUSE_MS)
        })
    }

    /// An answer that was not a 429, or the user asking again: the count starts over.
    pub fn start_over(&self) {
        self.in_a_row.set(0);
    }
}
