//! Bytes arrive after the link's latency, in order.

use core::time::Duration;

use mqtt_test::{Link, LinkConfig};

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn bytes_arrive_after_the_latency() {
    let mut link = Link::new(LinkConfig::new(ms(50)));
    link.send(ms(10), b"ab");
    link.send(ms(30), b"cd");
    assert_eq!(link.in_flight(), 4);
    assert_eq!(link.next_delivery(), Some(ms(60)));
    assert_eq!(link.poll_deliver(ms(59)), None);
    assert_eq!(link.poll_deliver(ms(60)).as_deref(), Some(&b"ab"[..]));
    assert_eq!(link.poll_deliver(ms(60)), None);
    assert_eq!(link.next_delivery(), Some(ms(80)));
    assert_eq!(link.poll_deliver(ms(100)).as_deref(), Some(&b"cd"[..]));
    assert_eq!(link.next_delivery(), None);
    assert_eq!((link.in_flight(), link.delivered()), (0, 4));
}

#[test]
fn due_sends_coalesce_without_chunking() {
    let mut link = Link::new(LinkConfig::new(ms(5)));
    link.send(ms(0), b"ab");
    link.send(ms(1), b"cd");
    assert_eq!(link.poll_deliver(ms(10)).as_deref(), Some(&b"abcd"[..]));
}

#[test]
fn a_lower_latency_never_reorders() {
    let mut link = Link::new(LinkConfig::new(ms(100)));
    link.send(ms(0), b"first");
    link.set_latency(ms(1));
    link.send(ms(0), b"second");
    assert_eq!(link.poll_deliver(ms(50)), None);
    assert_eq!(
        link.poll_deliver(ms(100)).as_deref(),
        Some(&b"firstsecond"[..])
    );
}
