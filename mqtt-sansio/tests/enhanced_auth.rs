//! MQTT 5.0 enhanced authentication (section 4.12): the AUTH exchange before CONNACK and
//! re-authentication while connected.

mod common;

use core::time::Duration;

use bytes::Bytes;
use common::Harness;
use mqtt_proto::{
    Auth, AuthProperties, ConnAck, Disconnect, MqttString, Packet, ProtocolVersion, ReasonCode,
};
use mqtt_sansio::{ClientError, DisconnectReason, Event, Instant};

const METHOD: &str = "SCRAM-SHA-256";

fn props(data: &'static [u8]) -> AuthProperties {
    let mut p = AuthProperties::default();
    p.authentication_method = Some(MqttString::new(METHOD).unwrap());
    p.authentication_data = Some(Bytes::from_static(data));
    p
}

fn auth(code: ReasonCode, data: &'static [u8]) -> Packet {
    let mut a = Auth::new(code);
    *a.properties = props(data);
    Packet::Auth(a)
}

fn with_method() -> Harness {
    let mut config = Harness::config(ProtocolVersion::V5);
    config.authentication_method = Some(MqttString::new(METHOD).unwrap());
    config.authentication_data = Some(Bytes::from_static(b"client-first"));
    Harness::new(config)
}

fn authenticated() -> Harness {
    let mut h = with_method();
    h.open();
    h.server_sends(&auth(ReasonCode::CONTINUE_AUTHENTICATION, b"server-first"));
    h.client
        .auth(ReasonCode::CONTINUE_AUTHENTICATION, props(b"client-final"))
        .unwrap();
    h.sent();
    h.server_sends(&ConnAck::new(false, ReasonCode::SUCCESS).into());
    h.events();
    assert!(h.client.is_connected());
    h
}

#[test]
fn connect_auth_continue_connack() {
    let mut h = with_method();
    let Packet::Connect(connect) = h.open() else {
        panic!("CONNECT first")
    };
    assert_eq!(
        connect
            .properties
            .authentication_method
            .as_ref()
            .map(MqttString::as_str),
        Some(METHOD)
    );
    assert_eq!(
        connect.properties.authentication_data.as_deref(),
        Some(&b"client-first"[..])
    );

    // The server continues with AUTH 0x18 Continue authentication.
    h.server_sends(&auth(ReasonCode::CONTINUE_AUTHENTICATION, b"server-first"));
    assert_eq!(
        h.events(),
        [Event::Auth {
            reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
            properties: props(b"server-first"),
        }]
    );
    assert!(h.sent().is_empty(), "the application answers");
    assert!(!h.client.is_connected());

    h.client
        .auth(ReasonCode::CONTINUE_AUTHENTICATION, props(b"client-final"))
        .unwrap();
    assert_eq!(
        h.sent(),
        [auth(ReasonCode::CONTINUE_AUTHENTICATION, b"client-final")]
    );
    // The exchange runs under the CONNACK deadline.
    assert_eq!(
        h.client.poll_timeout(),
        Some(Instant::ZERO + Duration::from_secs(30))
    );

    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.authentication_method = Some(MqttString::new(METHOD).unwrap());
    connack.properties.authentication_data = Some(Bytes::from_static(b"server-final"));
    h.server_sends(&connack.clone().into());
    let events = h.events();
    let [Event::Connected(connected)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(connected.connack, connack);
    assert!(h.client.is_connected());
    assert!(h.sent().is_empty());
}

// Section 4.12.1: the client starts re-authentication with AUTH 0x19; the server ends it with
// AUTH 0x00; the connection goes on throughout.
#[test]
fn re_authentication_while_connected() {
    let mut h = authenticated();
    h.client
        .auth(ReasonCode::RE_AUTHENTICATE, props(b"again-1"))
        .unwrap();
    assert_eq!(h.sent(), [auth(ReasonCode::RE_AUTHENTICATE, b"again-1")]);

    h.server_sends(&auth(ReasonCode::CONTINUE_AUTHENTICATION, b"challenge"));
    assert_eq!(
        h.events(),
        [Event::Auth {
            reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
            properties: props(b"challenge"),
        }]
    );
    h.client
        .auth(ReasonCode::CONTINUE_AUTHENTICATION, props(b"again-2"))
        .unwrap();
    assert_eq!(
        h.sent(),
        [auth(ReasonCode::CONTINUE_AUTHENTICATION, b"again-2")]
    );

    h.server_sends(&auth(ReasonCode::SUCCESS, b"done"));
    assert_eq!(
        h.events(),
        [Event::Auth {
            reason_code: ReasonCode::SUCCESS,
            properties: props(b"done"),
        }]
    );
    assert!(h.sent().is_empty());
    assert!(h.client.is_connected());
}

#[test]
fn refused_authentication() {
    let mut h = with_method();
    h.open();
    let connack = ConnAck::new(false, ReasonCode::BAD_AUTHENTICATION_METHOD);
    h.server_sends(&connack.clone().into());
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::Refused(connack))]
    );
    assert!(h.sent().is_empty());
}

// Section 4.12: AUTH is only part of an exchange the client started with a method.
#[test]
fn auth_without_a_method_asked_for_is_a_protocol_error() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.server_sends(&auth(ReasonCode::CONTINUE_AUTHENTICATION, b"x"));
    assert_eq!(
        h.sent(),
        [Packet::Disconnect(Disconnect::new(
            ReasonCode::PROTOCOL_ERROR
        ))]
    );
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::ProtocolViolation {
            reason_code: ReasonCode::PROTOCOL_ERROR,
            error: None,
        })]
    );
}

#[test]
fn auth_command_errors() {
    let mut h = with_method();
    assert_eq!(
        h.client.auth(ReasonCode::RE_AUTHENTICATE, props(b"x")),
        Err(ClientError::InvalidState),
        "no connection"
    );
    h.open();
    assert!(
        matches!(
            h.client.auth(
                ReasonCode::CONTINUE_AUTHENTICATION,
                AuthProperties::default()
            ),
            Err(ClientError::Encode(_))
        ),
        "AUTH needs its method"
    );
    assert!(h.sent().is_empty());

    let mut v3 = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    v3.connect(false);
    assert_eq!(
        v3.client.auth(ReasonCode::RE_AUTHENTICATE, props(b"x")),
        Err(ClientError::NeedsV5)
    );
    assert!(v3.sent().is_empty());
}
