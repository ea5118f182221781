//! The transport closes with exchanges under way; the server resumes the session: what was in
//! flight is sent again, in its original order ([MQTT-4.4.0-1] of 3.1.1, 5.0 section 4.4).

mod common;

use common::{Harness, filter, pid, publish_packet, topic};
use mqtt_proto::{
    AckProperties, Packet, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, QoS, ReasonCode,
    Subscribe, SubscribeProperties, Subscription,
};
use mqtt_sansio::{DisconnectReason, Event, Message};

fn wire(qos: QoS, id: u16, payload: &'static str, dup: bool) -> Packet {
    let mut p = publish_packet("t", qos, Some(id), payload);
    p.dup = dup;
    p.into()
}

fn subscribe_packet(id: u16) -> Packet {
    Subscribe::new(
        pid(id),
        vec![Subscription::new(filter("cmd/#"), QoS::AtLeastOnce)],
    )
    .into()
}

/// Connected with a persistent session: QoS 1 id 1 unacknowledged, QoS 2 id 2 released (PUBREC
/// came, PUBCOMP did not), QoS 2 id 3 unacknowledged, SUBSCRIBE id 4 unanswered; then the
/// transport closes.
fn interrupted(version: ProtocolVersion) -> Harness {
    let mut h = Harness::new(Harness::config(version).with_clean_start(false));
    h.connect(false);
    let m = |qos, payload| Message::new(topic("t"), qos, payload);
    assert_eq!(
        h.client.publish(m(QoS::AtLeastOnce, "one")),
        Ok(Some(pid(1)))
    );
    assert_eq!(
        h.client.publish(m(QoS::ExactlyOnce, "two")),
        Ok(Some(pid(2)))
    );
    assert_eq!(
        h.client.publish(m(QoS::ExactlyOnce, "three")),
        Ok(Some(pid(3)))
    );
    let sub = Subscription::new(filter("cmd/#"), QoS::AtLeastOnce);
    assert_eq!(
        h.client
            .subscribe(vec![sub], SubscribeProperties::default()),
        Ok(pid(4))
    );
    h.server_sends(&PubRec::new(pid(2)).into());
    assert_eq!(
        h.sent(),
        [
            wire(QoS::AtLeastOnce, 1, "one", false),
            wire(QoS::ExactlyOnce, 2, "two", false),
            wire(QoS::ExactlyOnce, 3, "three", false),
            subscribe_packet(4),
            PubRel::new(pid(2)).into(),
        ]
    );
    h.client.handle_transport_closed(h.now);
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::TransportClosed)]
    );
    assert!(h.sent().is_empty());
    h
}

fn resumes(version: ProtocolVersion) {
    let mut h = interrupted(version);
    // A message published while offline waits behind the resends.
    h.client
        .publish(Message::new(topic("t"), QoS::AtLeastOnce, "offline"))
        .unwrap();
    let Packet::Connect(connect) = h.open() else {
        panic!("CONNECT first")
    };
    assert!(!connect.clean_start);
    assert!(h.sent().is_empty(), "nothing before CONNACK");
    h.server_sends(&mqtt_proto::ConnAck::new(true, ReasonCode::SUCCESS).into());
    // PUBLISH with DUP ([MQTT-2.2.2-3] of 3.1.1) and PUBREL, in the original order; then the
    // unanswered SUBSCRIBE; then the new message.
    assert_eq!(
        h.sent(),
        [
            wire(QoS::AtLeastOnce, 1, "one", true),
            PubRel::new(pid(2)).into(),
            wire(QoS::ExactlyOnce, 3, "three", true),
            subscribe_packet(4),
            wire(QoS::AtLeastOnce, 5, "offline", false),
        ]
    );
    let events = h.events();
    assert!(
        matches!(&events[..], [Event::Connected(c)] if c.session_present),
        "no SessionReset: {events:?}"
    );

    // The exchanges finish on the new connection.
    h.server_sends(&PubAck::new(pid(1)).into());
    h.server_sends(&PubComp::new(pid(2)).into());
    h.server_sends(&PubRec::new(pid(3)).into());
    assert_eq!(h.sent(), [PubRel::new(pid(3)).into()]);
    h.server_sends(&PubComp::new(pid(3)).into());
    h.server_sends(&mqtt_proto::SubAck::new(pid(4), vec![ReasonCode::GRANTED_QOS_1]).into());
    let done = |id, qos| Event::Published {
        packet_id: pid(id),
        qos,
        reason_code: ReasonCode::SUCCESS,
        properties: AckProperties::default(),
    };
    assert_eq!(
        h.events(),
        [
            done(1, QoS::AtLeastOnce),
            done(2, QoS::ExactlyOnce),
            done(3, QoS::ExactlyOnce),
            Event::Subscribed {
                packet_id: pid(4),
                reason_codes: vec![ReasonCode::GRANTED_QOS_1],
                properties: AckProperties::default(),
            },
        ]
    );
    assert_eq!(h.client.inflight(), 1, "the offline message");
}

#[test]
fn resend_in_order_3_1_1() {
    resumes(ProtocolVersion::V3_1_1);
}

#[test]
fn resend_in_order_5() {
    resumes(ProtocolVersion::V5);
}

// A transport that drops again before CONNACK sends nothing; the next CONNACK resends once.
#[test]
fn a_failed_attempt_in_between_changes_nothing() {
    let mut h = interrupted(ProtocolVersion::V3_1_1);
    h.open();
    h.client.handle_transport_closed(h.now);
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::TransportClosed)]
    );
    h.open();
    h.server_sends(&mqtt_proto::ConnAck::new(true, ReasonCode::SUCCESS).into());
    assert_eq!(
        h.sent(),
        [
            wire(QoS::AtLeastOnce, 1, "one", true),
            PubRel::new(pid(2)).into(),
            wire(QoS::ExactlyOnce, 3, "three", true),
            subscribe_packet(4),
        ]
    );
}

// Inbound QoS 2 state is session state too: a message received before the drop and sent again
// after it is not delivered twice; its PUBREC goes out again.
#[test]
fn inbound_qos2_is_not_delivered_twice_across_the_reconnect() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1).with_clean_start(false));
    h.connect(false);
    let incoming = publish_packet("in", QoS::ExactlyOnce, Some(9), "x");
    h.server_sends(&incoming.clone().into());
    assert_eq!(h.events(), [Event::Message(incoming.clone())]);
    assert_eq!(h.sent(), [PubRec::new(pid(9)).into()]);
    h.client.handle_transport_closed(h.now);
    h.events();
    h.connect(true);
    let mut again = incoming;
    again.dup = true;
    h.server_sends(&again.into());
    assert!(h.events().is_empty());
    assert_eq!(h.sent(), [PubRec::new(pid(9)).into()]);
    h.server_sends(&PubRel::new(pid(9)).into());
    assert_eq!(h.sent(), [PubComp::new(pid(9)).into()]);
}
