//! A PINGREQ queued behind a large PUBLISH on a slow link is not a missing PINGRESP: its
//! deadline counts from when it goes out, and while the driver keeps writing the link is alive.
//! A link on which nothing can be written for a ping timeout is dead.

mod common;

use core::time::Duration;

use bytes::Bytes;
use common::pair::Pair;
use mqtt_proto::{MqttString, Packet, QoS, TopicName};
use mqtt_sansio::{Config, DisconnectReason, Event, Message};
use mqtt_test::{BrokerConfig, LinkConfig};

/// 16 MiB.
const PAYLOAD: usize = 16 * 1024 * 1024;
/// 100 KiB per second up: the payload takes about 164 s, more than two keep alive intervals.
const BANDWIDTH: u64 = 100 * 1024;
/// What the driver hands the socket at once (its send buffer).
const WRITE: usize = 64 * 1024;

/// Connected over a slow uplink, through a driver that writes 64 KiB at a time.
fn world() -> Pair {
    let config =
        Config::new(MqttString::from_static("slow")).with_keep_alive(Duration::from_secs(60));
    let ms = Duration::from_millis;
    let mut w = Pair::new(
        config,
        BrokerConfig::new(),
        LinkConfig::new(ms(10)).with_bandwidth(BANDWIDTH),
        LinkConfig::new(ms(10)),
    );
    w.write_size = WRITE;
    w.run_until(Duration::from_secs(1));
    assert!(w.client.is_connected());
    w
}

fn publish_16_mib(w: &mut Pair) {
    let payload = Bytes::from(vec![7; PAYLOAD]);
    let topic = TopicName::new("big").unwrap();
    w.client
        .publish(Message::new(topic, QoS::AtLeastOnce, payload))
        .unwrap();
}

#[test]
fn a_pingreq_behind_16_mib_on_a_slow_link_is_not_a_timeout() {
    let mut w = world();
    publish_16_mib(&mut w);
    w.run_until(Duration::from_secs(400));
    assert_eq!(w.disconnected(), None, "no false keep alive timeout");
    assert!(
        w.events
            .iter()
            .any(|(_, e)| matches!(e, Event::Published { .. })),
        "the PUBLISH went through: {:?}",
        w.events
    );
    // The PINGREQ due at 61 s went out after the PUBLISH, which took about 164 s.
    let received = w.broker.received();
    let publish = received
        .iter()
        .position(|p| matches!(p, Packet::Publish(_)))
        .unwrap();
    let ping = received
        .iter()
        .position(|p| matches!(p, Packet::PingReq))
        .expect("a PINGREQ");
    assert!(publish < ping, "{received:?}");
    assert!(w.client.is_connected());
}

#[test]
fn a_link_that_takes_nothing_for_a_ping_timeout_is_dead() {
    let mut w = world();
    publish_16_mib(&mut w);
    w.run_until(Duration::from_secs(5));
    // The server stops reading: nothing more can be written.
    w.writable = false;
    w.run_until(Duration::from_secs(200));
    let (at, reason) = w.disconnected().expect("the stalled link ends");
    assert_eq!(reason, &DisconnectReason::KeepAliveTimeout);
    // The PINGREQ was queued at 61 s (keep alive after the last bytes taken, at 1 s), and the
    // last write was at 5 s: the ping timeout (10 s) runs from 61 s.
    assert!(
        at >= Duration::from_secs(71) && at < Duration::from_secs(72),
        "{at:?}"
    );
}
