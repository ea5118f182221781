//! Time as the driver gives it: a monotonic timestamp without a clock behind it.

use core::ops::{Add, Sub};
use core::time::Duration;

/// A point on the driver's monotonic clock, in nanoseconds from an origin the driver picks.
///
/// The core never reads a clock: every input carries `now`, and deadlines come back as
/// `Instant`s. A driver converts from its runtime's clock, for example by counting from the
/// `std::time::Instant` at which it started. Arithmetic saturates instead of overflowing.
///
/// ```
/// use core::time::Duration;
/// use mqtt_sansio::Instant;
///
/// let start = Instant::from_nanos(1_000);
/// let later = start + Duration::from_secs(5);
/// assert_eq!(later - start, Duration::from_secs(5));
/// assert_eq!(start - later, Duration::ZERO);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The driver's origin.
    pub const ZERO: Self = Self(0);

    /// The instant `nanos` nanoseconds after the origin.
    #[must_use]
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// Nanoseconds since the origin.
    #[must_use]
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The time from `earlier` to `self`, zero when `earlier` is later.
    #[must_use]
    pub const fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// Nanoseconds of `d`, saturating at `u64::MAX` (584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Add<Duration> for Instant {
    type Output = Self;

    fn add(self, rhs: Duration) -> Self {
        Self(self.0.saturating_add(nanos(rhs)))
    }
}

impl Sub for Instant {
    type Output = Duration;

    fn sub(self, rhs: Self) -> Duration {
        self.saturating_duration_since(rhs)
    }
}
