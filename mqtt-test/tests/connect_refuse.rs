//! CONNECT refused, left unanswered, or answered after an AUTH exchange.

mod common;

use bytes::Bytes;
use common::{connect_packet, drain, send};
use mqtt_proto::{Auth, ConnAck, DecodeError, MqttString, Packet, ProtocolVersion, ReasonCode};
use mqtt_test::{BrokerConfig, ConnectAnswer, FakeBroker, Violation};

fn refusing(code: ReasonCode) -> FakeBroker {
    let mut config = BrokerConfig::new();
    config.connect_answer = ConnectAnswer::Refuse(code);
    FakeBroker::new(config)
}

#[test]
fn refuses_in_3_1_1_with_the_return_code_and_closes() {
    let mut broker = refusing(ReasonCode::NOT_AUTHORIZED);
    send(
        &mut broker,
        ProtocolVersion::V3_1_1,
        connect_packet("c1", true),
    );
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x20, 0x02, 0x00, 0x05]
    );
    assert!(broker.is_closed());
    assert!(!broker.is_connected());
    // Bytes after the close are ignored.
    send(&mut broker, ProtocolVersion::V3_1_1, Packet::PingReq);
    assert_eq!(broker.received().len(), 1);
    assert_eq!(broker.poll_transmit(), None);
}

#[test]
fn refuses_in_5_0_with_the_reason_code() {
    let mut broker = refusing(ReasonCode::BAD_USER_NAME_OR_PASSWORD);
    send(&mut broker, ProtocolVersion::V5, connect_packet("c1", true));
    assert_eq!(
        drain(&mut broker, ProtocolVersion::V5),
        [ConnAck::new(false, ReasonCode::BAD_USER_NAME_OR_PASSWORD).into()]
    );
    assert!(broker.is_closed());
    assert!(broker.session("c1").is_none());
}

#[test]
fn an_empty_client_id_with_a_persistent_session_is_rejected_in_3_1_1() {
    let mut broker = FakeBroker::new(BrokerConfig::new());
    // mqtt-proto refuses to encode this CONNECT: written by hand.
    broker.handle_read(&[
        0x10, 0x0c, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x00, 0x00, 0x3c, 0x00, 0x00,
    ]);
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x20, 0x02, 0x00, 0x02]
    );
    assert_eq!(broker.violations(), [Violation::ClientIdRejected]);
}

#[test]
fn no_answer_leaves_the_connect_pending() {
    let mut config = BrokerConfig::new();
    config.connect_answer = ConnectAnswer::NoAnswer;
    let mut broker = FakeBroker::new(config);
    send(
        &mut broker,
        ProtocolVersion::V3_1_1,
        connect_packet("c1", true),
    );
    send(&mut broker, ProtocolVersion::V3_1_1, Packet::PingReq);
    assert_eq!(broker.poll_transmit(), None);
    assert!(broker.is_connect_pending());
    assert_eq!(broker.received().len(), 2);
    // The test may answer later.
    assert!(broker.answer_connect(ConnectAnswer::Accept));
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x20, 0x02, 0x00, 0x00]
    );
    assert!(!broker.answer_connect(ConnectAnswer::Accept));
}

#[test]
fn enhanced_authentication_is_driven_by_the_test() {
    let v = ProtocolVersion::V5;
    let mut config = BrokerConfig::new();
    config.connect_answer = ConnectAnswer::NoAnswer;
    let mut broker = FakeBroker::new(config);
    let mut connect = connect_packet("c1", true);
    connect.properties.authentication_method = Some(MqttString::new("SCRAM").unwrap());
    send(&mut broker, v, connect);

    let mut challenge = Auth::new(ReasonCode::CONTINUE_AUTHENTICATION);
    challenge.properties.authentication_method = Some(MqttString::new("SCRAM").unwrap());
    challenge.properties.authentication_data = Some(Bytes::from_static(b"nonce"));
    broker.send_auth(challenge.clone());
    assert_eq!(drain(&mut broker, v), [challenge.into()]);

    let mut response = Auth::new(ReasonCode::CONTINUE_AUTHENTICATION);
    response.properties.authentication_method = Some(MqttString::new("SCRAM").unwrap());
    response.properties.authentication_data = Some(Bytes::from_static(b"proof"));
    send(&mut broker, v, response.clone());
    assert_eq!(broker.received().last(), Some(&response.into()));

    broker.answer_connect(ConnectAnswer::Accept);
    assert!(broker.is_connected());
    assert!(matches!(drain(&mut broker, v)[..], [Packet::ConnAck(_)]));
}

#[test]
fn an_unknown_protocol_level_is_answered_with_return_code_1() {
    let mut broker = FakeBroker::new(BrokerConfig::new());
    broker.handle_read(&[
        0x10, 0x0a, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x07, 0x02, 0x00, 0x3c,
    ]);
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x20, 0x02, 0x00, 0x01]
    );
    assert_eq!(
        broker.decode_errors().collect::<Vec<_>>(),
        [&DecodeError::UnsupportedProtocolVersion(7)]
    );
    assert!(broker.is_closed());
}

#[test]
fn a_second_connect_closes_with_protocol_error() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    send(&mut broker, v, connect_packet("c1", true));
    send(&mut broker, v, connect_packet("c1", true));
    let out = drain(&mut broker, v);
    assert!(
        matches!(&out[..], [Packet::ConnAck(_), Packet::Disconnect(d)]
        if d.reason_code == ReasonCode::PROTOCOL_ERROR)
    );
    assert_eq!(broker.violations(), [Violation::SecondConnect]);
}
