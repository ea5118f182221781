//! Connecting: the CONNECT sent, CONNACK accepted or refused, the CONNACK timeout.

mod common;

use core::time::Duration;

use common::Harness;
use mqtt_proto::{ConnAck, Packet, ProtocolVersion, QoS, ReasonCode};
use mqtt_sansio::{DisconnectReason, Event, Instant, Retry, Timer};

#[test]
fn connect_carries_the_configuration_3_1_1() {
    let mut config =
        Harness::config(ProtocolVersion::V3_1_1).with_keep_alive(Duration::from_secs(30));
    config.clean_start = false;
    let mut h = Harness::new(config);
    let Packet::Connect(connect) = h.open() else {
        panic!("CONNECT first")
    };
    assert_eq!(connect.client_id, "test-client");
    assert_eq!(connect.keep_alive, 30);
    assert!(!connect.clean_start);
    assert!(connect.properties.is_empty(), "no properties in 3.1.1");
    assert_eq!(h.client.timer(), Some(Timer::ConnAck));
    assert_eq!(
        h.client.poll_timeout(),
        Some(Instant::ZERO + Duration::from_secs(30))
    );
}

#[test]
fn connect_v5_properties() {
    let mut config =
        Harness::config(ProtocolVersion::V5).with_session_expiry(Duration::from_secs(600));
    config.receive_maximum = Some(10);
    config.maximum_packet_size = Some(4096);
    config.topic_alias_maximum = 5;
    let mut h = Harness::new(config);
    let Packet::Connect(connect) = h.open() else {
        panic!("CONNECT first")
    };
    let p = &connect.properties;
    assert_eq!(p.session_expiry_interval, Some(600));
    assert_eq!(p.receive_maximum.map(core::num::NonZero::get), Some(10));
    assert_eq!(
        p.maximum_packet_size.map(core::num::NonZero::get),
        Some(4096)
    );
    assert_eq!(p.topic_alias_maximum, Some(5));
}

#[test]
fn connack_accepts_with_the_server_limits() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.open();
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.receive_maximum = core::num::NonZeroU16::new(3);
    connack.properties.maximum_qos = Some(QoS::AtLeastOnce);
    connack.properties.server_keep_alive = Some(20);
    h.server_sends(&connack.into());
    let events = h.events();
    let [Event::Connected(connected)] = &events[..] else {
        panic!("{events:?}")
    };
    assert!(!connected.session_present);
    assert_eq!(connected.limits.receive_maximum, 3);
    assert_eq!(connected.limits.maximum_qos, QoS::AtLeastOnce);
    assert_eq!(connected.limits.keep_alive, 20);
    assert!(h.client.is_connected());
    assert_eq!(h.client.timer(), Some(Timer::KeepAlive));
    // The server's keep alive replaces the client's.
    assert_eq!(
        h.client.poll_timeout(),
        Some(h.now + Duration::from_secs(20))
    );
}

#[test]
fn connack_refusal_ends_the_connection() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.open();
    h.server_sends(&ConnAck::new(false, ReasonCode::BAD_USER_NAME_OR_PASSWORD).into());
    let events = h.events();
    assert!(matches!(
        &events[..],
        [Event::Disconnected(DisconnectReason::Refused(c))] if c.reason_code == ReasonCode::BAD_USER_NAME_OR_PASSWORD
    ));
    assert!(!h.client.is_connected());
    assert_eq!(h.client.poll_timeout(), None);
}

#[test]
fn no_connack_times_out() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.open();
    h.advance(Duration::from_secs(29));
    assert!(h.events().is_empty(), "early timeouts do nothing");
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::ConnAckTimeout)]
    );
}

// [MQTT-3.2.0-1]: the first packet from the server is CONNACK.
#[test]
fn packet_before_connack_is_a_protocol_error() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.open();
    h.server_sends(&Packet::PingResp);
    assert_eq!(
        h.sent(),
        [Packet::Disconnect(mqtt_proto::Disconnect::new(
            ReasonCode::PROTOCOL_ERROR
        ))]
    );
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::ProtocolViolation {
            reason_code: ReasonCode::PROTOCOL_ERROR,
            ..
        })]
    ));
}

#[test]
fn a_second_connack_is_a_protocol_error() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.server_sends(&ConnAck::new(false, ReasonCode::SUCCESS).into());
    assert_eq!(
        h.sent(),
        [Packet::Disconnect(mqtt_proto::Disconnect::new(
            ReasonCode::PROTOCOL_ERROR
        ))]
    );
}

#[test]
fn a_3_x_server_refusing_the_version_reads_as_unsupported_protocol_version() {
    // A server speaking only 3.1.1 answers a 5.0 CONNECT with its own CONNACK: return code 0x01,
    // no property length. Read strictly as 5.0 it is malformed; it means "unsupported version".
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.open();
    h.server_sends_bytes(&[0x20, 0x02, 0x00, 0x01]);
    let events = h.events();
    assert!(
        matches!(
            &events[..],
            [Event::Disconnected(DisconnectReason::Refused(c))]
                if c.reason_code == ReasonCode::UNSUPPORTED_PROTOCOL_VERSION
        ),
        "{events:?}"
    );
    assert_eq!(
        Retry::after_connack(ReasonCode::UNSUPPORTED_PROTOCOL_VERSION),
        Retry::Fatal
    );
    // After CONNACK the same bytes are no refusal: a 5.0 CONNACK needs a property length.
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.server_sends_bytes(&[0x20, 0x02, 0x00, 0x01]);
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(
            DisconnectReason::ProtocolViolation { .. }
        )]
    ));
}
