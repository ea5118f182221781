//! CONNECT answered with an accepting CONNACK, in 3.1.1 and 5.0.

mod common;

use core::num::NonZeroU16;

use common::{connect_packet, drain, send};
use mqtt_proto::{ConnAck, MqttString, Packet, ProtocolVersion, QoS, ReasonCode};
use mqtt_test::{BrokerConfig, FakeBroker};

#[test]
fn accepts_a_3_1_1_connect_with_exact_bytes() {
    let mut broker = FakeBroker::new(BrokerConfig::new());
    send(
        &mut broker,
        ProtocolVersion::V3_1_1,
        connect_packet("c1", true),
    );
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x20, 0x02, 0x00, 0x00]
    );
    assert!(broker.is_connected());
    assert_eq!(broker.version(), Some(ProtocolVersion::V3_1_1));
    assert_eq!(broker.client_id(), Some("c1"));
    assert_eq!(broker.received(), [connect_packet("c1", true).into()]);
}

#[test]
fn accepts_a_5_0_connect_with_scripted_properties() {
    let mut config = BrokerConfig::new();
    config.connack_properties.receive_maximum = NonZeroU16::new(10);
    config.connack_properties.maximum_qos = Some(QoS::AtLeastOnce);
    config.connack_properties.server_keep_alive = Some(5);
    config.connack_properties.retain_available = Some(false);
    let mut broker = FakeBroker::new(config.clone());
    send(&mut broker, ProtocolVersion::V5, connect_packet("c1", true));

    let mut expected = ConnAck::new(false, ReasonCode::SUCCESS);
    expected.properties = config.connack_properties.into();
    assert_eq!(drain(&mut broker, ProtocolVersion::V5), [expected.into()]);
}

#[test]
fn assigns_a_client_identifier_to_an_empty_one_in_5_0() {
    let mut broker = FakeBroker::new(BrokerConfig::new());
    send(&mut broker, ProtocolVersion::V5, connect_packet("", true));
    let [Packet::ConnAck(ack)] = &drain(&mut broker, ProtocolVersion::V5)[..] else {
        panic!()
    };
    let assigned = ack.properties.assigned_client_identifier.clone().unwrap();
    assert_eq!(broker.client_id(), Some(assigned.as_str()));
}

#[test]
fn uses_the_scripted_assigned_identifier() {
    let mut config = BrokerConfig::new();
    config.connack_properties.assigned_client_identifier = Some(MqttString::new("given").unwrap());
    let mut broker = FakeBroker::new(config);
    send(&mut broker, ProtocolVersion::V5, connect_packet("", true));
    assert_eq!(broker.client_id(), Some("given"));
}

#[test]
fn accepts_a_connect_fed_one_byte_at_a_time() {
    let mut broker = FakeBroker::new(BrokerConfig::new());
    let bytes = mqtt_test::encode(ProtocolVersion::V5, &connect_packet("c1", false).into());
    for byte in &bytes {
        assert!(!broker.is_connected());
        broker.handle_read(&[*byte]);
    }
    assert!(broker.is_connected());
}

#[test]
fn session_present_can_be_forced() {
    let mut config = BrokerConfig::new();
    config.session_present = Some(true);
    let mut broker = FakeBroker::new(config);
    send(
        &mut broker,
        ProtocolVersion::V3_1_1,
        connect_packet("c1", false),
    );
    assert_eq!(
        drain(&mut broker, ProtocolVersion::V3_1_1),
        [ConnAck::new(true, ReasonCode::SUCCESS).into()]
    );
}

#[test]
fn accepts_mqtt_3_1() {
    let mut broker = FakeBroker::new(BrokerConfig::new());
    send(
        &mut broker,
        ProtocolVersion::V3_1,
        connect_packet("c1", true),
    );
    assert_eq!(broker.version(), Some(ProtocolVersion::V3_1));
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x20, 0x02, 0x00, 0x00]
    );
}
