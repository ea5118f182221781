//! Inbound messages at QoS 0, 1 and 2: events, acknowledgements, QoS 2 delivered once.

mod common;

use common::{Harness, pid, publish_packet};
use mqtt_proto::{
    Packet, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish, QoS, ReasonCode,
};
use mqtt_sansio::Event;

fn incoming(qos: QoS, id: Option<u16>, payload: &'static str) -> Publish {
    publish_packet("in/t", qos, id, payload)
}

#[test]
fn qos0_is_an_event_and_nothing_else() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    let p = incoming(QoS::AtMostOnce, None, "zero");
    h.server_sends(&p.clone().into());
    assert_eq!(h.events(), [Event::Message(p)]);
    assert!(h.sent().is_empty());
}

// Section 4.3.2 of 3.1.1 and 5.0: the receiver answers with PUBACK.
#[test]
fn qos1_is_an_event_and_a_puback() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    let p = incoming(QoS::AtLeastOnce, Some(5), "one");
    h.server_sends(&p.clone().into());
    assert_eq!(h.events(), [Event::Message(p)]);
    assert_eq!(h.sent(), [PubAck::new(pid(5)).into()]);
}

fn qos2_exchange(version: ProtocolVersion) {
    let mut h = Harness::new(Harness::config(version));
    h.connect(false);
    let p = incoming(QoS::ExactlyOnce, Some(6), "two");
    h.server_sends(&p.clone().into());
    assert_eq!(h.events(), [Event::Message(p)]);
    assert_eq!(h.sent(), [PubRec::new(pid(6)).into()]);
    h.server_sends(&PubRel::new(pid(6)).into());
    assert_eq!(h.sent(), [PubComp::new(pid(6)).into()]);
    assert!(h.events().is_empty());
}

#[test]
fn qos2_message_pubrec_pubrel_pubcomp_3_1_1() {
    qos2_exchange(ProtocolVersion::V3_1_1);
}

#[test]
fn qos2_message_pubrec_pubrel_pubcomp_5() {
    qos2_exchange(ProtocolVersion::V5);
}

// 3.1.1 section 4.3.3 (method B) and 5.0 section 4.3.3: until PUBREL, a PUBLISH with the same
// identifier is the same message. It is acknowledged again but not delivered again.
#[test]
fn a_redelivered_qos2_message_is_not_delivered_twice() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    let p = incoming(QoS::ExactlyOnce, Some(6), "two");
    h.server_sends(&p.clone().into());
    assert_eq!(h.events(), [Event::Message(p.clone())]);
    assert_eq!(h.sent(), [PubRec::new(pid(6)).into()]);

    let mut again = p;
    again.dup = true;
    h.server_sends(&again.into());
    assert!(h.events().is_empty(), "delivered once");
    assert_eq!(h.sent(), [PubRec::new(pid(6)).into()], "acknowledged again");

    h.server_sends(&PubRel::new(pid(6)).into());
    assert_eq!(h.sent(), [PubComp::new(pid(6)).into()]);

    // After PUBCOMP the identifier is free: a new message with it is a new message.
    let next = incoming(QoS::ExactlyOnce, Some(6), "new");
    h.server_sends(&next.clone().into());
    assert_eq!(h.events(), [Event::Message(next)]);
    assert_eq!(h.sent(), [PubRec::new(pid(6)).into()]);
}

// Acknowledgements go out in the order the messages came ([MQTT-4.6.0-2], [MQTT-4.6.0-3] of
// 3.1.1), whatever their QoS.
#[test]
fn acknowledgements_in_receipt_order() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    let msgs = [
        incoming(QoS::AtLeastOnce, Some(1), "a"),
        incoming(QoS::ExactlyOnce, Some(2), "b"),
        incoming(QoS::AtMostOnce, None, "c"),
        incoming(QoS::AtLeastOnce, Some(3), "d"),
    ];
    for m in &msgs {
        h.server_sends(&m.clone().into());
    }
    assert_eq!(h.events(), msgs.map(Event::Message));
    assert_eq!(
        h.sent(),
        [
            Packet::from(PubAck::new(pid(1))),
            PubRec::new(pid(2)).into(),
            PubAck::new(pid(3)).into(),
        ]
    );
}

#[test]
fn pubrel_for_an_unknown_identifier_gets_pubcomp_3_1_1() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    h.server_sends(&PubRel::new(pid(8)).into());
    assert_eq!(h.sent(), [PubComp::new(pid(8)).into()]);
    assert!(h.events().is_empty());
}

// 5.0 section 3.7.2.1: PUBCOMP 0x92 Packet Identifier not found.
#[test]
fn v5_pubrel_for_an_unknown_identifier_gets_pubcomp_not_found() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.server_sends(&PubRel::new(pid(8)).into());
    assert_eq!(
        h.sent(),
        [PubComp::with_reason(pid(8), ReasonCode::PACKET_IDENTIFIER_NOT_FOUND).into()]
    );
    assert!(h.events().is_empty());
    assert!(h.client.is_connected());
}
