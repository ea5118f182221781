//! Manual acknowledgements: the application acks in any order, the wire sees receipt order.

mod common;

use common::{Harness, pid, publish_packet};
use mqtt_proto::{Packet, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish, QoS};
use mqtt_sansio::{ClientError, Event};

fn manual(version: ProtocolVersion) -> Harness {
    let mut h = Harness::new(Harness::config(version).with_manual_acks(true));
    h.connect(false);
    h
}

fn incoming(qos: QoS, id: u16) -> Publish {
    publish_packet("in/t", qos, Some(id), "m")
}

// [MQTT-4.6.0-2] and [MQTT-4.6.0-3] of 3.1.1: PUBACK and PUBREC in the order the PUBLISH packets
// were received.
#[test]
fn acks_out_of_order_go_out_in_receipt_order() {
    let mut h = manual(ProtocolVersion::V3_1_1);
    let msgs = [
        incoming(QoS::AtLeastOnce, 1),
        incoming(QoS::ExactlyOnce, 2),
        incoming(QoS::AtLeastOnce, 3),
    ];
    for m in &msgs {
        h.server_sends(&m.clone().into());
    }
    assert_eq!(h.events(), msgs.map(Event::Message));
    assert!(h.sent().is_empty(), "nothing until the application acks");

    assert_eq!(h.client.ack(pid(3)), Ok(()));
    assert!(h.sent().is_empty(), "3 waits for 1 and 2");
    assert_eq!(h.client.ack(pid(2)), Ok(()));
    assert!(h.sent().is_empty(), "2 and 3 wait for 1");
    assert_eq!(h.client.ack(pid(1)), Ok(()));
    assert_eq!(
        h.sent(),
        [
            Packet::from(PubAck::new(pid(1))),
            PubRec::new(pid(2)).into(),
            PubAck::new(pid(3)).into(),
        ]
    );
    h.server_sends(&PubRel::new(pid(2)).into());
    assert_eq!(h.sent(), [PubComp::new(pid(2)).into()]);
}

#[test]
fn each_ack_releases_what_it_can() {
    let mut h = manual(ProtocolVersion::V5);
    for id in 1..=3 {
        h.server_sends(&incoming(QoS::AtLeastOnce, id).into());
    }
    h.events();
    h.client.ack(pid(2)).unwrap();
    h.client.ack(pid(1)).unwrap();
    assert_eq!(
        h.sent(),
        [
            Packet::from(PubAck::new(pid(1))),
            PubAck::new(pid(2)).into()
        ]
    );
    h.client.ack(pid(3)).unwrap();
    assert_eq!(h.sent(), [PubAck::new(pid(3)).into()]);
}

#[test]
fn ack_errors() {
    let mut h = manual(ProtocolVersion::V3_1_1);
    assert_eq!(h.client.ack(pid(1)), Err(ClientError::UnknownAck(pid(1))));
    h.server_sends(&incoming(QoS::AtLeastOnce, 1).into());
    h.client.ack(pid(1)).unwrap();
    assert_eq!(h.sent(), [PubAck::new(pid(1)).into()]);
    assert_eq!(
        h.client.ack(pid(1)),
        Err(ClientError::UnknownAck(pid(1))),
        "acked once already"
    );
    // QoS 0 has nothing to acknowledge.
    h.server_sends(&publish_packet("in/t", QoS::AtMostOnce, None, "m").into());
    assert!(h.sent().is_empty());

    let mut auto = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    auto.connect(false);
    auto.server_sends(&incoming(QoS::AtLeastOnce, 1).into());
    assert_eq!(auto.sent(), [PubAck::new(pid(1)).into()]);
    assert_eq!(auto.client.ack(pid(1)), Err(ClientError::AutomaticAcks));
    assert!(auto.sent().is_empty());
}

// A QoS 2 message sent again before the application acked it is still one message: one ack
// answers both copies with one PUBREC, and later messages are not held back.
#[test]
fn a_qos2_redelivery_before_the_ack_needs_one_ack() {
    let mut h = manual(ProtocolVersion::V3_1_1);
    let first = incoming(QoS::ExactlyOnce, 1);
    h.server_sends(&first.clone().into());
    let mut again = first.clone();
    again.dup = true;
    h.server_sends(&again.into());
    h.server_sends(&incoming(QoS::AtLeastOnce, 2).into());
    assert_eq!(
        h.events(),
        [
            Event::Message(first),
            Event::Message(incoming(QoS::AtLeastOnce, 2))
        ]
    );
    h.client.ack(pid(2)).unwrap();
    h.client.ack(pid(1)).unwrap();
    assert_eq!(
        h.sent(),
        [
            Packet::from(PubRec::new(pid(1))),
            PubAck::new(pid(2)).into()
        ]
    );
    assert_eq!(h.client.ack(pid(1)), Err(ClientError::UnknownAck(pid(1))));
}

/// A QoS 2 message delivered on a connection that ended before the application acknowledged
/// it: the acknowledgement is taken, and the PUBREC goes out when the server sends the message
/// again, which is not delivered twice.
#[test]
fn an_ack_after_the_connection_ended_goes_out_with_the_redelivery() {
    let mut h = Harness::new(
        Harness::config(ProtocolVersion::V3_1_1)
            .with_manual_acks(true)
            .with_clean_start(false),
    );
    h.connect(false);
    h.sent();
    let mut publish = publish_packet("t", QoS::ExactlyOnce, Some(3), "m");
    h.server_sends(&publish.clone().into());
    assert!(matches!(&h.events()[..], [Event::Message(_)]));
    h.client.handle_transport_closed(h.now);
    h.events();
    assert_eq!(h.client.ack(pid(3)), Ok(()));
    h.open();
    h.server_sends(&mqtt_proto::ConnAck::new(true, mqtt_proto::ReasonCode::SUCCESS).into());
    h.events();
    publish.dup = true;
    h.server_sends(&publish.into());
    assert!(h.events().is_empty(), "not delivered again");
    assert_eq!(h.sent(), [PubRec::new(pid(3)).into()]);
}
