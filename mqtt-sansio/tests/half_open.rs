//! A half-open link: PINGREQ goes unanswered and the connection ends at the ping deadline.

mod common;

use core::time::Duration;

use common::Harness;
use mqtt_proto::{Packet, ProtocolVersion};
use mqtt_sansio::{DisconnectReason, Event, Instant, Timer};

fn connected(version: ProtocolVersion, keep_alive: Duration) -> Harness {
    let mut h = Harness::new(Harness::config(version).with_keep_alive(keep_alive));
    h.connect(false);
    h
}

fn assert_silent_after(h: &mut Harness) {
    assert!(h.sent().is_empty(), "no output after the end");
    assert_eq!(h.client.poll_timeout(), None);
    assert_eq!(h.client.timer(), None);
    assert!(!h.client.is_connected());
    // A late PINGRESP changes nothing.
    h.server_sends(&Packet::PingResp);
    h.advance(Duration::from_secs(3600));
    assert!(h.events().is_empty());
    assert!(h.sent().is_empty());
}

// The default ping timeout is the keep alive, at most 10 s (`Config::ping_timeout`).
fn times_out(version: ProtocolVersion) {
    let keep_alive = Duration::from_secs(60);
    let mut h = connected(version, keep_alive);
    let ping_at = Instant::ZERO + keep_alive;
    let deadline = ping_at + Duration::from_secs(10);
    assert_eq!(h.run_until(ping_at), [(ping_at, vec![Packet::PingReq])]);
    assert_eq!(h.client.timer(), Some(Timer::PingResp));
    assert_eq!(h.client.poll_timeout(), Some(deadline));

    assert!(
        h.run_until(ping_at + Duration::from_millis(9_999))
            .is_empty()
    );
    assert!(h.events().is_empty(), "not before the deadline");
    assert!(h.run_until(deadline).is_empty(), "nothing sent at the end");
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::KeepAliveTimeout)]
    );
    assert_silent_after(&mut h);
}

#[test]
fn unanswered_pingreq_times_out_3_1_1() {
    times_out(ProtocolVersion::V3_1_1);
}

#[test]
fn unanswered_pingreq_times_out_5() {
    times_out(ProtocolVersion::V5);
}

#[test]
fn a_short_keep_alive_is_its_own_ping_timeout() {
    let keep_alive = Duration::from_secs(4);
    let mut h = connected(ProtocolVersion::V3_1_1, keep_alive);
    let ping_at = Instant::ZERO + keep_alive;
    assert_eq!(h.run_until(ping_at), [(ping_at, vec![Packet::PingReq])]);
    h.advance_to(ping_at + keep_alive);
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::KeepAliveTimeout)]
    );
    assert_silent_after(&mut h);
}

#[test]
fn a_configured_ping_timeout() {
    let mut config =
        Harness::config(ProtocolVersion::V3_1_1).with_keep_alive(Duration::from_secs(60));
    config.ping_timeout = Some(Duration::from_secs(3));
    let mut h = Harness::new(config);
    h.connect(false);
    let ping_at = Instant::ZERO + Duration::from_secs(60);
    h.run_until(ping_at);
    assert_eq!(
        h.client.poll_timeout(),
        Some(ping_at + Duration::from_secs(3))
    );
}

// Traffic other than PINGRESP does not answer the PINGREQ.
#[test]
fn other_packets_do_not_answer_the_pingreq() {
    let keep_alive = Duration::from_secs(20);
    let mut h = connected(ProtocolVersion::V3_1_1, keep_alive);
    let ping_at = Instant::ZERO + keep_alive;
    h.run_until(ping_at);
    h.advance(Duration::from_secs(5));
    h.server_sends(&common::publish_packet("t", mqtt_proto::QoS::AtMostOnce, None, "x").into());
    assert_eq!(h.events().len(), 1);
    h.run_until(ping_at + Duration::from_secs(10));
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::KeepAliveTimeout)]
    );
}

#[test]
fn a_pingresp_just_in_time_keeps_the_connection() {
    let keep_alive = Duration::from_secs(20);
    let mut h = connected(ProtocolVersion::V5, keep_alive);
    let ping_at = Instant::ZERO + keep_alive;
    h.run_until(ping_at);
    h.advance(Duration::from_millis(9_999));
    h.server_sends(&Packet::PingResp);
    h.advance(Duration::from_millis(1));
    assert!(h.events().is_empty());
    assert!(h.client.is_connected());
    assert_eq!(h.client.poll_timeout(), Some(ping_at + keep_alive));
}
