//! PINGREQ answered, or not, to simulate a half-open connection.

mod common;

use common::{connect, send};
use mqtt_proto::{Packet, ProtocolVersion};
use mqtt_test::{BrokerConfig, FakeBroker};

#[test]
fn pingreq_is_answered_by_default() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    send(&mut broker, v, Packet::PingReq);
    assert_eq!(&broker.poll_transmit().unwrap()[..], [0xd0, 0x00]);
}

#[test]
fn a_silent_broker_does_not_answer_pingreq() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    broker.config_mut().answer_pings = false;
    send(&mut broker, v, Packet::PingReq);
    assert_eq!(broker.poll_transmit(), None);
    assert_eq!(broker.received().last(), Some(&Packet::PingReq));
    broker.config_mut().answer_pings = true;
    send(&mut broker, v, Packet::PingReq);
    assert_eq!(&broker.poll_transmit().unwrap()[..], [0xd0, 0x00]);
}
