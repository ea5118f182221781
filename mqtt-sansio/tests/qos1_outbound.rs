//! Outbound QoS 1: PUBLISH, PUBACK, `Event::Published`; identifiers; the in-flight window.

mod common;

use common::{Harness, pid, publish_packet, topic};
use mqtt_proto::{AckProperties, ConnAck, Packet, ProtocolVersion, PubAck, QoS, ReasonCode};
use mqtt_sansio::{Event, Message};

fn message(payload: &'static str) -> Message {
    Message::new(topic("t"), QoS::AtLeastOnce, payload)
}

fn published(id: u16) -> Event {
    Event::Published {
        packet_id: pid(id),
        qos: QoS::AtLeastOnce,
        reason_code: ReasonCode::SUCCESS,
        properties: AckProperties::default(),
    }
}

fn wire(id: u16, payload: &'static str) -> Packet {
    publish_packet("t", QoS::AtLeastOnce, Some(id), payload).into()
}

#[test]
fn publish_puback_published() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    assert_eq!(h.client.publish(message("a")), Ok(Some(pid(1))));
    assert_eq!(h.sent(), [wire(1, "a")]);
    assert_eq!(h.client.inflight(), 1);
    assert!(h.events().is_empty(), "nothing before the PUBACK");

    h.server_sends(&PubAck::new(pid(1)).into());
    assert_eq!(h.events(), [published(1)]);
    assert!(h.sent().is_empty());
    assert_eq!(h.client.inflight(), 0);
    assert_eq!(h.client.packet_ids_in_use(), 0);
}

#[test]
fn v5_puback_reason_code_and_properties_reach_the_event() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.client.publish(message("a")).unwrap();
    assert_eq!(h.sent(), [wire(1, "a")]);
    let mut ack = PubAck::with_reason(pid(1), ReasonCode::NO_MATCHING_SUBSCRIBERS);
    ack.properties.reason_string = Some(mqtt_proto::MqttString::new("nobody").unwrap());
    let properties = ack.properties.clone().into_inner();
    h.server_sends(&ack.into());
    assert_eq!(
        h.events(),
        [Event::Published {
            packet_id: pid(1),
            qos: QoS::AtLeastOnce,
            reason_code: ReasonCode::NO_MATCHING_SUBSCRIBERS,
            properties,
        }]
    );
}

// A live identifier is never reused (3.1.1 section 2.3.1, 5.0 section 2.2.1): each new message
// takes the next.
#[test]
fn identifiers_increase() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    for n in 1..=3 {
        assert_eq!(h.client.publish(message("x")), Ok(Some(pid(n))));
        assert_eq!(h.sent(), [wire(n, "x")]);
        h.server_sends(&PubAck::new(pid(n)).into());
        assert_eq!(h.events(), [published(n)]);
    }
    // Freed identifiers rest: the allocator goes on from the last one given.
    assert_eq!(h.client.publish(message("x")), Ok(Some(pid(4))));
}

#[test]
fn window_holds_the_third_message_until_the_first_puback() {
    let config = Harness::config(ProtocolVersion::V3_1_1).with_max_inflight(2);
    let mut h = Harness::new(config);
    h.connect(false);
    assert_eq!(h.client.publish(message("1")), Ok(Some(pid(1))));
    assert_eq!(h.client.publish(message("2")), Ok(Some(pid(2))));
    assert_eq!(h.client.publish(message("3")), Ok(Some(pid(3))));
    assert_eq!(h.sent(), [wire(1, "1"), wire(2, "2")]);
    assert_eq!((h.client.inflight(), h.client.pending()), (2, 1));

    // QoS 0 needs no room, but it keeps its place behind the waiting message.
    h.client
        .publish(Message::new(topic("t"), QoS::AtMostOnce, "q0"))
        .unwrap();
    assert!(h.sent().is_empty());
    assert_eq!(h.client.pending(), 2);

    h.server_sends(&PubAck::new(pid(1)).into());
    assert_eq!(h.events(), [published(1)]);
    assert_eq!(
        h.sent(),
        [
            wire(3, "3"),
            publish_packet("t", QoS::AtMostOnce, None, "q0").into()
        ]
    );
    assert_eq!((h.client.inflight(), h.client.pending()), (2, 0));

    h.server_sends(&PubAck::new(pid(2)).into());
    h.server_sends(&PubAck::new(pid(3)).into());
    assert_eq!(h.events(), [published(2), published(3)]);
    assert!(h.sent().is_empty());
}

// MQTT 5.0 section 4.9 (Flow Control): the client never has more unacknowledged QoS 1 and 2
// PUBLISH packets than the server's Receive Maximum.
#[test]
fn v5_receive_maximum_below_max_inflight_limits_the_window() {
    let config = Harness::config(ProtocolVersion::V5).with_max_inflight(4);
    let mut h = Harness::new(config);
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.receive_maximum = core::num::NonZeroU16::new(1);
    h.connect_with(connack);
    for _ in 0..3 {
        h.client.publish(message("m")).unwrap();
    }
    assert_eq!(h.sent(), [wire(1, "m")]);
    assert_eq!((h.client.inflight(), h.client.pending()), (1, 2));
    h.server_sends(&PubAck::new(pid(1)).into());
    assert_eq!(h.sent(), [wire(2, "m")]);
    h.server_sends(&PubAck::new(pid(2)).into());
    assert_eq!(h.sent(), [wire(3, "m")]);
    h.server_sends(&PubAck::new(pid(3)).into());
    assert_eq!(h.events(), [published(1), published(2), published(3)]);
}

#[test]
fn puback_for_an_unknown_identifier_is_ignored() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.client.publish(message("a")).unwrap();
    h.sent();
    h.server_sends(&PubAck::new(pid(7)).into());
    assert!(h.events().is_empty());
    assert!(h.sent().is_empty());
    assert!(h.client.is_connected());
    assert_eq!(h.client.inflight(), 1);
    // The real acknowledgement still completes the message; a second one is ignored too.
    h.server_sends(&PubAck::new(pid(1)).into());
    h.server_sends(&PubAck::new(pid(1)).into());
    assert_eq!(h.events(), [published(1)]);
    assert!(h.sent().is_empty());
}
