//! Acknowledgements held back, released in order, reversed or rearranged.

mod common;

use common::{connect, drain, id, publish, send};
use mqtt_proto::{Packet, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, QosPid};
use mqtt_test::{BrokerConfig, FakeBroker};

fn held_broker(v: ProtocolVersion) -> FakeBroker {
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    broker.hold_acks(true);
    for n in 1..=3 {
        send(
            &mut broker,
            v,
            publish("t", QosPid::AtLeastOnce(id(n)), "x"),
        );
    }
    broker
}

#[test]
fn held_acks_are_not_sent_until_released() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = held_broker(v);
    assert_eq!(broker.poll_transmit(), None);
    broker.release_acks();
    assert_eq!(
        drain(&mut broker, v),
        [1, 2, 3].map(|n| PubAck::new(id(n)).into())
    );
}

#[test]
fn held_acks_can_be_released_reversed() {
    let v = ProtocolVersion::V5;
    let mut broker = held_broker(v);
    broker.release_acks_reversed();
    assert_eq!(
        drain(&mut broker, v),
        [3, 2, 1].map(|n| PubAck::new(id(n)).into())
    );
}

#[test]
fn held_acks_can_be_rearranged_and_dropped() {
    let v = ProtocolVersion::V5;
    let mut broker = held_broker(v);
    let held = broker.held_acks_mut();
    held.swap(0, 2);
    held.pop();
    broker.release_acks();
    assert_eq!(
        drain(&mut broker, v),
        [3, 2].map(|n| PubAck::new(id(n)).into())
    );
}

#[test]
fn qos2_acks_are_held_too() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    broker.hold_acks(true);
    send(
        &mut broker,
        v,
        publish("t", QosPid::ExactlyOnce(id(1)), "x"),
    );
    assert_eq!(broker.poll_transmit(), None);
    broker.release_acks();
    assert_eq!(drain(&mut broker, v), [Packet::from(PubRec::new(id(1)))]);
    send(&mut broker, v, PubRel::new(id(1)));
    assert_eq!(broker.poll_transmit(), None);
    broker.hold_acks(false);
    broker.release_acks();
    assert_eq!(drain(&mut broker, v), [Packet::from(PubComp::new(id(1)))]);
}

#[test]
fn held_acks_are_lost_with_the_connection() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = held_broker(v);
    broker.connection_closed();
    assert!(broker.held_acks_mut().is_empty());
}
