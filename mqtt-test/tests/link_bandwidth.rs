//! A link with a bandwidth carries bytes no faster than it: each send leaves after the ones
//! before it, and arrives once its last byte has crossed, plus the latency.

use core::time::Duration;

use mqtt_test::{Link, LinkConfig};

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn bytes_queue_behind_each_other_at_the_bandwidth() {
    // 1,000 bytes per second: a byte a millisecond.
    let mut link = Link::new(LinkConfig::new(ms(5)).with_bandwidth(1000));
    assert_eq!(link.busy_until(), ms(0));
    link.send(ms(0), [0; 100]);
    assert_eq!(link.busy_until(), ms(100));
    // Sent while the first is on the wire: it leaves after it.
    link.send(ms(50), [1; 10]);
    assert_eq!(link.busy_until(), ms(110));
    assert_eq!(link.next_delivery(), Some(ms(105)));
    assert_eq!(link.poll_deliver(ms(104)), None);
    assert_eq!(link.poll_deliver(ms(105)).map(|b| b.len()), Some(100));
    assert_eq!(link.poll_deliver(ms(114)), None);
    assert_eq!(link.poll_deliver(ms(115)).map(|b| b.len()), Some(10));
    // An idle link starts at once.
    link.send(ms(500), [2; 1]);
    assert_eq!(link.busy_until(), ms(501));
    assert_eq!(link.next_delivery(), Some(ms(506)));
}

#[test]
fn zero_is_taken_as_one_byte_a_second() {
    let mut link = Link::new(LinkConfig::new(ms(0)).with_bandwidth(0));
    link.send(ms(0), [0; 2]);
    assert_eq!(link.busy_until(), Duration::from_secs(2));
}
