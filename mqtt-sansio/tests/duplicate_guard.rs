//! The duplicate guard: a QoS 2 message the server sends again with DUP after it was completed
//! (a broker restarted from a stale persistence file forgot the PUBCOMP) is acknowledged and
//! not delivered twice. A PUBLISH without DUP is always a new message.

mod common;

use common::{Harness, pid, publish_packet};
use mqtt_proto::{ConnAck, Packet, ProtocolVersion, PubComp, PubRec, PubRel, QoS, ReasonCode};
use mqtt_sansio::{Config, Event};

fn incoming(id: u16, payload: &'static str, dup: bool) -> Packet {
    let mut p = publish_packet("guard/t", QoS::ExactlyOnce, Some(id), payload);
    p.dup = dup;
    p.into()
}

fn connected(config: Config) -> Harness {
    let mut h = Harness::new(config.with_clean_start(false));
    h.connect(false);
    h.sent();
    h
}

/// Runs a whole inbound QoS 2 exchange; returns what the application got.
fn exchange(h: &mut Harness, id: u16, payload: &'static str, dup: bool) -> Vec<Event> {
    h.server_sends(&incoming(id, payload, dup));
    assert_eq!(
        h.sent(),
        [PubRec::new(pid(id)).into()],
        "PUBREC in any case"
    );
    h.server_sends(&PubRel::new(pid(id)).into());
    assert_eq!(
        h.sent(),
        [PubComp::new(pid(id)).into()],
        "PUBCOMP in any case"
    );
    h.events()
}

fn delivered(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Message(_)))
        .count()
}

#[test]
fn a_completed_message_sent_again_with_dup_is_acknowledged_not_delivered() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut h = connected(Harness::config(version));
        assert_eq!(delivered(&exchange(&mut h, 7, "x", false)), 1);
        // The broker restarts, forgets the PUBCOMP and sends the message again.
        h.client.handle_transport_closed(h.now);
        h.events();
        h.open();
        h.server_sends(&ConnAck::new(true, ReasonCode::SUCCESS).into());
        h.events();
        let events = exchange(&mut h, 7, "x", true);
        assert_eq!(
            events,
            [Event::DuplicateSuppressed { packet_id: pid(7) }],
            "{version:?}"
        );
        assert_eq!(h.client.duplicates_suppressed(), 1);
        // The same identifier with other content is another message.
        assert_eq!(delivered(&exchange(&mut h, 7, "y", true)), 1);
        // Without DUP, always a new message, even with the same content.
        assert_eq!(delivered(&exchange(&mut h, 7, "y", false)), 1);
        assert_eq!(h.client.duplicates_suppressed(), 1);
    }
}

#[test]
fn a_redelivery_in_flight_is_not_a_suppression() {
    // Before PUBREL the identifier is in flight: the ordinary redelivery rule applies.
    let mut h = connected(Harness::config(ProtocolVersion::V5));
    h.server_sends(&incoming(3, "x", false));
    h.server_sends(&incoming(3, "x", true));
    assert_eq!(delivered(&h.events()), 1);
    assert_eq!(h.client.duplicates_suppressed(), 0);
}

#[test]
fn the_guard_can_be_turned_off_or_made_smaller() {
    let mut h = connected(Harness::config(ProtocolVersion::V5).with_duplicate_guard(0));
    exchange(&mut h, 7, "x", false);
    assert_eq!(
        delivered(&exchange(&mut h, 7, "x", true)),
        1,
        "off: delivered"
    );

    let mut h = connected(Harness::config(ProtocolVersion::V5).with_duplicate_guard(2));
    for id in 1..=3 {
        exchange(&mut h, id, "x", false);
    }
    assert_eq!(delivered(&exchange(&mut h, 1, "x", true)), 1, "forgotten");
    assert_eq!(delivered(&exchange(&mut h, 3, "x", true)), 0, "remembered");
}

#[test]
fn a_lost_session_forgets_the_completions() {
    let mut h = connected(Harness::config(ProtocolVersion::V5));
    exchange(&mut h, 7, "x", false);
    h.client.handle_transport_closed(h.now);
    h.events();
    h.open();
    h.server_sends(&ConnAck::new(false, ReasonCode::SUCCESS).into());
    h.events();
    assert_eq!(delivered(&exchange(&mut h, 7, "x", true)), 1);
}
