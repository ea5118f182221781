//! Support for the benchmarks in `benches/`: a global allocator that counts allocations, and
//! [`without_log_fallback`] for the processes that run a client.
//!
//! A benchmark binary installs it and reads the count around what it measures:
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: mqtt_benches::Counting = mqtt_benches::Counting;
//!
//! let before = mqtt_benches::allocations();
//! // ... the measured work ...
//! let made = mqtt_benches::allocations() - before;
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// Forwards to the system allocator, counting allocations and reallocations.
pub struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Allocations and reallocations made through [`Counting`] so far.
#[must_use]
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

// SAFETY: forwards every call to the system allocator unchanged, only counting.
#[expect(
    unsafe_code,
    reason = "a global allocator is an unsafe trait; this one only counts"
)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// The median of `values` (the upper one of an even count); NaN when there are none.
#[must_use]
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Sets a global `tracing` dispatcher that takes nothing, so that the client's spans and
/// events cost what they cost in a user's program with no subscriber.
///
/// The benchmarks' build has `tracing`'s `log` feature on (`mqtt-suite` brings rumqttd, which
/// turns it on), and with it, while no dispatcher is set, every span entered and every span
/// built with fields is offered to `log` as well: work a program built without the feature (as
/// `mqtt-tokio` is by default) never does. With a dispatcher set, `tracing` does not fall back
/// to `log`, and one that is interested in nothing disables every callsite, as no subscriber
/// does. Call it first in a process that measures a client.
///
/// # Panics
/// When a global dispatcher is set already.
pub fn without_log_fallback() {
    tracing::dispatcher::set_global_default(tracing::Dispatch::new(
        tracing::subscriber::NoSubscriber::default(),
    ))
    .expect("no global dispatcher yet");
}
