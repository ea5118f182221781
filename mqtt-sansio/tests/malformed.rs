//! Bytes from the server that are not a valid packet, and packets a server may not send.
//! MQTT 5.0 section 4.13: close with DISCONNECT and the reason code; 3.1.1 section 4.8: close
//! without sending anything.

mod common;

use common::{Harness, publish_packet};
use mqtt_proto::{
    DecodeError, Disconnect, Packet, PacketId, ProtocolVersion, QoS, ReasonCode, Subscribe,
    Subscription,
};
use mqtt_sansio::{DisconnectReason, Event};

fn connected(version: ProtocolVersion) -> Harness {
    let mut h = Harness::new(Harness::config(version));
    h.connect(false);
    h
}

fn qos0(payload: &'static str) -> Packet {
    publish_packet("t", QoS::AtMostOnce, None, payload).into()
}

fn encoded(version: ProtocolVersion, packet: &Packet) -> Vec<u8> {
    let mut buf = bytes::BytesMut::new();
    packet.encode(version, &mut buf).unwrap();
    buf.to_vec()
}

/// Sends `garbage` between two valid messages in one read: the first is processed, nothing after
/// the violation is.
fn garbage(version: ProtocolVersion, garbage: &[u8]) -> (Vec<Packet>, Vec<Event>) {
    let mut h = connected(version);
    let mut bytes = encoded(version, &qos0("before"));
    bytes.extend_from_slice(garbage);
    bytes.extend_from_slice(&encoded(version, &qos0("after")));
    h.server_sends_bytes(&bytes);
    let result = (h.sent(), h.events());
    // And nothing later either.
    h.server_sends(&qos0("later"));
    assert!(h.events().is_empty());
    assert!(h.sent().is_empty());
    assert!(!h.client.is_connected());
    assert_eq!(h.client.poll_timeout(), None);
    result
}

fn malformed(error: DecodeError) -> Event {
    Event::Disconnected(DisconnectReason::ProtocolViolation {
        reason_code: ReasonCode::MALFORMED_PACKET,
        error: Some(error),
    })
}

fn disconnect(code: ReasonCode) -> Packet {
    Packet::Disconnect(Disconnect::new(code))
}

#[test]
fn v5_reserved_packet_type_0() {
    let (sent, events) = garbage(ProtocolVersion::V5, &[0x00, 0x00]);
    assert_eq!(sent, [disconnect(ReasonCode::MALFORMED_PACKET)]);
    assert_eq!(
        events,
        [
            Event::Message(publish_packet("t", QoS::AtMostOnce, None, "before")),
            malformed(DecodeError::ReservedPacketType(0)),
        ]
    );
}

#[test]
fn reserved_packet_type_0_3_1_1_sends_nothing() {
    let (sent, events) = garbage(ProtocolVersion::V3_1_1, &[0x00, 0x00]);
    assert!(sent.is_empty());
    assert_eq!(
        events,
        [
            Event::Message(publish_packet("t", QoS::AtMostOnce, None, "before")),
            malformed(DecodeError::ReservedPacketType(0)),
        ]
    );
}

// [MQTT-1.5.5-1] (5.0): a variable byte integer uses the fewest bytes; five bytes is never valid.
#[test]
fn v5_bad_remaining_length() {
    let (sent, events) = garbage(ProtocolVersion::V5, &[0xd0, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    assert_eq!(sent, [disconnect(ReasonCode::MALFORMED_PACKET)]);
    assert_eq!(
        events.last(),
        Some(&malformed(DecodeError::MalformedRemainingLength))
    );
    assert_eq!(events.len(), 2);
}

#[test]
fn bad_remaining_length_3_1_1() {
    let (sent, events) = garbage(
        ProtocolVersion::V3_1_1,
        &[0xd0, 0x80, 0x80, 0x80, 0x80, 0x01],
    );
    assert!(sent.is_empty());
    assert_eq!(
        events.last(),
        Some(&malformed(DecodeError::MalformedRemainingLength))
    );
}

// A PUBLISH with QoS 3 ([MQTT-3.3.1-4] of 3.1.1).
#[test]
fn v5_publish_with_qos_3() {
    let (sent, events) = garbage(ProtocolVersion::V5, &[0x36, 0x03, 0x00, 0x01, b'x']);
    assert_eq!(sent, [disconnect(ReasonCode::MALFORMED_PACKET)]);
    assert_eq!(events.last(), Some(&malformed(DecodeError::InvalidQoS)));
}

fn protocol_error() -> Event {
    Event::Disconnected(DisconnectReason::ProtocolViolation {
        reason_code: ReasonCode::PROTOCOL_ERROR,
        error: None,
    })
}

fn unexpected(version: ProtocolVersion, packet: &Packet) -> (Vec<Packet>, Vec<Event>) {
    garbage(version, &encoded(version, packet))
}

fn a_subscribe() -> Packet {
    Subscribe::new(
        PacketId::MIN,
        vec![Subscription::new(common::filter("a/#"), QoS::AtMostOnce)],
    )
    .into()
}

// Packets only a client sends: SUBSCRIBE, PINGREQ (the direction of each packet, section 2.1.2).
#[test]
fn v5_subscribe_from_the_server_is_a_protocol_error() {
    let (sent, events) = unexpected(ProtocolVersion::V5, &a_subscribe());
    assert_eq!(sent, [disconnect(ReasonCode::PROTOCOL_ERROR)]);
    assert_eq!(events.last(), Some(&protocol_error()));
    assert_eq!(events.len(), 2);
}

#[test]
fn v5_pingreq_from_the_server_is_a_protocol_error() {
    let (sent, events) = unexpected(ProtocolVersion::V5, &Packet::PingReq);
    assert_eq!(sent, [disconnect(ReasonCode::PROTOCOL_ERROR)]);
    assert_eq!(events.last(), Some(&protocol_error()));
}

#[test]
fn pingreq_from_the_server_3_1_1_sends_nothing() {
    let (sent, events) = unexpected(ProtocolVersion::V3_1_1, &Packet::PingReq);
    assert!(sent.is_empty());
    assert_eq!(events.last(), Some(&protocol_error()));
}

// The connection ends at the violation: bytes not yet handed to the driver (a PUBACK owed) are
// dropped with it, as the session sends the message again; DISCONNECT alone goes out.
#[test]
fn v5_only_the_disconnect_goes_out() {
    let mut h = connected(ProtocolVersion::V5);
    let mut bytes = encoded(
        ProtocolVersion::V5,
        &publish_packet("t", QoS::AtLeastOnce, Some(3), "x").into(),
    );
    bytes.extend_from_slice(&[0x00, 0x00]);
    h.server_sends_bytes(&bytes);
    assert_eq!(h.sent(), [disconnect(ReasonCode::MALFORMED_PACKET)]);
    assert!(matches!(
        &h.events()[..],
        [Event::Message(_), Event::Disconnected(_)]
    ));
}
