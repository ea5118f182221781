//! The random source of the reconnect jitter: random by default, seeded for runs that must
//! repeat exactly.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};

/// Where the uniformly random numbers that spread reconnect attempts come from
/// ([`Backoff::delay`](mqtt_sansio::Backoff::delay)'s `jitter`).
///
/// Clones share one source. A seeded source gives the same sequence every run, so a
/// fault-injection run with a seed repeats its delays exactly.
///
/// ```
/// use mqtt_driver::Jitter;
///
/// let a = Jitter::seeded(7);
/// let b = Jitter::seeded(7);
/// let first: Vec<u32> = (0..4).map(|_| a.next()).collect();
/// assert_eq!(first, (0..4).map(|_| b.next()).collect::<Vec<_>>());
///
/// let fixed = Jitter::from_fn(|| u32::MAX / 2);
/// assert_eq!(fixed.next(), u32::MAX / 2);
/// ```
#[derive(Clone)]
pub struct Jitter(Arc<Mutex<Source>>);

enum Source {
    Random { state: RandomState, count: u64 },
    Seeded(u64),
    Custom(Box<dyn FnMut() -> u32 + Send>),
}

impl Jitter {
    /// A source seeded by the operating system, different in every run. The default.
    #[must_use]
    pub fn random() -> Self {
        Self::new(Source::Random {
            state: RandomState::new(),
            count: 0,
        })
    }

    /// A source that gives the same sequence for the same `seed` (the `SplitMix64` generator).
    #[must_use]
    pub fn seeded(seed: u64) -> Self {
        Self::new(Source::Seeded(seed))
    }

    /// A source of the application's own.
    pub fn from_fn(next: impl FnMut() -> u32 + Send + 'static) -> Self {
        Self::new(Source::Custom(Box::new(next)))
    }

    fn new(source: Source) -> Self {
        Self(Arc::new(Mutex::new(source)))
    }

    /// The next number.
    #[must_use]
    pub fn next(&self) -> u32 {
        let mut source = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *source {
            Source::Random { state, count } => {
                *count += 1;
                high_half(state.hash_one(*count))
            }
            Source::Seeded(state) => {
                // SplitMix64 (Steele, Lea and Flood, 2014).
                *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = *state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                high_half(z ^ (z >> 31))
            }
            Source::Custom(next) => next(),
        }
    }
}

/// The upper 32 bits, the better mixed half of a 64-bit hash.
fn high_half(x: u64) -> u32 {
    u32::try_from(x >> 32).unwrap_or(u32::MAX)
}

impl Default for Jitter {
    fn default() -> Self {
        Self::random()
    }
}

impl fmt::Debug for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f.write_str(match &*source {
            Source::Random { .. } => "Jitter::random()",
            Source::Seeded(_) => "Jitter::seeded(..)",
            Source::Custom(_) => "Jitter::from_fn(..)",
        })
    }
}
