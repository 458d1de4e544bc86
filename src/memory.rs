//! The allocator's settings: one arena for every thread ([`one_arena`]), and freed memory given
//! back to the system.
//!
//! glibc's allocator keeps what a burst of calls freed (1000 calls in flight leave ~10 MB of free
//! chunks between live ones) and returns only a free block at the very top of its heap. So the
//! server asks it to return every free page once things have gone quiet for a moment
//! ([`release_soon`]): once start-up is done, after a `tools/list` (the list is parsed from the
//! schemas' text for each answer and dropped once sent), and after the end of a burst of at least
//! [`BURST_CALLS`] calls in flight. Every call that starts pushes that moment back, so bursts that
//! follow one another back to back share one trim after the last: a trim hands the pages back and
//! the next burst would pay a page fault for each of them again (measured: 2 faults per call,
//! ~6% of the CPU of a call, when every burst's end trimmed at once). A trim of a few MB takes
//! well under a millisecond, and waves of ordinary size never ask for one.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Calls in flight at once, at some moment since the last trim, that make their end a burst.
pub const BURST_CALLS: usize = 256;

/// Counts the calls in flight and trims after a burst.
#[derive(Debug, Default)]
pub struct Bursts {
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    trims: AtomicUsize,
}

impl Bursts {
    /// Counts a call in; the guard counts it out when dropped (answered or cancelled).
    pub fn enter(&self) -> InFlight<'_> {
        ACTIVITY.fetch_add(1, Ordering::Relaxed);
        let now = self
            .in_flight
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        self.peak.fetch_max(now, Ordering::Relaxed);
        InFlight { bursts: self }
    }

    /// How many times a burst's end has asked for a trim.
    pub fn trims(&self) -> usize {
        self.trims.load(Ordering::Relaxed)
    }
}

/// One call in flight.
pub struct InFlight<'a> {
    bursts: &'a Bursts,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let b = self.bursts;
        if b.in_flight.fetch_sub(1, Ordering::Relaxed) == 1
            && b.peak.load(Ordering::Relaxed) >= BURST_CALLS
        {
            b.peak.store(0, Ordering::Relaxed);
            b.trims.fetch_add(1, Ordering::Relaxed);
            release_soon();
        }
    }
}

/// Calls started so far, in every pipeline: a trim waits until this stops moving.
static ACTIVITY: AtomicUsize = AtomicUsize::new(0);

/// Trims once things have been quiet for a moment (no call started and nothing else asked for
/// 50 ms, or at the latest a second after the first ask): for memory that is freed only after a
/// handler returns (a `tools/list` answer is serialised and dropped by the transport), and for
/// the end of a burst. A run of listings or of bursts ends with one trim after the last. Without
/// a tokio runtime it trims at once.
pub fn release_soon() {
    use std::sync::atomic::{AtomicBool, AtomicU64};
    static PENDING: AtomicBool = AtomicBool::new(false);
    static ASKED: AtomicU64 = AtomicU64::new(0);
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        release_free_memory();
        return;
    };
    ASKED.fetch_add(1, Ordering::AcqRel);
    if PENDING.swap(true, Ordering::AcqRel) {
        return;
    }
    // What moves while things are busy: asks for a trim, and calls started.
    let stirring = || {
        (
            ASKED.load(Ordering::Acquire),
            ACTIVITY.load(Ordering::Relaxed),
        )
    };
    handle.spawn(async move {
        // Pushed back at most 20 times (a second): a steady trickle of calls after a burst does
        // not keep its memory held for good.
        for _ in 0..20 {
            let seen = stirring();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if stirring() == seen {
                break;
            }
        }
        PENDING.store(false, Ordering::Release);
        release_free_memory();
    });
}

/// Keeps every thread's allocations in one glibc arena. By default each thread that allocates
/// gets its own (HTTP mode runs several), and each holds its own free memory: measured with 40
/// open sessions, one arena holds 1.6 MB less, and the per-thread caches glibc keeps in front of
/// the arena leave the tool calls no slower. Call it first thing, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn one_arena() {
    // SAFETY: mallopt only sets an allocator parameter; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Keeps allocations in one arena; other platforms' allocators decide alone.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn one_arena() {}

/// Returns the allocator's free pages to the system (glibc's `malloc_trim`); nothing elsewhere.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() {
    // SAFETY: malloc_trim takes a byte count, touches only the allocator's own free lists (under
    // its locks, so any thread may call it at any time) and has no other precondition.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Returns the allocator's free pages to the system; other platforms' allocators do so alone.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_end_of_a_burst_trims() {
        let b = Bursts::default();
        // Waves below the burst size never trim.
        for _ in 0..10 {
            let wave: Vec<_> = (0..BURST_CALLS - 1).map(|_| b.enter()).collect();
            drop(wave);
        }
        assert_eq!(b.trims(), 0);
        // A burst trims once, when its last call ends, not before.
        let mut burst: Vec<_> = (0..BURST_CALLS + 10).map(|_| b.enter()).collect();
        let last = burst.pop();
        drop(burst);
        assert_eq!(b.trims(), 0);
        drop(last);
        assert_eq!(b.trims(), 1);
        // The peak starts again: a small wave after it does not trim.
        drop((0..5).map(|_| b.enter()).collect::<Vec<_>>());
        assert_eq!(b.trims(), 1);
    }

    #[test]
    fn release_free_memory_can_run_any_time() {
        let v: Vec<Vec<u8>> = (0..1000).map(|i| vec![0u8; 1000 + i]).collect();
        drop(v);
        release_free_memory();
        release_free_memory();
    }
}
