//! What one file's parse may spend: time and memory, so that no input can hold a batch or exhaust
//! the machine.
//!
//! Memory is counted per thread by the process's allocator ([`CountingAllocator`]: the system
//! allocator plus two thread-local counters), because a file is parsed on one thread from start to
//! end. The parser calls [`checkpoint`] in its loops (token streams, the assignment search, the
//! readers' walks); past its budget a checkpoint unwinds the parse to [`within`], which reports
//! what was exceeded. An allocation itself is never refused: a refused allocation aborts the
//! process, which is exactly what a budget is for avoiding. Third-party code that runs between
//! checkpoints is bounded by the readers' size limits instead (file size, unpacked DOCX, decoded
//! PDF streams). A panic anywhere in the parse becomes an error of that file too.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::{Duration, Instant};

/// The system allocator, counting the bytes each thread holds.
pub struct CountingAllocator;

thread_local! {
    /// Bytes allocated minus bytes freed by this thread (frees of other threads' blocks make it
    /// smaller; only differences within one parse are used).
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The highest `LIVE` since the current parse began.
    static PEAK: Cell<isize> = const { Cell::new(0) };
    /// The current parse's budget on this thread, if one runs.
    static ACCOUNT: Cell<Option<Account>> = const { Cell::new(None) };
}

fn count(change: isize) {
    // `try_with`: the counters hold no destructor, but a thread being torn down may still allocate.
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(change);
        live.set(now);
        if change > 0 {
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
        }
    });
}

// SAFETY: every call is passed to `System` unchanged; the counting touches only thread-local cells
// that need no allocation.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

/// What one file's parse may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub time: Duration,
    /// Bytes the parse may hold at once, beyond what its thread held when it began.
    pub memory: usize,
}

impl Budget {
    /// Reports parse in milliseconds and need a few MB; the largest real ones (long PDFs) tens of
    /// MB. Two minutes and 1 GiB leave room for any real report, and the run's concurrency times
    /// 1 GiB bounds what a batch of hostile files can take.
    pub const DEFAULT: Budget = Budget { time: Duration::from_secs(120), memory: 1 << 30 };
}

impl Default for Budget {
    fn default() -> Self {
        Budget::DEFAULT
    }
}

/// Why a parse stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stopped {
    #[error("parsing took longer than the budget of {} s a file", .0.as_secs_f64())]
    Time(Duration),
    #[error("parsing needed more memory than the budget of {} MiB a file", .0 >> 20)]
    Memory(usize),
    #[error("the parser failed on this file ({0}); the raw file is kept for a later parser")]
    Panicked(String),
}

#[derive(Clone, Copy)]
struct Account {
    budget: Budget,
    deadline: Instant,
    /// `LIVE` when the parse began.
    start: isize,
    /// Checkpoints passed; the clock is read at every 64th.
    ticks: u32,
}

/// Run `parse` on this thread within `budget`. A checkpoint past the budget, a parse that ends
/// having held more memory than the budget, and a panic are each returned as [`Stopped`].
/// Not nested: an inner call would reset the outer one's peak.
pub fn within<T>(budget: Budget, parse: impl FnOnce() -> T) -> Result<T, Stopped> {
    let start = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    let deadline = Instant::now().checked_add(budget.time).unwrap_or_else(far_future);
    let outer = ACCOUNT.replace(Some(Account { budget, deadline, start, ticks: 0 }));
    let result = catch_unwind(AssertUnwindSafe(parse));
    let held = PEAK.with(Cell::get) - start;
    ACCOUNT.set(outer);
    match result {
        Ok(_) if held > budget.memory as isize => Err(Stopped::Memory(budget.memory)),
        Ok(value) => Ok(value),
        Err(payload) => Err(match payload.downcast::<Stopped>() {
            Ok(stopped) => *stopped,
            Err(payload) => Stopped::Panicked(panic_message(payload.as_ref())),
        }),
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

/// Stop the current parse (unwinding to [`within`]) when it is past its budget. Cheap: two
/// thread-local reads, and the clock at every 64th call. Does nothing outside [`within`].
pub fn checkpoint() {
    let Some(mut account) = ACCOUNT.with(Cell::get) else { return };
    if PEAK.with(Cell::get) - account.start > account.budget.memory as isize {
        stop(Stopped::Memory(account.budget.memory));
    }
    if account.ticks % 64 == 0 && Instant::now() >= account.deadline {
        stop(Stopped::Time(account.budget.time));
    }
    account.ticks = account.ticks.wrapping_add(1);
    ACCOUNT.set(Some(account));
}

fn stop(why: Stopped) -> ! {
    // Disarm first: code that runs while unwinding must not stop again.
    ACCOUNT.set(None);
    // `resume_unwind` does not run the panic hook: a budget is not a bug, nothing is printed.
    resume_unwind(Box::new(why))
}

/// Whether a caught panic is a budget's stop, which code that catches panics of libraries (the PDF
/// reader) must pass on rather than report as the library's failure.
pub fn is_stop(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<Stopped>()
}

/// A panic's message, as `panic!` gives it.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("a panic with no message");
    text.lines().next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(rounds: usize) -> usize {
        let mut n = 0;
        for i in 0..rounds {
            checkpoint();
            n += i % 7;
        }
        n
    }

    #[test]
    fn a_parse_within_its_budget_returns_its_value() {
        assert_eq!(within(Budget::DEFAULT, || busy(1000)), Ok(busy(1000)));
    }

    #[test]
    fn memory_held_past_the_budget_stops_the_parse_at_the_next_checkpoint() {
        let budget = Budget { memory: 8 << 20, ..Budget::DEFAULT };
        let mut reached = false;
        let got = within(budget, || {
            let held = std::hint::black_box(vec![1u8; 32 << 20]);
            checkpoint();
            reached = true;
            held.len()
        });
        assert_eq!(got, Err(Stopped::Memory(8 << 20)));
        assert!(!reached, "the checkpoint did not stop the parse");
        // Memory held for a moment between checkpoints counts too: the peak is what is measured.
        let got = within(budget, || std::hint::black_box(vec![1u8; 32 << 20]).len());
        assert_eq!(got, Err(Stopped::Memory(8 << 20)));
        // Memory that the thread held before the parse is not the parse's.
        let before = std::hint::black_box(vec![1u8; 32 << 20]);
        assert_eq!(within(budget, || busy(10)), Ok(busy(10)));
        drop(before);
    }

    #[test]
    fn a_parse_past_its_time_stops_at_a_checkpoint() {
        let budget = Budget { time: Duration::ZERO, ..Budget::DEFAULT };
        assert_eq!(within(budget, || busy(1000)), Err(Stopped::Time(Duration::ZERO)));
        // Without checkpoints there is nothing to stop: the caller's own timeout covers that.
        assert_eq!(within(budget, || 7), Ok(7));
    }

    #[test]
    fn a_panic_is_the_file_error_and_checkpoints_outside_a_parse_do_nothing() {
        let got = within(Budget::DEFAULT, || -> usize { panic!("index out of range\nmore") });
        assert_eq!(got, Err(Stopped::Panicked("index out of range".into())));
        checkpoint();
        let budget = Budget { time: Duration::ZERO, memory: 0 };
        assert!(within(budget, || busy(5)).is_err());
        // The budget ended with its parse.
        assert_eq!(busy(1000), busy(1000));
    }
}
