//! Outbound QoS 2: PUBLISH, PUBREC, PUBREL, PUBCOMP; a refusing PUBREC; a repeated PUBREC.

mod common;

use common::{Harness, pid, publish_packet, topic};
use mqtt_proto::{
    AckProperties, Packet, ProtocolVersion, PubComp, PubRec, PubRel, QoS, ReasonCode,
};
use mqtt_sansio::{Event, Message};

fn message(payload: &'static str) -> Message {
    Message::new(topic("t"), QoS::ExactlyOnce, payload)
}

fn wire(id: u16, payload: &'static str) -> Packet {
    publish_packet("t", QoS::ExactlyOnce, Some(id), payload).into()
}

fn published(id: u16, reason_code: ReasonCode) -> Event {
    Event::Published {
        packet_id: pid(id),
        qos: QoS::ExactlyOnce,
        reason_code,
        properties: AckProperties::default(),
    }
}

// 3.1.1 section 4.3.3 and 5.0 section 4.3.3: the sender answers PUBREC with PUBREL and the
// exchange ends with PUBCOMP.
fn full_exchange(version: ProtocolVersion) {
    let mut h = Harness::new(Harness::config(version));
    h.connect(false);
    assert_eq!(h.client.publish(message("x")), Ok(Some(pid(1))));
    assert_eq!(h.sent(), [wire(1, "x")]);

    h.server_sends(&PubRec::new(pid(1)).into());
    assert_eq!(h.sent(), [PubRel::new(pid(1)).into()]);
    assert!(h.events().is_empty(), "not done before PUBCOMP");
    assert_eq!(h.client.inflight(), 1);

    h.server_sends(&PubComp::new(pid(1)).into());
    assert_eq!(h.events(), [published(1, ReasonCode::SUCCESS)]);
    assert!(h.sent().is_empty());
    assert_eq!(h.client.inflight(), 0);
    assert_eq!(h.client.packet_ids_in_use(), 0);
}

#[test]
fn publish_pubrec_pubrel_pubcomp_3_1_1() {
    full_exchange(ProtocolVersion::V3_1_1);
}

#[test]
fn publish_pubrec_pubrel_pubcomp_5() {
    full_exchange(ProtocolVersion::V5);
}

// 5.0 section 4.3.3: a PUBREC with a Reason Code of 0x80 or greater ends the exchange; no PUBREL.
// It frees the window too (section 4.9).
#[test]
fn v5_pubrec_with_a_failure_code_ends_the_exchange() {
    let config = Harness::config(ProtocolVersion::V5).with_max_inflight(1);
    let mut h = Harness::new(config);
    h.connect(false);
    h.client.publish(message("x")).unwrap();
    h.client.publish(message("y")).unwrap();
    assert_eq!(h.sent(), [wire(1, "x")]);

    h.server_sends(&PubRec::with_reason(pid(1), ReasonCode::QUOTA_EXCEEDED).into());
    assert_eq!(h.events(), [published(1, ReasonCode::QUOTA_EXCEEDED)]);
    assert_eq!(
        h.sent(),
        [wire(2, "y")],
        "no PUBREL; the next message goes out"
    );

    // A PUBCOMP for the refused message matches nothing.
    h.server_sends(&PubComp::new(pid(1)).into());
    assert!(h.events().is_empty());
    assert!(h.sent().is_empty());
}

#[test]
fn a_repeated_pubrec_gets_pubrel_again() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    h.client.publish(message("x")).unwrap();
    h.sent();
    h.server_sends(&PubRec::new(pid(1)).into());
    h.server_sends(&PubRec::new(pid(1)).into());
    assert_eq!(
        h.sent(),
        [PubRel::new(pid(1)).into(), PubRel::new(pid(1)).into()]
    );
    h.server_sends(&PubComp::new(pid(1)).into());
    assert_eq!(h.events(), [published(1, ReasonCode::SUCCESS)]);
}

#[test]
fn v5_pubrec_for_an_unknown_identifier_gets_pubrel_not_found() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.server_sends(&PubRec::new(pid(9)).into());
    assert_eq!(
        h.sent(),
        [PubRel::with_reason(pid(9), ReasonCode::PACKET_IDENTIFIER_NOT_FOUND).into()]
    );
    assert!(h.events().is_empty());
    assert!(h.client.is_connected());
}

// PUBRELs go out in the order the PUBRECs came ([MQTT-4.6.0-4] of 3.1.1).
#[test]
fn pubrels_follow_the_order_of_the_pubrecs() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    h.client.publish(message("a")).unwrap();
    h.client.publish(message("b")).unwrap();
    assert_eq!(h.sent(), [wire(1, "a"), wire(2, "b")]);
    h.server_sends(&PubRec::new(pid(2)).into());
    h.server_sends(&PubRec::new(pid(1)).into());
    assert_eq!(
        h.sent(),
        [PubRel::new(pid(2)).into(), PubRel::new(pid(1)).into()]
    );
    h.server_sends(&PubComp::new(pid(2)).into());
    h.server_sends(&PubComp::new(pid(1)).into());
    assert_eq!(
        h.events(),
        [
            published(2, ReasonCode::SUCCESS),
            published(1, ReasonCode::SUCCESS)
        ]
    );
}
