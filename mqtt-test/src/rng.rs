//! A small seeded pseudo-random generator, so simulations repeat exactly.

/// `SplitMix64`: a 64-bit generator with one word of state, good enough to vary chunk sizes and
/// jitter in tests, and identical on every platform for a given seed.
///
/// Not for cryptography. It exists so this crate needs no `rand` dependency and a failing test
/// can be replayed from its seed.
///
/// ```
/// use mqtt_test::SplitMix64;
///
/// let mut a = SplitMix64::new(7);
/// let mut b = SplitMix64::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// let n = a.range_inclusive(1, 6);
/// assert!((1..=6).contains(&n));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`; every seed, zero included, is fine.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `low..=high`; `low` when `high <= low`.
    ///
    /// The modulo bias is irrelevant for test inputs.
    pub fn range_inclusive(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        let span = high - low;
        match span.checked_add(1) {
            Some(n) => low + self.next_u64() % n,
            None => self.next_u64(),
        }
    }
}
