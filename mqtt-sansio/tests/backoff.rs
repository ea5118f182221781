//! The reconnect delays: exponential ceilings, full jitter, throttled delays.

use core::time::Duration;

use mqtt_sansio::Backoff;
use proptest::prelude::*;

#[test]
fn default_is_20_ms_doubling_to_3_minutes() {
    let b = Backoff::default();
    let ceilings: Vec<_> = (0..6).map(|n| b.ceiling(n).as_millis()).collect();
    assert_eq!(ceilings, [20, 40, 80, 160, 320, 640]);
    // 20 ms × 2^13 = 163.84 s; the next would pass 180 s.
    assert_eq!(b.ceiling(13), Duration::from_millis(163_840));
    assert_eq!(b.ceiling(14), Duration::from_secs(180));
    assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(180));
}

#[test]
fn factor_zero_is_a_constant_delay() {
    let b = Backoff::new(Duration::from_millis(5), 0, Duration::from_secs(1));
    assert_eq!(b.factor(), 1);
    assert_eq!(b.ceiling(0), b.ceiling(1000));
}

#[test]
fn jitter_spans_zero_to_the_ceiling() {
    let b = Backoff::default();
    assert_eq!(b.delay(4, 0), Duration::ZERO);
    assert_eq!(b.delay(4, u32::MAX), b.ceiling(4));
    assert_eq!(b.delay(1, u32::MAX / 2), Duration::from_nanos(19_999_999));
    assert_eq!(b.throttled_delay(4, 0), b.ceiling(4) / 2);
    assert_eq!(b.throttled_delay(4, u32::MAX), b.ceiling(4));
}

proptest! {
    #[test]
    fn delays_stay_within_their_ceiling(
        base_ms in 0u64..10_000,
        factor in 0u32..10,
        cap_s in 0u64..100_000,
        attempt in any::<u32>(),
        jitter in any::<u32>(),
    ) {
        let b = Backoff::new(Duration::from_millis(base_ms), factor, Duration::from_secs(cap_s));
        let ceiling = b.ceiling(attempt);
        prop_assert!(ceiling <= b.cap());
        prop_assert!(b.ceiling(attempt.saturating_add(1)) >= ceiling);
        prop_assert!(b.delay(attempt, jitter) <= ceiling);
        let throttled = b.throttled_delay(attempt, jitter);
        prop_assert!(throttled >= ceiling / 2 && throttled <= ceiling);
        // Monotone in the jitter.
        prop_assert!(b.delay(attempt, jitter) <= b.delay(attempt, jitter.saturating_add(1)));
    }
}
