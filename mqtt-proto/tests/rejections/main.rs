//! One test per rule the decoder enforces and per rule the encoder enforces.
//!
//! Every decode test asserts the exact [`DecodeError`] (with its fields) and the reason code an
//! MQTT 5.0 peer closes the connection with; every encode test asserts the exact [`EncodeError`]
//! and that nothing was written. Comments and test names cite the normative statement (or the
//! section where the rule has no statement id) of the MQTT 3.1.1 and 5.0 OASIS Standards.

use bytes::BytesMut;
use mqtt_proto::{DecodeError, EncodeError, Limits, Packet, ProtocolVersion, ReasonCode};

#[path = "../common/mod.rs"]
mod common;
mod connack;
mod connect;
mod encoding;
mod framing;
mod properties;
mod publish;
mod qos;
mod subscribe;
mod topics;

const V31: ProtocolVersion = ProtocolVersion::V3_1;
const V311: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;

const MALFORMED: ReasonCode = ReasonCode::MALFORMED_PACKET;
const PROTOCOL: ReasonCode = ReasonCode::PROTOCOL_ERROR;
const LOCAL_LIMIT: ReasonCode = ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Decodes `bytes` with `limits` and asserts the error and its reason code.
fn reject_with(
    version: ProtocolVersion,
    bytes: &[u8],
    limits: &Limits,
    expected: &DecodeError,
    code: ReasonCode,
) {
    let mut buf = BytesMut::from(bytes);
    let err = Packet::decode(version, &mut buf, limits).expect_err("decoding must fail");
    assert_eq!(&err, expected, "error for {bytes:02x?}");
    assert_eq!(err.reason_code(), code, "reason code of {err:?}");
}

/// Decodes `bytes` with the default limits and asserts the error and its reason code.
fn reject(version: ProtocolVersion, bytes: &[u8], expected: &DecodeError, code: ReasonCode) {
    reject_with(version, bytes, &Limits::new(), expected, code);
}

/// Decodes `bytes` and asserts that a whole packet comes out.
fn accept(version: ProtocolVersion, bytes: &[u8]) -> Packet {
    let mut buf = BytesMut::from(bytes);
    let packet = Packet::decode(version, &mut buf, &Limits::new())
        .unwrap()
        .expect("a whole packet");
    assert!(buf.is_empty());
    packet
}

/// A frame with a one-byte remaining length.
fn frame(first_byte: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first_byte, u8::try_from(body.len()).unwrap()];
    assert!(body.len() < 128, "one-byte remaining length only");
    out.extend_from_slice(body);
    out
}

/// A CONNECT frame: protocol name and level, flags, keep alive 60, properties (5.0 only) and the
/// payload bytes after them.
fn connect(name: &[u8], level: u8, flags: u8, props: Option<&[u8]>, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, u8::try_from(name.len()).unwrap()];
    body.extend_from_slice(name);
    body.extend_from_slice(&[level, flags, 0x00, 0x3c]);
    if let Some(props) = props {
        body.push(u8::try_from(props.len()).unwrap());
        body.extend_from_slice(props);
    }
    body.extend_from_slice(payload);
    frame(0x10, &body)
}

/// An MQTT 3.1.1 CONNECT with `flags` and `payload`.
fn connect_v311(flags: u8, payload: &[u8]) -> Vec<u8> {
    connect(b"MQTT", 4, flags, None, payload)
}

/// An MQTT 5.0 CONNECT with `flags`, CONNECT properties `props` and `payload`.
fn connect_v5(flags: u8, props: &[u8], payload: &[u8]) -> Vec<u8> {
    connect(b"MQTT", 5, flags, Some(props), payload)
}

/// An MQTT 5.0 QoS 0 PUBLISH to "t" with properties `props` and payload "x".
fn publish_v5(props: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, 0x01, b't', u8::try_from(props.len()).unwrap()];
    body.extend_from_slice(props);
    body.push(b'x');
    frame(0x30, &body)
}

/// An MQTT 5.0 CONNACK (success) with properties `props`.
fn connack_v5(props: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, 0x00, u8::try_from(props.len()).unwrap()];
    body.extend_from_slice(props);
    frame(0x20, &body)
}

/// An MQTT 5.0 SUBSCRIBE (packet id 1) with properties `props` and `payload`.
fn subscribe_v5(props: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, 0x01, u8::try_from(props.len()).unwrap()];
    body.extend_from_slice(props);
    body.extend_from_slice(payload);
    frame(0x82, &body)
}

/// Asserts that encoding fails with `expected` and leaves the buffer as it was.
fn encode_fails(version: ProtocolVersion, packet: &Packet, expected: &EncodeError) {
    let mut buf = BytesMut::from(&b"kept"[..]);
    assert_eq!(packet.encode(version, &mut buf).as_ref(), Err(expected));
    assert_eq!(&buf[..], b"kept", "nothing written");
}

/// A SUBSCRIBE (3.1.1, packet id 1) for `topic_filter` at QoS 0.
fn subscribe_v311(topic_filter: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, 0x01, 0x00, u8::try_from(topic_filter.len()).unwrap()];
    body.extend_from_slice(topic_filter);
    body.push(0x00);
    frame(0x82, &body)
}

/// A SUBSCRIBE (3.1.1) for "a" with options byte `options`.
fn subscribe_v311_options(options: u8) -> Vec<u8> {
    frame(0x82, &[0x00, 0x01, 0x00, 0x01, b'a', options])
}
