//! A cut loses what is in flight and what is sent until the link is restored.

use core::time::Duration;

use mqtt_test::{Link, LinkConfig};

#[test]
fn a_cut_drops_in_flight_and_later_bytes_until_restored() {
    let ms = Duration::from_millis;
    let mut link = Link::new(LinkConfig::new(ms(10)));
    link.send(ms(0), b"lost");
    link.cut();
    assert!(link.is_cut());
    assert_eq!((link.in_flight(), link.next_delivery()), (0, None));
    link.send(ms(1), b"also lost");
    assert_eq!(link.poll_deliver(ms(100)), None);
    assert_eq!(link.dropped(), 13);

    link.restore();
    link.send(ms(100), b"back");
    assert_eq!(link.poll_deliver(ms(110)).as_deref(), Some(&b"back"[..]));
}
