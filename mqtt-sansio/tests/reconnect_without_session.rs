//! The transport closes with exchanges under way; the server has no session: the client says
//! what it does about it (`Event::SessionReset`), sends the messages again and resubscribes.
//! Nothing is dropped silently.

mod common;

use common::{Harness, filter, pid, publish_packet, topic};
use mqtt_proto::{
    ConnAck, Packet, ProtocolVersion, PubAck, PubRec, PubRel, QoS, ReasonCode, SubAck, Subscribe,
    SubscribeProperties, Subscription,
};
use mqtt_sansio::{
    ClientError, CommandId, DisconnectReason, Event, InDoubt, Message, Renumbered, SessionReset,
};

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
    // Every message in flight goes again as a new message of the new session, the one the
    // server had acknowledged with PUBREC (in doubt) too: fresh identifiers, DUP 0.
    let mut expected = SessionReset::default();
    expected.resubscribed = vec![filter("cmd/#")];
    expected.requeued = vec![renumbered(2, 6), renumbered(3, 7), renumbered(4, 8)];
    expected.released = vec![pid(3)];
    assert_eq!(rest, [Event::SessionReset(expected)]);

    // The unanswered SUBSCRIBE, the remembered subscription made again (a new identifier), then
    // the requeued messages, new.
    let resubscribe = Subscribe::new(pid(9), vec![subscription("cmd/#")]);
    assert_eq!(
        h.sent(),
        [
            Subscribe::new(pid(5), vec![subscription("ev/#")]).into(),
            resubscribe.into(),
            wire(QoS::AtLeastOnce, 6, "two", false),
            wire(QoS::ExactlyOnce, 7, "three", false),
            wire(QoS::ExactlyOnce, 8, "four", false),
        ]
    );
    assert_eq!((h.client.inflight(), h.client.pending()), (3, 0));

    // The new session runs them to the end; the server's answer to the resubscription comes
    // as an event of its own.
    h.server_sends(&SubAck::new(pid(9), vec![ReasonCode::UNSPECIFIED_ERROR]).into());
    assert_eq!(
        h.events(),
        [Event::Resubscribed {
            results: vec![(filter("cmd/#"), ReasonCode::UNSPECIFIED_ERROR)]
        }]
    );
    h.server_sends(&PubAck::new(pid(6)).into());
    for id in [7, 8] {
        h.server_sends(&PubRec::new(pid(id)).into());
        assert_eq!(h.sent(), [PubRel::new(pid(id)).into()]);
        h.server_sends(&mqtt_proto::PubComp::new(pid(id)).into());
    }
    let done: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Published { packet_id, .. } => Some(packet_id.get()),
            _ => None,
        })
        .collect();
    assert_eq!(done, [6, 7, 8]);
    assert_eq!(h.client.inflight(), 0);
}

fn renumbered(before: u16, after: u16) -> Renumbered {
    Renumbered {
        before: pid(before),
        after: pid(after),
    }
}

/// With `InDoubt::Fail`, the QoS 2 message the server had acknowledged with PUBREC is not sent
/// again: it fails, and its identifier is free.
#[test]
fn a_message_in_doubt_can_fail_instead() {
    let mut h = Harness::new(
        Harness::config(ProtocolVersion::V5)
            .with_clean_start(false)
            .with_in_doubt(InDoubt::Fail),
    );
    h.connect(false);
    let m = |payload| Message::new(topic("t"), QoS::ExactlyOnce, payload);
    h.client.publish(m("released")).unwrap();
    h.client.publish(m("sent")).unwrap();
    h.server_sends(&PubRec::new(pid(1)).into());
    h.sent();
    h.client.handle_transport_closed(h.now);
    h.events();
    let events = h.connect(false);
    let mut expected = SessionReset::default();
    expected.requeued = vec![renumbered(2, 3)];
    expected.released = vec![pid(1)];
    assert_eq!(
        &events[1..],
        [
            Event::SessionReset(expected),
            Event::Failed {
                command: CommandId::Publish(pid(1)),
                error: ClientError::InDoubt
            }
        ]
    );
    assert_eq!(h.sent(), [wire(QoS::ExactlyOnce, 3, "sent", false)]);
    assert_eq!(h.client.packet_ids_in_use(), 1);
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
    // A new message of the new session: DUP 0 and a fresh identifier.
    assert_eq!(h.sent(), [wire(QoS::AtLeastOnce, 3, "a", false)]);
    assert_eq!(h.client.pending(), 1);
    h.server_sends(&PubAck::new(pid(3)).into());
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
