//! Bytes and packets injected as they are, and server DISCONNECT.

mod common;

use common::{connect, drain, id, publish, send};
use mqtt_proto::{DisconnectProperties, Packet, ProtocolVersion, QosPid, ReasonCode};
use mqtt_test::{BrokerConfig, FakeBroker};

#[test]
fn raw_bytes_go_out_untouched() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    broker.send_raw([0xff, 0x00, 0x13]);
    assert_eq!(&broker.poll_transmit().unwrap()[..], [0xff, 0x00, 0x13]);
    assert_eq!(
        broker.sent().len(),
        1,
        "raw bytes are not in the packet transcript"
    );
}

#[test]
fn packets_are_sent_as_given_without_tracking() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    let mut message = publish("t", QosPid::AtLeastOnce(id(500)), "x");
    message.dup = true;
    broker.send_packet(&message.clone().into());
    assert_eq!(drain(&mut broker, v), [Packet::Publish(message)]);
    assert_eq!(broker.session("c1").unwrap().unacknowledged().count(), 0);
}

#[test]
fn server_disconnect_carries_its_reason_and_closes() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    let mut properties = DisconnectProperties::default();
    properties.server_reference = mqtt_proto::MqttString::new("other:1883").ok();
    broker.send_disconnect(ReasonCode::SERVER_MOVED, properties);
    assert!(broker.is_closed());
    let out = drain(&mut broker, v);
    assert!(matches!(&out[..], [Packet::Disconnect(d)]
        if d.reason_code == ReasonCode::SERVER_MOVED && d.properties.server_reference.is_some()));
    send(&mut broker, v, Packet::PingReq);
    assert_eq!(broker.poll_transmit(), None);
}
