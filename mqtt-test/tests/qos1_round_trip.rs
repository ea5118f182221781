//! A client's QoS 1 PUBLISH answered with PUBACK, with the exact transcripts.

mod common;

use common::{connect, id, publish, send};
use mqtt_proto::{Packet, ProtocolVersion, PubAck, QosPid, ReasonCode};
use mqtt_test::{BrokerConfig, FakeBroker};

#[test]
fn qos1_publish_is_acknowledged_in_3_1_1() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    let message = publish("a/b", QosPid::AtLeastOnce(id(7)), "x");
    send(&mut broker, v, message.clone());
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x40, 0x02, 0x00, 0x07]
    );
    assert!(matches!(broker.received(), [Packet::Connect(_), Packet::Publish(p)] if *p == message));
    assert!(
        matches!(broker.sent(), [Packet::ConnAck(_), Packet::PubAck(a)] if *a == PubAck::new(id(7)))
    );
}

#[test]
fn qos1_publish_is_acknowledged_in_5_0() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    send(
        &mut broker,
        v,
        publish("a/b", QosPid::AtLeastOnce(id(1)), "x"),
    );
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x40, 0x02, 0x00, 0x01]
    );
}

#[test]
fn qos1_publish_can_be_refused_in_5_0() {
    let v = ProtocolVersion::V5;
    let mut config = BrokerConfig::new();
    config.publish_reason_code = ReasonCode::QUOTA_EXCEEDED;
    let mut broker = FakeBroker::new(config);
    connect(&mut broker, v, "c1", true);
    send(
        &mut broker,
        v,
        publish("a/b", QosPid::AtLeastOnce(id(1)), "x"),
    );
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x40, 0x03, 0x00, 0x01, 0x97]
    );
}

#[test]
fn qos0_publish_is_not_answered() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    send(&mut broker, v, publish("a/b", QosPid::AtMostOnce, "x"));
    assert_eq!(broker.poll_transmit(), None);
}
