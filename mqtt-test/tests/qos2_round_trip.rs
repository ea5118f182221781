//! A client's QoS 2 PUBLISH: PUBREC, then PUBREL answered with PUBCOMP.

mod common;

use common::{connect, drain, id, publish, send};
use mqtt_proto::{Packet, ProtocolVersion, PubComp, PubRec, PubRel, QosPid, ReasonCode};
use mqtt_test::{BrokerConfig, FakeBroker};

#[test]
fn qos2_exchange_has_the_exact_transcript() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    broker.take_received();
    broker.take_sent();

    let message = publish("a/b", QosPid::ExactlyOnce(id(3)), "x");
    send(&mut broker, v, message.clone());
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x50, 0x02, 0x00, 0x03]
    );
    assert_eq!(
        broker
            .session("c1")
            .unwrap()
            .awaiting_pubrel()
            .collect::<Vec<_>>(),
        [id(3)]
    );
    send(&mut broker, v, PubRel::new(id(3)));
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x70, 0x02, 0x00, 0x03]
    );

    assert_eq!(
        broker.received(),
        [Packet::Publish(message), PubRel::new(id(3)).into()]
    );
    assert_eq!(
        broker.sent(),
        [PubRec::new(id(3)).into(), PubComp::new(id(3)).into()]
    );
    assert_eq!(broker.session("c1").unwrap().awaiting_pubrel().count(), 0);
}

#[test]
fn a_redelivered_qos2_publish_is_answered_again_and_routed_once() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    send(
        &mut broker,
        v,
        common::subscribe(1, &[("a/b", mqtt_proto::QoS::AtMostOnce)]),
    );
    drain(&mut broker, v);
    let mut message = publish("a/b", QosPid::ExactlyOnce(id(3)), "x");
    send(&mut broker, v, message.clone());
    message.dup = true;
    send(&mut broker, v, message);
    let out = drain(&mut broker, v);
    let routed = out
        .iter()
        .filter(|p| matches!(p, Packet::Publish(_)))
        .count();
    assert_eq!(routed, 1);
    let recs = out
        .iter()
        .filter(|p| matches!(p, Packet::PubRec(_)))
        .count();
    assert_eq!(recs, 2);
}

#[test]
fn an_unknown_pubrel_gets_packet_identifier_not_found_in_5_0() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    send(&mut broker, v, PubRel::new(id(9)));
    assert_eq!(
        drain(&mut broker, v),
        [PubComp::with_reason(id(9), ReasonCode::PACKET_IDENTIFIER_NOT_FOUND).into()]
    );
}

#[test]
fn a_refused_qos2_publish_ends_at_pubrec() {
    let v = ProtocolVersion::V5;
    let mut config = BrokerConfig::new();
    config.publish_reason_code = ReasonCode::NOT_AUTHORIZED;
    let mut broker = FakeBroker::new(config);
    connect(&mut broker, v, "c1", true);
    send(
        &mut broker,
        v,
        publish("a/b", QosPid::ExactlyOnce(id(3)), "x"),
    );
    assert_eq!(
        drain(&mut broker, v),
        [PubRec::with_reason(id(3), ReasonCode::NOT_AUTHORIZED).into()]
    );
    assert_eq!(broker.session("c1").unwrap().awaiting_pubrel().count(), 0);
}
