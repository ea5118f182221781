//! A driver that stops reading because its consumer is slow: PINGREQ keeps the connection alive,
//! and the unread PINGRESP is not mistaken for a dead link.

mod common;

use core::time::Duration;

use common::Harness;
use mqtt_proto::{Packet, ProtocolVersion};
use mqtt_sansio::{DisconnectReason, Event, Instant, Timer};

fn secs(s: u64) -> Instant {
    Instant::ZERO + Duration::from_secs(s)
}

fn connected() -> Harness {
    let config = Harness::config(ProtocolVersion::V3_1_1).with_keep_alive(Duration::from_secs(10));
    let mut h = Harness::new(config);
    h.connect(false);
    h
}

#[test]
fn paused_reading_keeps_pinging_without_a_pingresp_deadline() {
    let mut h = connected();
    h.client.handle_read_paused(h.now);
    let log = h.run_until(secs(100));
    let at: Vec<_> = log.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        at,
        (1..=10).map(|n| secs(10 * n)).collect::<Vec<_>>(),
        "a PINGREQ every keep alive"
    );
    assert!(log.iter().all(|(_, sent)| sent == &[Packet::PingReq]));
    assert!(
        h.events().is_empty(),
        "no keepalive timeout while reading is paused"
    );
    assert_eq!(h.client.timer(), Some(Timer::KeepAlive));
}

#[test]
fn resuming_gives_the_unread_pingresp_a_full_timeout() {
    let mut h = connected();
    h.client.handle_read_paused(h.now);
    h.run_until(secs(35));
    h.client.handle_read_resumed(h.now);
    // PINGREQs at 10, 20 and 30 s are unanswered; the deadline counts from the resumption.
    assert_eq!(h.client.timer(), Some(Timer::PingResp));
    assert_eq!(h.client.poll_timeout(), Some(secs(45)));
    // The answers were waiting in the socket.
    h.server_sends(&Packet::PingResp);
    h.server_sends(&Packet::PingResp);
    h.server_sends(&Packet::PingResp);
    assert_eq!(h.client.timer(), Some(Timer::KeepAlive));
    assert!(h.events().is_empty());
}

#[test]
fn a_dead_link_is_still_found_after_resuming() {
    let mut h = connected();
    h.client.handle_read_paused(h.now);
    h.run_until(secs(25));
    h.client.handle_read_resumed(h.now);
    h.run_until(secs(60));
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::KeepAliveTimeout)]
    );
}

#[test]
fn a_pause_without_an_outstanding_ping_changes_nothing_on_resume() {
    let mut h = connected();
    h.client.handle_read_paused(h.now);
    h.advance_to(secs(5));
    h.client.handle_read_resumed(h.now);
    assert_eq!(h.client.timer(), Some(Timer::KeepAlive));
    assert_eq!(h.client.poll_timeout(), Some(secs(10)));
}
