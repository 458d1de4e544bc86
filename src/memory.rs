//! The allocator (mimalloc, [`ALLOCATOR`]) and freed memory given back to the system.
//!
//! An allocator keeps what a burst of calls freed (1000 calls in flight leave ~10 MB of free
//! pages) in case the next burst wants it. So the server asks it to return every free page once
//! things have gone quiet for a moment ([`release_soon`]): once start-up is done, after a
//! `tools/list` (the list is parsed from the schemas' text for each answer and dropped once sent),
//! and after the end of a burst of at least [`BURST_CALLS`] calls in flight. Every call that
//! starts or ends pushes that moment back, so bursts that follow one another back to back share
//! one trim after the last: a trim hands the pages back and the next burst would pay a page fault
//! for each of them again (measured: 2 faults per call, ~6% of the CPU of a call, when every
//! burst's end trimmed at once). A trim of a few MB takes well under a millisecond, and waves of
//! ordinary size never ask for one. In the stdio server these trims are the only purges:
//! mimalloc's own, a second after memory is freed, would hand pages back in the middle of a
//! burst just the same ([`quiet_trims_only`]).

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
        ACTIVITY.fetch_add(1, Ordering::Relaxed);
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

/// How long nothing must stir before a trim.
pub const QUIET: std::time::Duration = std::time::Duration::from_millis(50);

/// The longest a trim waits for things to go quiet. Under a load that never stops, the pages a
/// burst freed are handed back this often at most: the load would only fault them in again.
pub const LONGEST_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Calls started and calls ended so far, in every pipeline: a trim waits until this stops
/// moving. A pipelined burst starts all its calls at once and then works through them for a
/// while (at most PORTKEY_MAX_CONCURRENCY at a time): its ends keep a trim from landing in the
/// middle of it.
static ACTIVITY: AtomicUsize = AtomicUsize::new(0);

/// Trims once things have been quiet for a moment (no call started or ended and nothing else
/// asked for [`QUIET`], or at the latest [`LONGEST_WAIT`] after the first ask): for memory that
/// is freed only after a handler returns (a `tools/list` answer is serialised and dropped by the
/// transport), and for the end of a burst. A run of listings or of bursts ends with one trim after the last.
/// Without a tokio runtime it trims at once.
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
    // What moves while things are busy: asks for a trim, and calls starting or ending.
    let stirring = || {
        (
            ASKED.load(Ordering::Acquire),
            ACTIVITY.load(Ordering::Relaxed),
        )
    };
    handle.spawn(async move {
        // Pushed back for at most LONGEST_WAIT: a steady trickle of calls after a burst does not
        // keep its memory held for good.
        for _ in 0..(LONGEST_WAIT.as_millis() / QUIET.as_millis()) {
            let seen = stirring();
            tokio::time::sleep(QUIET).await;
            if stirring() == seen {
                break;
            }
        }
        PENDING.store(false, Ordering::Release);
        release_free_memory();
    });
}

/// Every binary built on this library allocates through mimalloc: a tool call makes about 140
/// allocations, and with mimalloc a call costs about a tenth less CPU than with glibc's malloc,
/// for about 1 MB more resident (README's allocator paragraph has the measurements).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps the process on ordinary 4 KiB pages. Where the kernel backs every suitably aligned
/// region with 2 MiB pages (`transparent_hugepage=always`, common on servers), mimalloc's
/// aligned arena would hold 2 MiB resident for the few KiB it first uses: 13.6 MB idle instead
/// of 10.4 MB (measured, dynamically linked build). The flag covers the pages touched after it is
/// set, and mimalloc touches its arena in its own constructor, before `main`: so the binary runs
/// this from a constructor of its own that comes first (`EARLY` in `main.rs`).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[allow(unsafe_code)]
pub extern "C" fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process's memory map; the unused
    // arguments are zero as the call requires. It allocates nothing, so it may run before main.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// mimalloc's index of its `purge_delay` option (`mi_option_purge_delay` in `mimalloc.h`; the
/// Rust bindings do not name it). A test checks the index still holds that option.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long mimalloc waits before purging freed memory on its own once [`quiet_trims_only`]
/// is in force: a backstop; the trims at quiet moments come first.
const OWN_PURGE_DELAY_MS: std::ffi::c_long = 60_000;

/// Leaves handing freed pages back to the trims at quiet moments ([`release_soon`]): mimalloc
/// otherwise purges memory freed a second before (its default `purge_delay`) even while the
/// server is busy, and the next calls fault the same pages in again (about one page fault per
/// call through a series of bursts, measured). For the stdio server, where every call runs on
/// the thread that trims; under HTTP each worker thread's heap is left on mimalloc's clock.
#[allow(unsafe_code)]
pub fn quiet_trims_only() {
    // SAFETY: mi_option_set stores a number in mimalloc's option table; it may be called at any
    // time, and the index is the purge delay's (see MI_OPTION_PURGE_DELAY).
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, OWN_PURGE_DELAY_MS);
    }
}

/// Returns the allocator's free pages to the system: mimalloc frees the empty pages of the
/// calling thread's heap and gives their memory back at once instead of after its own delay.
/// The stdio server runs every call on one thread, so that is all of its free memory; under
/// HTTP each worker thread's heap is returned by mimalloc's own purge.
#[allow(unsafe_code)]
pub fn release_free_memory() {
    // SAFETY: mi_collect takes a flag, works only on mimalloc's own structures for the calling
    // thread (and memory no thread owns any more), and may be called at any time.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

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
    #[allow(unsafe_code)]
    fn the_purge_delay_index_names_that_option() {
        // SAFETY: reads mimalloc's option table.
        let get = || unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        // mimalloc 3's default purge delay (options.c); another option at this index would
        // have another default.
        assert_eq!(get(), 1000);
        quiet_trims_only();
        assert_eq!(get(), OWN_PURGE_DELAY_MS);
    }

    #[test]
    fn release_free_memory_can_run_any_time() {
        let v: Vec<Vec<u8>> = (0..1000).map(|i| vec![0u8; 1000 + i]).collect();
        drop(v);
        release_free_memory();
        release_free_memory();
    }
}
