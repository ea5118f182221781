//! The limits an MQTT 5.0 CONNACK announces are enforced with the right DISCONNECT.

mod common;

use core::num::NonZeroU16;

use common::{connect, drain, id, publish, send};
use mqtt_proto::{Packet, ProtocolVersion, QoS, QosPid, ReasonCode};
use mqtt_test::{BrokerConfig, FakeBroker, Violation};

fn broker_with(edit: impl FnOnce(&mut BrokerConfig)) -> FakeBroker {
    let mut config = BrokerConfig::new();
    edit(&mut config);
    let mut broker = FakeBroker::new(config);
    connect(&mut broker, ProtocolVersion::V5, "c1", true);
    broker
}

fn disconnect_code(broker: &mut FakeBroker) -> Option<ReasonCode> {
    match drain(broker, ProtocolVersion::V5).last() {
        Some(Packet::Disconnect(d)) => Some(d.reason_code),
        _ => None,
    }
}

#[test]
fn exceeding_the_receive_maximum_disconnects_with_0x93() {
    let v = ProtocolVersion::V5;
    let mut broker = broker_with(|c| c.connack_properties.receive_maximum = NonZeroU16::new(2));
    broker.hold_acks(true);
    send(
        &mut broker,
        v,
        publish("t", QosPid::AtLeastOnce(id(1)), "x"),
    );
    send(
        &mut broker,
        v,
        publish("t", QosPid::ExactlyOnce(id(2)), "x"),
    );
    assert!(broker.is_connected());
    send(
        &mut broker,
        v,
        publish("t", QosPid::AtLeastOnce(id(3)), "x"),
    );
    assert_eq!(broker.violations(), [Violation::ReceiveMaximumExceeded]);
    assert_eq!(
        disconnect_code(&mut broker),
        Some(ReasonCode::RECEIVE_MAXIMUM_EXCEEDED)
    );
}

#[test]
fn a_publish_above_maximum_qos_disconnects_with_0x9b() {
    let v = ProtocolVersion::V5;
    let mut broker = broker_with(|c| c.connack_properties.maximum_qos = Some(QoS::AtMostOnce));
    send(
        &mut broker,
        v,
        publish("t", QosPid::AtLeastOnce(id(1)), "x"),
    );
    assert_eq!(
        disconnect_code(&mut broker),
        Some(ReasonCode::QOS_NOT_SUPPORTED)
    );
}

#[test]
fn a_retained_publish_without_retain_available_disconnects_with_0x9a() {
    let v = ProtocolVersion::V5;
    let mut broker = broker_with(|c| c.connack_properties.retain_available = Some(false));
    let mut message = publish("t", QosPid::AtMostOnce, "x");
    message.retain = true;
    send(&mut broker, v, message);
    assert_eq!(
        disconnect_code(&mut broker),
        Some(ReasonCode::RETAIN_NOT_SUPPORTED)
    );
}

#[test]
fn topic_aliases_resolve_within_the_maximum() {
    let v = ProtocolVersion::V5;
    let mut broker = broker_with(|c| c.connack_properties.topic_alias_maximum = Some(2));
    send(
        &mut broker,
        v,
        common::subscribe(1, &[("long/topic", QoS::AtMostOnce)]),
    );
    let mut first = publish("long/topic", QosPid::AtMostOnce, "1");
    first.properties.topic_alias = NonZeroU16::new(2);
    send(&mut broker, v, first);
    let mut second = Packet::from(publish("t", QosPid::AtMostOnce, "2"));
    if let Packet::Publish(p) = &mut second {
        p.set_topic(mqtt_proto::TopicName::empty());
        p.properties.topic_alias = NonZeroU16::new(2);
    }
    send(&mut broker, v, second);
    let topics: Vec<String> = drain(&mut broker, v)
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some(p.topic().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(topics, ["long/topic", "long/topic"]);

    let mut third = publish("x", QosPid::AtMostOnce, "3");
    third.properties.topic_alias = NonZeroU16::new(3);
    send(&mut broker, v, third);
    assert_eq!(broker.violations(), [Violation::TopicAliasInvalid(3)]);
}
