//! The reconnect delays: exponential ceilings, a floor, jitter, throttled delays.

use core::time::Duration;

use mqtt_sansio::Backoff;
use proptest::prelude::*;

const MS: fn(u64) -> Duration = Duration::from_millis;

#[test]
fn default_is_100_ms_doubling_to_2_minutes_with_a_50_ms_floor() {
    let b = Backoff::default();
    assert_eq!(b, Backoff::DEFAULT);
    let ceilings: Vec<_> = (0..6).map(|n| b.ceiling(n).as_millis()).collect();
    assert_eq!(ceilings, [100, 200, 400, 800, 1600, 3200]);
    // 100 ms × 2^10 = 102.4 s; the next would pass 120 s.
    assert_eq!(b.ceiling(10), MS(102_400));
    assert_eq!(b.ceiling(11), Duration::from_secs(120));
    assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(120));
    assert_eq!(b.floor(), MS(50));
    assert_eq!(
        (b.base(), b.factor(), b.cap()),
        (MS(100), 2, Duration::from_secs(120))
    );
}

#[test]
fn the_factor_sets_the_growth() {
    let b = Backoff::new(MS(10), 3, Duration::from_secs(100));
    assert_eq!(b.factor(), 3);
    let ceilings: Vec<_> = (0..4).map(|n| b.ceiling(n).as_millis()).collect();
    assert_eq!(ceilings, [10, 30, 90, 270]);
}

#[test]
fn factor_zero_is_a_constant_ceiling() {
    let b = Backoff::new(MS(5), 0, Duration::from_secs(1));
    assert_eq!(b.factor(), 1);
    assert_eq!(b.ceiling(0), b.ceiling(1000));
}

#[test]
fn the_floor_is_half_the_base_unless_set() {
    assert_eq!(
        Backoff::new(MS(3), 2, MS(100)).floor(),
        Duration::from_micros(1500)
    );
    assert_eq!(
        Backoff::new(Duration::from_millis(1500), 2, Duration::from_secs(9)).floor(),
        MS(750)
    );
    let b = Backoff::new(MS(100), 2, Duration::from_secs(1)).with_floor(MS(30));
    assert_eq!(b.floor(), MS(30));
    assert_eq!(b.delay(0, 0), MS(30));
    // A floor above the cap makes every delay the floor.
    let b = Backoff::new(MS(100), 2, MS(200)).with_floor(MS(500));
    assert_eq!(b.ceiling(9), MS(500));
    assert_eq!(b.delay(9, u32::MAX), MS(500));
    assert_eq!(b.throttled_delay(9, 0), MS(500));
}

#[test]
fn jitter_spans_the_floor_to_the_ceiling() {
    let b = Backoff::default();
    assert_eq!(b.delay(4, 0), MS(50));
    assert_eq!(b.delay(4, u32::MAX), b.ceiling(4));
    // Half way from 50 ms to 200 ms.
    assert_eq!(b.delay(1, u32::MAX / 2), Duration::from_nanos(124_999_999));
}

#[test]
fn throttled_delays_start_three_steps_up_and_keep_half_of_it() {
    let b = Backoff::default();
    // Attempt 0 throttled: the ceiling of attempt 3 (800 ms), at least half of it.
    assert_eq!(b.throttled_delay(0, 0), MS(400));
    assert_eq!(b.throttled_delay(0, u32::MAX), MS(800));
    assert_eq!(b.throttled_delay(2, 0), MS(1600));
    // The same jitter gives a longer wait than the usual backoff.
    for jitter in [0, 1 << 20, u32::MAX / 3, u32::MAX] {
        assert!(b.throttled_delay(1, jitter) > b.delay(1, jitter));
    }
}

proptest! {
    #[test]
    fn delays_stay_between_floor_and_ceiling(
        base_ms in 0u64..10_000,
        factor in 0u32..10,
        cap_s in 0u64..100_000,
        attempt in any::<u32>(),
        jitter in any::<u32>(),
    ) {
        let b = Backoff::new(MS(base_ms), factor, Duration::from_secs(cap_s));
        let ceiling = b.ceiling(attempt);
        prop_assert!(ceiling <= b.cap().max(b.floor()));
        prop_assert!(ceiling >= b.floor());
        prop_assert!(b.ceiling(attempt.saturating_add(1)) >= ceiling);
        let delay = b.delay(attempt, jitter);
        prop_assert!(delay >= b.floor() && delay <= ceiling);
        let throttled = b.throttled_delay(attempt, jitter);
        let throttled_ceiling = b.ceiling(attempt.saturating_add(3));
        prop_assert!(throttled >= b.floor());
        prop_assert!(throttled >= throttled_ceiling / 2 && throttled <= throttled_ceiling);
        // Monotone in the jitter.
        prop_assert!(delay <= b.delay(attempt, jitter.saturating_add(1)));
    }
}
