//! The transport closes with exchanges under way; the server has no session: the client says
//! what it does about it (`Event::SessionReset`), sends the messages again and resubscribes.
//! Nothing is dropped silently.

mod common;

use common::{Harness, filter, pid, publish_packet, topic};
use mqtt_proto::{
    AckProperties, ConnAck, Packet, ProtocolVersion, PubAck, PubRec, PubRel, QoS, ReasonCode,
    SubAck, Subscribe, SubscribeProperties, Subscription,
};
use mqtt_sansio::{DisconnectReason, Event, Message, SessionReset};

fn wire(qos: QoS, id: u16, payload: &'static str, dup: bool) -> Packet {
    let mut p = publish_packet("t", qos, Some(id), payload);
    p.dup = dup;
    p.into()
}

fn subscription(f: &str) -> Subscription {
    Subscription::new(filter(f), QoS::AtLeastOnce)
}

/// Connected: a granted subscription to `cmd/#` (id 1); QoS 1 id 2 unacknowledged; QoS 2 id 3
/// released (PUBREC came); QoS 2 id 4 unacknowledged; SUBSCRIBE `ev/#` id 5 unanswered; then
/// the transport closes.
fn interrupted(version: ProtocolVersion) -> Harness {
    let mut h = Harness::new(Harness::config(version).with_clean_start(false));
    h.connect(false);
    let granted = h
        .client
        .subscribe(vec![subscription("cmd/#")], SubscribeProperties::default())
        .unwrap();
    assert_eq!(granted, pid(1));
    h.server_sends(&SubAck::new(pid(1), vec![ReasonCode::GRANTED_QOS_1]).into());
    let m = |qos, payload| Message::new(topic("t"), qos, payload);
    assert_eq!(
        h.client.publish(m(QoS::AtLeastOnce, "two")),
        Ok(Some(pid(2)))
    );
    assert_eq!(
        h.client.publish(m(QoS::ExactlyOnce, "three")),
        Ok(Some(pid(3)))
    );
    assert_eq!(
        h.client.publish(m(QoS::ExactlyOnce, "four")),
        Ok(Some(pid(4)))
    );
    h.client
        .subscribe(vec![subscription("ev/#")], SubscribeProperties::default())
        .unwrap();
    h.server_sends(&PubRec::new(pid(3)).into());
    assert_eq!(h.sent().len(), 6);
    h.client.handle_transport_closed(h.now);
    let events = h.events();
    assert_eq!(
        events.last(),
        Some(&Event::Disconnected(DisconnectReason::TransportClosed))
    );
    h
}

fn reset(version: ProtocolVersion) {
    let mut h = interrupted(version);
    h.open();
    h.server_sends(&ConnAck::new(false, ReasonCode::SUCCESS).into());

    let events = h.events();
    let [Event::Connected(connected), rest @ ..] = &events[..] else {
        panic!("{events:?}")
    };
    assert!(!connected.session_present);
    let mut expected = SessionReset::default();
    expected.resubscribed = vec![filter("cmd/#")];
    expected.requeued = vec![pid(2), pid(4)];
    expected.completed = vec![pid(3)];
    assert_eq!(
        rest,
        [
            Event::SessionReset(expected),
            // PUBREC said the server had it: delivered.
            Event::Published {
                packet_id: pid(3),
                qos: QoS::ExactlyOnce,
                reason_code: ReasonCode::SUCCESS,
                properties: AckProperties::default(),
            },
        ]
    );

    // The unanswered SUBSCRIBE, the remembered subscription made again (a new identifier), then
    // the requeued messages with DUP and their identifiers; no PUBREL for the completed one.
    let resubscribe = Subscribe::new(pid(6), vec![subscription("cmd/#")]);
    assert_eq!(
        h.sent(),
        [
            Subscribe::new(pid(5), vec![subscription("ev/#")]).into(),
            resubscribe.into(),
            wire(QoS::AtLeastOnce, 2, "two", true),
            wire(QoS::ExactlyOnce, 4, "four", true),
        ]
    );
    assert_eq!((h.client.inflight(), h.client.pending()), (2, 0));

    // The new session runs them to the end.
    h.server_sends(&PubAck::new(pid(2)).into());
    h.server_sends(&PubRec::new(pid(4)).into());
    assert_eq!(h.sent(), [PubRel::new(pid(4)).into()]);
    h.server_sends(&mqtt_proto::PubComp::new(pid(4)).into());
    assert_eq!(h.events().len(), 2);
    assert_eq!(h.client.inflight(), 0);
}

#[test]
fn session_reset_3_1_1() {
    reset(ProtocolVersion::V3_1_1);
}

#[test]
fn session_reset_5() {
    reset(ProtocolVersion::V5);
}

// The window applies to requeued messages as to any: they wait their turn, in order.
#[test]
fn requeued_messages_respect_the_window() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1).with_max_inflight(1));
    h.connect(false);
    let m = |payload| Message::new(topic("t"), QoS::AtLeastOnce, payload);
    h.client.publish(m("a")).unwrap();
    h.client.publish(m("b")).unwrap();
    assert_eq!(h.sent(), [wire(QoS::AtLeastOnce, 1, "a", false)]);
    h.client.handle_transport_closed(h.now);
    h.events();
    h.connect(false);
    assert_eq!(h.sent(), [wire(QoS::AtLeastOnce, 1, "a", true)]);
    assert_eq!(h.client.pending(), 1);
    h.server_sends(&PubAck::new(pid(1)).into());
    assert_eq!(h.sent(), [wire(QoS::AtLeastOnce, 2, "b", false)]);
}

// With nothing to rebuild there is no SessionReset event.
#[test]
fn nothing_to_reset_no_event() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    h.client.handle_transport_closed(h.now);
    h.events();
    let events = h.connect(false);
    assert!(matches!(&events[..], [Event::Connected(_)]), "{events:?}");
    assert!(h.sent().is_empty());
}
