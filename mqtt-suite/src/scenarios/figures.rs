//! What the application can read about its client: the figures of `stats()`, and the number of
//! the connection each message and event came on.

use std::time::Duration;

use mqtt_proto::{PacketType, QoS};
use mqtt_sansio::ConnectionEvent;

use super::{WAIT, options};
use crate::{Adapter, Connection, Mosquitto};

/// A QoS 1 PUBLISH of 3.1.1 on `suite/figures` with a one-byte payload: fixed header (2),
/// topic (2 + 13), packet identifier (2), payload (1).
const PUBLISH_SIZE: u64 = 20;

/// The next event that `wanted` accepts, with its connection's number.
fn numbered_event<C: Connection>(
    client: &C,
    wanted: impl Fn(&ConnectionEvent) -> bool,
) -> (u64, ConnectionEvent) {
    let deadline = std::time::Instant::now() + WAIT;
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        if let Some(event) = client.next_numbered_event(left) {
            if wanted(&event) {
                return (event.connection, event.into_inner());
            }
        }
    }
    panic!("no such event within {WAIT:?}")
}

/// Publishes one message to itself and returns the number of the connection it came back on.
fn round_trip<C: Connection>(client: &C, n: u8) -> u64 {
    client
        .publish("suite/figures", QoS::AtLeastOnce, false, &[n])
        .unwrap();
    let message = client
        .next_numbered_message(WAIT)
        .expect("the message comes back");
    assert_eq!(message.payload(), [n]);
    message.connection
}

/// Byte counts, round trips and connection numbers across a broker restart.
pub fn figures_and_connection_numbers<A: Adapter>() {
    let mut broker = Mosquitto::start();
    let mut o = options(&broker.url(), "suite-figures");
    o.config.keep_alive = Duration::from_secs(1);
    let client = A::connect(o).expect("connected");
    let (first, event) = numbered_event(&client, |_| true);
    assert!(
        matches!(event, ConnectionEvent::Connected { .. }),
        "{event:?}"
    );
    assert_eq!(first, 1);

    let stats = client.stats();
    assert!(stats.connected_since.is_some());
    assert_eq!((stats.session.connection, stats.reconnects), (1, 0));
    assert_eq!(stats.session.sent.packets(PacketType::Connect), 1);
    assert_eq!(stats.session.received.packets(PacketType::ConnAck), 1);

    client.subscribe("suite/figures", QoS::AtLeastOnce).unwrap();
    for n in 0..3 {
        assert_eq!(round_trip(&client, n), 1);
    }
    let stats = client.stats();
    let sent = &stats.session.sent;
    assert_eq!(sent.packets(PacketType::Publish), 3);
    assert_eq!(sent.bytes(PacketType::Publish), 3 * PUBLISH_SIZE);
    assert_eq!(sent.packets(PacketType::Subscribe), 1);
    // Each message came back, and the client acknowledged it (PUBACK: 4 bytes).
    let received = &stats.session.received;
    assert_eq!(received.packets(PacketType::Publish), 3);
    assert_eq!(received.bytes(PacketType::Publish), 3 * PUBLISH_SIZE);
    assert_eq!(received.packets(PacketType::PubAck), 3);
    assert_eq!(received.packets(PacketType::SubAck), 1);
    assert_eq!(stats.session.puback.samples(), 3);
    assert!(stats.session.puback.smoothed().is_some());
    assert_eq!(stats.inflight_out, 0);
    assert_eq!(stats.messages_waiting, 0);
    assert!(!stats.reading_paused);

    // An idle second and a half: the keep alive pings, the broker answers.
    std::thread::sleep(Duration::from_millis(1600));
    let stats = client.stats();
    assert!(
        stats.session.ping.samples() >= 1,
        "{:?}",
        stats.session.ping
    );
    assert_eq!(
        stats.session.received.packets(PacketType::PingResp),
        stats.session.sent.packets(PacketType::PingReq)
    );

    broker.stop();
    let (lost, _) = numbered_event(&client, |e| matches!(e, ConnectionEvent::Disconnected(_)));
    assert_eq!(lost, 1, "the connection that ended");
    assert!(client.stats().connected_since.is_none());
    broker.start_again();
    let (second, _) = numbered_event(&client, |e| matches!(e, ConnectionEvent::Connected { .. }));
    assert!(second >= 2, "{second}");
    // The subscription is made again on the new connection, which carries the message.
    numbered_event(&client, |e| matches!(e, ConnectionEvent::Resubscribed(_)));
    assert_eq!(round_trip(&client, 9), second);
    let stats = client.stats();
    assert_eq!(stats.session.connection, second);
    assert_eq!((stats.session.connected, stats.reconnects), (2, 1));
    assert_eq!(stats.session.sent.packets(PacketType::Connect), second);
    assert_eq!(stats.session.sent.packets(PacketType::Publish), 4);
    assert!(stats.connected_since.is_some());
    client.disconnect().unwrap();
}
