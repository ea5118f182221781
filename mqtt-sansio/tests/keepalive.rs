//! Keepalive: PINGREQ exactly a keep alive after the last packet sent, for as long as the
//! server answers; anything sent moves it; keep alive 0 turns it off.

mod common;

use core::time::Duration;

use common::{Harness, topic};
use mqtt_proto::{ConnAck, Packet, ProtocolVersion, QoS, ReasonCode};
use mqtt_sansio::{Instant, Message, Timer};

const KEEP_ALIVE: Duration = Duration::from_secs(30);
const LATENCY: Duration = Duration::from_millis(40);
/// Just before the keep alive ends.
const ALMOST: Duration = Duration::from_millis(29_960);

fn connected(version: ProtocolVersion) -> Harness {
    let mut h = Harness::new(Harness::config(version).with_keep_alive(KEEP_ALIVE));
    h.connect(false);
    h
}

// [MQTT-3.1.2-23] of 3.1.1 (5.0 section 3.1.2.10): in the absence of other packets the client
// sends PINGREQ so that no more than the keep alive passes between two packets it sends.
#[test]
fn pingreq_every_keep_alive_for_a_thousand_intervals() {
    let mut h = connected(ProtocolVersion::V3_1_1);
    let mut last_send = Instant::ZERO;
    for _ in 0..1000 {
        let due = last_send + KEEP_ALIVE;
        assert_eq!(h.client.timer(), Some(Timer::KeepAlive));
        assert_eq!(h.client.poll_timeout(), Some(due));
        // A driver sleeping on poll_timeout: up to just before the deadline nothing happens,
        // at the deadline PINGREQ goes out.
        assert!(h.run_until(last_send + ALMOST).is_empty());
        assert_eq!(h.run_until(due), [(due, vec![Packet::PingReq])]);
        assert_eq!(h.client.timer(), Some(Timer::PingResp));
        h.advance(LATENCY);
        h.server_sends(&Packet::PingResp);
        last_send = due;
    }
    assert!(h.events().is_empty(), "no event in 1000 intervals");
    assert!(h.client.is_connected());
    assert_eq!(h.now, Instant::ZERO + KEEP_ALIVE * 1000 + LATENCY);
}

// The same over one long run of the virtual clock with the server answering every PINGREQ at once
// (5.0, where nothing differs).
#[test]
fn v5_run_until_with_pings_answered() {
    let mut h = connected(ProtocolVersion::V5);
    let end = Instant::ZERO + KEEP_ALIVE * 1000;
    let mut pings = Vec::new();
    while h.now < end {
        let log = h.run_until(end.min(h.client.poll_timeout().unwrap()));
        for (at, packets) in log {
            assert_eq!(packets, [Packet::PingReq]);
            pings.push(at);
            h.server_sends(&Packet::PingResp);
        }
    }
    let expected: Vec<Instant> = (1..=1000).map(|n| Instant::ZERO + KEEP_ALIVE * n).collect();
    assert_eq!(pings, expected);
    assert!(h.events().is_empty());
}

#[test]
fn sending_something_delays_the_next_pingreq() {
    let mut h = connected(ProtocolVersion::V3_1_1);
    h.advance(Duration::from_secs(20));
    h.client
        .publish(Message::new(topic("t"), QoS::AtMostOnce, "x"))
        .unwrap();
    assert_eq!(h.sent().len(), 1);
    let after_publish = Instant::ZERO + Duration::from_secs(20) + KEEP_ALIVE;
    assert_eq!(h.client.poll_timeout(), Some(after_publish));
    // The original deadline passes without a PINGREQ.
    assert!(h.run_until(Instant::ZERO + KEEP_ALIVE).is_empty());
    assert_eq!(
        h.run_until(after_publish),
        [(after_publish, vec![Packet::PingReq])]
    );
}

// Receiving does not count: keep alive is about what the client sends.
#[test]
fn receiving_does_not_delay_the_pingreq() {
    let mut h = connected(ProtocolVersion::V3_1_1);
    h.advance(Duration::from_secs(20));
    h.server_sends(&common::publish_packet("t", QoS::AtMostOnce, None, "x").into());
    assert_eq!(h.client.poll_timeout(), Some(Instant::ZERO + KEEP_ALIVE));
}

// The interval counts from CONNECT, the last packet sent, not from CONNACK.
#[test]
fn the_first_pingreq_counts_from_connect() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1).with_keep_alive(KEEP_ALIVE));
    h.open();
    h.advance(Duration::from_secs(5));
    h.server_sends(&ConnAck::new(false, ReasonCode::SUCCESS).into());
    assert_eq!(h.client.poll_timeout(), Some(Instant::ZERO + KEEP_ALIVE));
    assert_eq!(
        h.run_until(Instant::ZERO + KEEP_ALIVE),
        [(Instant::ZERO + KEEP_ALIVE, vec![Packet::PingReq])]
    );
}

// 3.1.1 section 3.1.2.10: a keep alive of zero turns the mechanism off.
#[test]
fn keep_alive_zero_has_no_timer() {
    let mut h =
        Harness::new(Harness::config(ProtocolVersion::V3_1_1).with_keep_alive(Duration::ZERO));
    let Packet::Connect(connect) = h.open() else {
        panic!("CONNECT first")
    };
    assert_eq!(connect.keep_alive, 0);
    h.server_sends(&ConnAck::new(false, ReasonCode::SUCCESS).into());
    h.events();
    assert_eq!(h.client.poll_timeout(), None);
    assert_eq!(h.client.timer(), None);
    h.advance(Duration::from_secs(100_000));
    assert!(h.sent().is_empty());
    assert!(h.events().is_empty());
}
