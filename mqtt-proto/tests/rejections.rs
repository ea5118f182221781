//! One test per rule the decoder enforces and per rule the encoder enforces.
//!
//! Every decode test asserts the exact [`DecodeError`] (with its fields) and the reason code an
//! MQTT 5.0 peer closes the connection with; every encode test asserts the exact [`EncodeError`]
//! and that nothing was written. Comments and test names cite the normative statement (or the
//! section where the rule has no statement id) of the MQTT 3.1.1 and 5.0 OASIS Standards.

use core::num::NonZeroU16;

use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    Auth, ConnAck, Connect, DecodeError, EncodeError, FixedHeader, LastWill, Limits, Packet,
    PacketId, PacketType, PropertyId, ProtocolVersion, PubAck, Publish, QoS, QosPid, ReasonCode,
    StringError, SubAck, Subscribe, Subscription, TopicError, TopicFilter, TopicName, UnsubAck,
    Unsubscribe,
};

mod common;

use common::{filter, name, pid, s};

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

// ---------------------------------------------------------------------------------------------
// Fixed header and framing

// [MQTT-1.5.5-1] (5.0), 2.2.3 (3.1.1): at most four bytes of remaining length.
#[test]
fn remaining_length_of_five_bytes_mqtt_1_5_5_1() {
    let err = DecodeError::MalformedRemainingLength;
    reject(V5, &[0x30, 0xff, 0xff, 0xff, 0xff, 0x7f], &err, MALFORMED);
    // Rejected as soon as the fourth byte still has its continuation bit set.
    reject(V311, &[0x30, 0x80, 0x80, 0x80, 0x80], &err, MALFORMED);
}

// [MQTT-1.5.5-1]: the remaining length uses the minimum number of bytes.
#[test]
fn remaining_length_not_minimal_mqtt_1_5_5_1() {
    let err = DecodeError::MalformedRemainingLength;
    reject(V5, &[0xc0, 0x80, 0x00], &err, MALFORMED);
    reject(V311, &[0x40, 0x82, 0x00, 0x00, 0x01], &err, MALFORMED);
    reject(V5, &[0x30, 0xff, 0x80, 0x00], &err, MALFORMED);
}

// [MQTT-3.1.2-24], [MQTT-3.2.2-15]: Maximum Packet Size counts the whole packet; checked from
// the fixed header, before the body arrives.
#[test]
fn packet_too_large_from_fixed_header_mqtt_3_1_2_24() {
    let limits = Limits::new().with_max_packet_size(1024);
    // Only the fixed header: remaining length 16,383 in two bytes.
    reject_with(
        V5,
        &[0x30, 0xff, 0x7f],
        &limits,
        &DecodeError::PacketTooLarge {
            size: 16_386,
            max: 1024,
        },
        ReasonCode::PACKET_TOO_LARGE,
    );
    // The limit is inclusive: an 11-byte packet passes a limit of 11 and fails a limit of 10.
    let packet = [
        0x30, 0x09, 0x00, 0x01, b't', b'p', b'a', b'y', b'l', b'o', b'd',
    ];
    let mut buf = BytesMut::from(&packet[..]);
    let eleven = Limits::new().with_max_packet_size(11);
    assert!(matches!(
        Packet::decode(V311, &mut buf, &eleven),
        Ok(Some(Packet::Publish(_)))
    ));
    reject_with(
        V311,
        &packet[..2],
        &Limits::new().with_max_packet_size(10),
        &DecodeError::PacketTooLarge { size: 11, max: 10 },
        ReasonCode::PACKET_TOO_LARGE,
    );
}

// 2.1.2 (5.0), 2.2.1 (3.1.1): packet type 0 is reserved.
#[test]
fn reserved_packet_type_0_section_2_1_2() {
    for version in [V31, V311, V5] {
        reject(
            version,
            &[0x00, 0x00],
            &DecodeError::ReservedPacketType(0),
            MALFORMED,
        );
    }
}

// 3.1.1 section 2.2.1: packet type 15 is reserved before MQTT 5.0 introduced AUTH.
#[test]
fn auth_packet_type_before_mqtt_5_section_2_2_1() {
    for version in [V31, V311] {
        reject(
            version,
            &[0xf0, 0x00],
            &DecodeError::ReservedPacketType(15),
            MALFORMED,
        );
    }
}

// [MQTT-2.1.3-1] (5.0), [MQTT-2.2.2-2] (3.1.1): reserved flag bits must hold the listed values;
// PUBREL [MQTT-3.6.1-1], SUBSCRIBE [MQTT-3.8.1-1] and UNSUBSCRIBE [MQTT-3.10.1-1] need 0b0010.
#[test]
fn invalid_fixed_header_flags_mqtt_2_1_3_1() {
    let cases = [
        (0x11, PacketType::Connect, V5),
        (0x18, PacketType::Connect, V311),
        (0x28, PacketType::ConnAck, V5),
        (0x42, PacketType::PubAck, V5),
        (0x51, PacketType::PubRec, V311),
        (0x60, PacketType::PubRel, V5),
        (0x63, PacketType::PubRel, V311),
        (0x72, PacketType::PubComp, V5),
        (0x80, PacketType::Subscribe, V5),
        (0x8a, PacketType::Subscribe, V311),
        (0x91, PacketType::SubAck, V5),
        (0xa0, PacketType::Unsubscribe, V5),
        (0xa3, PacketType::Unsubscribe, V31),
        (0xb4, PacketType::UnsubAck, V311),
        (0xc8, PacketType::PingReq, V5),
        (0xd1, PacketType::PingResp, V311),
        (0xe2, PacketType::Disconnect, V5),
        (0xf1, PacketType::Auth, V5),
    ];
    for (first_byte, packet_type, version) in cases {
        reject(
            version,
            &[first_byte, 0x00],
            &DecodeError::InvalidHeaderFlags {
                packet_type,
                flags: first_byte & 0x0f,
            },
            MALFORMED,
        );
    }
}

// A field that runs past the end of the packet is a Malformed Packet (MQTT 5.0 section 4.13,
// "the Remaining Length does not match the packet").
#[test]
fn truncated_fields_section_4_13() {
    let err = DecodeError::UnexpectedEof;
    // Client identifier announces 5 bytes, 2 follow.
    reject(
        V311,
        &connect_v311(0x02, &[0x00, 0x05, b'a', b'b']),
        &err,
        MALFORMED,
    );
    // Protocol name cut short.
    reject(V5, &[0x10, 0x01, 0x00], &err, MALFORMED);
    // PUBACK with half a packet identifier.
    reject(V311, &[0x40, 0x01, 0x00], &err, MALFORMED);
    // Topic name announces 5 bytes, 1 follows.
    reject(V311, &[0x30, 0x03, 0x00, 0x05, b'a'], &err, MALFORMED);
    // QoS 1 PUBLISH without its packet identifier.
    reject(V311, &[0x32, 0x03, 0x00, 0x01, b't'], &err, MALFORMED);
    // Property length 5, one byte of properties.
    reject(
        V5,
        &[0x30, 0x05, 0x00, 0x01, b't', 0x05, 0x01],
        &err,
        MALFORMED,
    );
    // Four byte integer cut short inside the properties.
    reject(V5, &publish_v5(&[0x02, 0x00, 0x00]), &err, MALFORMED);
    // Variable byte integer cut short inside the properties.
    reject(V5, &publish_v5(&[0x0b, 0x80]), &err, MALFORMED);
    // SUBSCRIBE filter without its options byte.
    reject(
        V311,
        &[0x82, 0x05, 0x00, 0x01, 0x00, 0x01, b'a'],
        &err,
        MALFORMED,
    );
}

// Bytes after the last field are a Malformed Packet (section 4.13).
#[test]
fn trailing_bytes_section_4_13() {
    reject(
        V311,
        &connect_v311(0x02, &[0x00, 0x01, b'c', 0xaa, 0xbb]),
        &DecodeError::TrailingBytes(2),
        MALFORMED,
    );
    reject(
        V311,
        &[0x20, 0x03, 0x00, 0x00, 0x00],
        &DecodeError::TrailingBytes(1),
        MALFORMED,
    );
    reject(
        V311,
        &[0x40, 0x03, 0x00, 0x01, 0x00],
        &DecodeError::TrailingBytes(1),
        MALFORMED,
    );
    reject(
        V311,
        &[0xb0, 0x03, 0x00, 0x01, 0x00],
        &DecodeError::TrailingBytes(1),
        MALFORMED,
    );
    reject(
        V5,
        &[0xc0, 0x01, 0x00],
        &DecodeError::TrailingBytes(1),
        MALFORMED,
    );
    reject(
        V311,
        &[0xd0, 0x02, 0x00, 0x00],
        &DecodeError::TrailingBytes(2),
        MALFORMED,
    );
    // A 3.1.1 DISCONNECT has no variable header.
    reject(
        V311,
        &[0xe0, 0x01, 0x00],
        &DecodeError::TrailingBytes(1),
        MALFORMED,
    );
    // MQTT 5.0 PUBACK / AUTH: a byte after the properties.
    reject(
        V5,
        &[0x40, 0x05, 0x00, 0x01, 0x10, 0x00, 0xaa],
        &DecodeError::TrailingBytes(1),
        MALFORMED,
    );
    reject(
        V5,
        &[0xf0, 0x03, 0x18, 0x00, 0xaa],
        &DecodeError::TrailingBytes(1),
        MALFORMED,
    );
}

// `Packet::decode_frame` checks that the body has the length the fixed header announces.
#[test]
fn decode_frame_body_length_mismatch() {
    let header = FixedHeader::parse(&[0x40, 0x02]).unwrap().unwrap();
    assert_eq!(
        Packet::decode_frame(V311, header, Bytes::from_static(&[0x00]), &Limits::new()),
        Err(DecodeError::UnexpectedEof)
    );
    assert_eq!(
        Packet::decode_frame(
            V311,
            header,
            Bytes::from_static(&[0x00, 0x01, 0x02]),
            &Limits::new()
        ),
        Err(DecodeError::TrailingBytes(1))
    );
}

// [MQTT-1.5.3-1] (3.1.1), [MQTT-1.5.4-1] (5.0): ill-formed UTF-8 is a Malformed Packet.
#[test]
fn invalid_utf8_mqtt_1_5_4_1() {
    let err = DecodeError::InvalidString(StringError::InvalidUtf8);
    reject(
        V311,
        &connect_v311(0x02, &[0x00, 0x02, 0xc3, 0x28]),
        &err,
        MALFORMED,
    );
    reject(
        V5,
        &connect_v5(0x02, &[], &[0x00, 0x01, 0xff]),
        &err,
        MALFORMED,
    );
    // In a topic name: a Malformed Packet as well.
    reject(
        V5,
        &[0x30, 0x05, 0x00, 0x02, 0xc3, 0x28, 0x00],
        &DecodeError::InvalidTopic(TopicError::String(StringError::InvalidUtf8)),
        MALFORMED,
    );
    // In a user property.
    reject(
        V5,
        &publish_v5(&[0x26, 0x00, 0x01, 0xff, 0x00, 0x00]),
        &err,
        MALFORMED,
    );
}

// [MQTT-1.5.3-2] (3.1.1), [MQTT-1.5.4-2] (5.0): U+0000 in a string is a Malformed Packet.
#[test]
fn null_character_mqtt_1_5_4_2() {
    let err = DecodeError::InvalidString(StringError::NullCharacter);
    reject(
        V311,
        &connect_v311(0x02, &[0x00, 0x02, b'a', 0x00]),
        &err,
        MALFORMED,
    );
    reject(
        V311,
        &[0x30, 0x04, 0x00, 0x02, b'a', 0x00],
        &DecodeError::InvalidTopic(TopicError::String(StringError::NullCharacter)),
        MALFORMED,
    );
    reject(V5, &publish_v5(&[0x03, 0x00, 0x01, 0x00]), &err, MALFORMED);
}

// [MQTT-1.5.3-1] (3.1.1), [MQTT-1.5.4-1] (5.0): no encodings of U+D800 to U+DFFF.
#[test]
fn surrogate_encoding_mqtt_1_5_4_1() {
    reject(
        V5,
        &connect_v5(0x02, &[], &[0x00, 0x03, 0xed, 0xa0, 0x80]),
        &DecodeError::InvalidString(StringError::InvalidUtf8),
        MALFORMED,
    );
    reject(
        V311,
        &[0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 0xed, 0xbf, 0xbf, 0x00],
        &DecodeError::InvalidTopic(TopicError::String(StringError::InvalidUtf8)),
        MALFORMED,
    );
}

// ---------------------------------------------------------------------------------------------
// Topics

// [MQTT-3.3.2-2]: the topic name of a PUBLISH has no wildcard characters; nor does a will topic
// (3.1.3.3) or a Response Topic ([MQTT-3.3.2-14]).
#[test]
fn wildcard_in_topic_name_mqtt_3_3_2_2() {
    let err = DecodeError::InvalidTopic(TopicError::WildcardInName);
    reject(
        V311,
        &[0x30, 0x05, 0x00, 0x03, b'a', b'/', b'+'],
        &err,
        PROTOCOL,
    );
    reject(V5, &[0x30, 0x04, 0x00, 0x01, b'#', 0x00], &err, PROTOCOL);
    reject(
        V311,
        &connect_v311(0x06, &[0x00, 0x01, b'c', 0x00, 0x01, b'#', 0x00, 0x00]),
        &err,
        PROTOCOL,
    );
    reject(
        V5,
        &publish_v5(&[0x08, 0x00, 0x03, b'a', b'/', b'+']),
        &err,
        PROTOCOL,
    );
}

// [MQTT-4.7.3-1]: topic names and filters are at least one character long.
#[test]
fn empty_topic_mqtt_4_7_3_1() {
    let err = DecodeError::InvalidTopic(TopicError::Empty);
    // 3.x PUBLISH has no Topic Alias to stand for the name.
    reject(V311, &[0x30, 0x03, 0x00, 0x00, b'x'], &err, PROTOCOL);
    // Will topic.
    reject(
        V5,
        &connect_v5(0x06, &[], &[0x00, 0x01, b'c', 0x00, 0x00, 0x00, 0x00, 0x00]),
        &err,
        PROTOCOL,
    );
    // Topic filter.
    reject(
        V311,
        &[0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00],
        &err,
        PROTOCOL,
    );
    // Response Topic.
    reject(V5, &publish_v5(&[0x08, 0x00, 0x00]), &err, PROTOCOL);
}

/// A SUBSCRIBE (3.1.1, packet id 1) for `topic_filter` at QoS 0.
fn subscribe_v311(topic_filter: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, 0x01, 0x00, u8::try_from(topic_filter.len()).unwrap()];
    body.extend_from_slice(topic_filter);
    body.push(0x00);
    frame(0x82, &body)
}

// [MQTT-4.7.1-2] (3.1.1), [MQTT-4.7.1-1] (5.0): '#' is last and alone in its level.
#[test]
fn multi_level_wildcard_not_last_mqtt_4_7_1_2() {
    let err = DecodeError::InvalidTopic(TopicError::InvalidMultiLevelWildcard);
    reject(V311, &subscribe_v311(b"a/#/b"), &err, PROTOCOL);
    reject(V311, &subscribe_v311(b"a#"), &err, PROTOCOL);
    // UNSUBSCRIBE filters obey the same rule.
    reject(
        V311,
        &[0xa2, 0x07, 0x00, 0x01, 0x00, 0x03, b'#', b'/', b'a'],
        &err,
        PROTOCOL,
    );
}

// [MQTT-4.7.1-3] (3.1.1), [MQTT-4.7.1-2] (5.0): '+' occupies a whole level.
#[test]
fn single_level_wildcard_not_whole_level_mqtt_4_7_1_3() {
    let err = DecodeError::InvalidTopic(TopicError::InvalidSingleLevelWildcard);
    reject(V311, &subscribe_v311(b"a+"), &err, PROTOCOL);
    reject(V311, &subscribe_v311(b"a/+b/c"), &err, PROTOCOL);
}

// [MQTT-4.8.2-1], [MQTT-4.8.2-2]: $share/{ShareName}/{filter} with a non-empty ShareName without
// wildcards, followed by a filter.
#[test]
fn bad_shared_subscription_mqtt_4_8_2_1() {
    let err = DecodeError::InvalidTopic(TopicError::InvalidSharedSubscription);
    for bad in [
        &b"$share//x"[..],
        &b"$share/g"[..],
        &b"$share/g/"[..],
        &b"$share/+/x"[..],
    ] {
        let mut payload = vec![0x00, u8::try_from(bad.len()).unwrap()];
        payload.extend_from_slice(bad);
        payload.push(0x00);
        reject(V5, &subscribe_v5(&[], &payload), &err, PROTOCOL);
    }
}

// ---------------------------------------------------------------------------------------------
// QoS, DUP and packet identifiers

// [MQTT-3.3.1-4]: a PUBLISH with both QoS bits set is a Malformed Packet.
#[test]
fn publish_qos_3_mqtt_3_3_1_4() {
    for version in [V311, V5] {
        reject(
            version,
            &[0x36, 0x06, 0x00, 0x01, b't', 0x00, 0x01, 0x00],
            &DecodeError::InvalidQoS,
            MALFORMED,
        );
    }
}

// [MQTT-3.1.2-14] (3.1.1), [MQTT-3.1.2-12] (5.0): Will QoS 3 is a Malformed Packet.
#[test]
fn will_qos_3_mqtt_3_1_2_12() {
    let will = [0x00, 0x01, b'c', 0x00, 0x01, b'w', 0x00, 0x00];
    reject(
        V311,
        &connect_v311(0x1e, &will),
        &DecodeError::InvalidQoS,
        MALFORMED,
    );
    let will_v5 = [0x00, 0x01, b'c', 0x00, 0x00, 0x01, b'w', 0x00, 0x00];
    reject(
        V5,
        &connect_v5(0x1e, &[], &will_v5),
        &DecodeError::InvalidQoS,
        MALFORMED,
    );
}

// [MQTT-3-8.3-4] (3.1.1): a requested QoS of 3 is malformed. Section 3.8.3.1 (5.0): a Maximum
// QoS of 3 is a Protocol Error.
#[test]
fn subscription_qos_3_mqtt_3_8_3_4() {
    reject(
        V311,
        &subscribe_v311_options(0x03),
        &DecodeError::InvalidQoS,
        MALFORMED,
    );
    reject(
        V5,
        &subscribe_v5(&[], &[0x00, 0x01, b'a', 0x03]),
        &DecodeError::InvalidSubscriptionQoS,
        PROTOCOL,
    );
}

/// A SUBSCRIBE (3.1.1) for "a" with options byte `options`.
fn subscribe_v311_options(options: u8) -> Vec<u8> {
    frame(0x82, &[0x00, 0x01, 0x00, 0x01, b'a', options])
}

// [MQTT-3.3.1-2]: DUP is 0 for all QoS 0 messages.
#[test]
fn dup_on_qos_0_mqtt_3_3_1_2() {
    reject(
        V311,
        &[0x38, 0x03, 0x00, 0x01, b't'],
        &DecodeError::DupWithQoS0,
        MALFORMED,
    );
    reject(
        V5,
        &[0x39, 0x04, 0x00, 0x01, b't', 0x00],
        &DecodeError::DupWithQoS0,
        MALFORMED,
    );
}

// [MQTT-2.3.1-1] (3.1.1), [MQTT-2.2.1-3] (5.0): packet identifiers are non-zero, in every packet
// that carries one.
#[test]
fn packet_identifier_zero_mqtt_2_2_1_3() {
    let v311 = [
        vec![0x32, 0x05, 0x00, 0x01, b't', 0x00, 0x00],
        vec![0x34, 0x05, 0x00, 0x01, b't', 0x00, 0x00],
        vec![0x40, 0x02, 0x00, 0x00],
        vec![0x50, 0x02, 0x00, 0x00],
        vec![0x62, 0x02, 0x00, 0x00],
        vec![0x70, 0x02, 0x00, 0x00],
        vec![0x82, 0x06, 0x00, 0x00, 0x00, 0x01, b'a', 0x00],
        vec![0x90, 0x03, 0x00, 0x00, 0x00],
        vec![0xa2, 0x05, 0x00, 0x00, 0x00, 0x01, b'a'],
        vec![0xb0, 0x02, 0x00, 0x00],
    ];
    for bytes in &v311 {
        reject(V311, bytes, &DecodeError::ZeroPacketId, MALFORMED);
    }
    let v5 = [
        vec![0x32, 0x06, 0x00, 0x01, b't', 0x00, 0x00, 0x00],
        vec![0x34, 0x06, 0x00, 0x01, b't', 0x00, 0x00, 0x00],
        vec![0x40, 0x02, 0x00, 0x00],
        vec![0x50, 0x03, 0x00, 0x00, 0x10],
        vec![0x62, 0x02, 0x00, 0x00],
        vec![0x70, 0x02, 0x00, 0x00],
        vec![0x82, 0x07, 0x00, 0x00, 0x00, 0x00, 0x01, b'a', 0x00],
        vec![0x90, 0x04, 0x00, 0x00, 0x00, 0x00],
        vec![0xa2, 0x06, 0x00, 0x00, 0x00, 0x00, 0x01, b'a'],
        vec![0xb0, 0x04, 0x00, 0x00, 0x00, 0x00],
    ];
    for bytes in &v5 {
        reject(V5, bytes, &DecodeError::ZeroPacketId, MALFORMED);
    }
}

// ---------------------------------------------------------------------------------------------
// CONNECT

// [MQTT-3.1.2-1]: the protocol name is "MQTT" ("MQIsdp" for 3.1).
#[test]
fn unknown_protocol_name_mqtt_3_1_2_1() {
    let payload = [0x00, 0x01, b'c'];
    reject(
        V311,
        &connect(b"MQTX", 4, 0x02, None, &payload),
        &DecodeError::InvalidProtocolName,
        ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
    );
    reject(
        V5,
        &connect(b"mqtt", 5, 0x02, Some(&[]), &payload),
        &DecodeError::InvalidProtocolName,
        ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
    );
}

// [MQTT-3.1.2-2]: a protocol level that is not the one expected.
#[test]
fn unsupported_protocol_level_mqtt_3_1_2_2() {
    let payload = [0x00, 0x01, b'c'];
    let cases = [
        (V5, connect(b"MQTT", 6, 0x02, Some(&[]), &payload), 6),
        // A 3.1.1 CONNECT where 5.0 is expected, and the other way round.
        (V5, connect(b"MQTT", 4, 0x02, None, &payload), 4),
        (V311, connect(b"MQTT", 5, 0x02, Some(&[]), &payload), 5),
        (V311, connect(b"MQTT", 3, 0x02, None, &payload), 3),
        // "MQIsdp" is level 3 only.
        (V31, connect(b"MQIsdp", 4, 0x02, None, &payload), 4),
        (V311, connect(b"MQIsdp", 3, 0x02, None, &payload), 3),
    ];
    for (version, bytes, level) in cases {
        reject(
            version,
            &bytes,
            &DecodeError::UnsupportedProtocolVersion(level),
            ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
        );
    }
}

// [MQTT-3.1.2-3]: the reserved CONNECT flag is 0.
#[test]
fn reserved_connect_flag_mqtt_3_1_2_3() {
    reject(
        V311,
        &connect_v311(0x03, &[0x00, 0x01, b'c']),
        &DecodeError::ReservedConnectFlag,
        MALFORMED,
    );
    reject(
        V5,
        &connect_v5(0x01, &[], &[0x00, 0x01, b'c']),
        &DecodeError::ReservedConnectFlag,
        MALFORMED,
    );
}

// [MQTT-3.1.2-13], [MQTT-3.1.2-15] (3.1.1), [MQTT-3.1.2-11], [MQTT-3.1.2-13] (5.0): Will QoS and
// Will Retain are 0 without the Will Flag.
#[test]
fn will_qos_or_retain_without_will_mqtt_3_1_2_11() {
    let payload = [0x00, 0x01, b'c'];
    for flags in [0x0a, 0x12, 0x22, 0x1a] {
        reject(
            V311,
            &connect_v311(flags, &payload),
            &DecodeError::InvalidWillFlags,
            MALFORMED,
        );
        reject(
            V5,
            &connect_v5(flags, &[], &payload),
            &DecodeError::InvalidWillFlags,
            MALFORMED,
        );
    }
}

// [MQTT-3.1.2-22] (3.1.1): no password without a user name; 3.1.2.9 (5.0) allows it.
#[test]
fn password_without_user_name_mqtt_3_1_2_22() {
    let payload = [0x00, 0x01, b'c', 0x00, 0x01, b'p'];
    reject(
        V311,
        &connect_v311(0x42, &payload),
        &DecodeError::PasswordWithoutUsername,
        MALFORMED,
    );
    reject(
        V31,
        &connect(b"MQIsdp", 3, 0x42, None, &payload),
        &DecodeError::PasswordWithoutUsername,
        MALFORMED,
    );
    let Packet::Connect(accepted) = accept(V5, &connect_v5(0x42, &[], &payload)) else {
        panic!("a CONNECT");
    };
    assert_eq!(accepted.username, None);
    assert_eq!(accepted.password, Some(Bytes::from_static(b"p")));
}

// ---------------------------------------------------------------------------------------------
// CONNACK

// [MQTT-3.2.2-1] (5.0), 3.2.2.1 (3.1.1): bits 7 to 1 of the acknowledge flags are 0; MQTT 3.1
// has no Session Present, its whole byte is reserved.
#[test]
fn connack_reserved_flags_mqtt_3_2_2_1() {
    reject(
        V311,
        &[0x20, 0x02, 0x02, 0x00],
        &DecodeError::InvalidConnAckFlags(0x02),
        MALFORMED,
    );
    reject(
        V5,
        &[0x20, 0x03, 0x80, 0x00, 0x00],
        &DecodeError::InvalidConnAckFlags(0x80),
        MALFORMED,
    );
    reject(
        V31,
        &[0x20, 0x02, 0x01, 0x00],
        &DecodeError::InvalidConnAckFlags(0x01),
        MALFORMED,
    );
}

// [MQTT-3.2.2-4] (3.1.1), [MQTT-3.2.2-6] (5.0): Session Present is 0 with a non-zero code.
#[test]
fn session_present_with_failure_mqtt_3_2_2_6() {
    reject(
        V311,
        &[0x20, 0x02, 0x01, 0x05],
        &DecodeError::SessionPresentOnFailure,
        MALFORMED,
    );
    reject(
        V5,
        &[0x20, 0x03, 0x01, 0x87, 0x00],
        &DecodeError::SessionPresentOnFailure,
        MALFORMED,
    );
}

// 3.2.2.3 (3.1.1), Table 3.1: return codes 6 to 255 are reserved.
#[test]
fn v3_connack_return_code_6_section_3_2_2_3() {
    for code in [0x06, 0x80, 0xff] {
        reject(
            V311,
            &[0x20, 0x02, 0x00, code],
            &DecodeError::InvalidReasonCode {
                packet_type: PacketType::ConnAck,
                code: ReasonCode(code),
            },
            MALFORMED,
        );
    }
}

// MQTT 5.0 reason code tables: 3.2.2.2 (CONNACK), 3.4.2.1 (PUBACK), 3.5.2.1 (PUBREC),
// 3.6.2.1 (PUBREL), 3.7.2.1 (PUBCOMP), 3.9.3 (SUBACK), 3.11.3 (UNSUBACK), 3.14.2.1
// (DISCONNECT), 3.15.2.1 (AUTH).
#[test]
fn invalid_reason_code_per_packet_section_2_4() {
    let cases = [
        (
            vec![0x20, 0x03, 0x00, 0x10, 0x00],
            PacketType::ConnAck,
            0x10,
        ),
        (
            vec![0x20, 0x03, 0x00, 0x8e, 0x00],
            PacketType::ConnAck,
            0x8e,
        ),
        (vec![0x40, 0x03, 0x00, 0x01, 0x92], PacketType::PubAck, 0x92),
        (vec![0x50, 0x03, 0x00, 0x01, 0x11], PacketType::PubRec, 0x11),
        (vec![0x62, 0x03, 0x00, 0x01, 0x10], PacketType::PubRel, 0x10),
        (
            vec![0x70, 0x03, 0x00, 0x01, 0x80],
            PacketType::PubComp,
            0x80,
        ),
        (
            vec![0x90, 0x04, 0x00, 0x01, 0x00, 0x03],
            PacketType::SubAck,
            0x03,
        ),
        (
            vec![0x90, 0x04, 0x00, 0x01, 0x00, 0x11],
            PacketType::SubAck,
            0x11,
        ),
        (
            vec![0xb0, 0x04, 0x00, 0x01, 0x00, 0x01],
            PacketType::UnsubAck,
            0x01,
        ),
        (vec![0xe0, 0x01, 0x01], PacketType::Disconnect, 0x01),
        (vec![0xe0, 0x01, 0x84], PacketType::Disconnect, 0x84),
        (vec![0xf0, 0x02, 0x01, 0x00], PacketType::Auth, 0x01),
        (vec![0xf0, 0x02, 0x87, 0x00], PacketType::Auth, 0x87),
    ];
    for (bytes, packet_type, code) in cases {
        reject(
            V5,
            &bytes,
            &DecodeError::InvalidReasonCode {
                packet_type,
                code: ReasonCode(code),
            },
            MALFORMED,
        );
    }
}

// [MQTT-3.9.3-2] (3.1.1): SUBACK return codes other than 0x00, 0x01, 0x02 and 0x80 are reserved.
#[test]
fn v3_suback_reserved_return_code_mqtt_3_9_3_2() {
    for code in [0x03, 0x81, 0x97] {
        reject(
            V311,
            &[0x90, 0x03, 0x00, 0x01, code],
            &DecodeError::InvalidReasonCode {
                packet_type: PacketType::SubAck,
                code: ReasonCode(code),
            },
            MALFORMED,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SUBSCRIBE, UNSUBSCRIBE and their acknowledgements

// [MQTT-3-8.3-4] (3.1.1): bits 7 to 2 of the requested QoS byte are 0.
// [MQTT-3.8.3-5] (5.0): bits 7 and 6 of the subscription options are 0.
#[test]
fn subscription_options_reserved_bits_mqtt_3_8_3_5() {
    // No Local, Retain As Published and Retain Handling do not exist in 3.1.1.
    for options in [0x04, 0x08, 0x10, 0x80] {
        reject(
            V311,
            &subscribe_v311_options(options),
            &DecodeError::InvalidSubscriptionOptions(options),
            MALFORMED,
        );
    }
    for options in [0x40, 0x80, 0xc1] {
        reject(
            V5,
            &subscribe_v5(&[], &[0x00, 0x01, b'a', options]),
            &DecodeError::InvalidSubscriptionOptions(options),
            MALFORMED,
        );
    }
}

// 3.8.3.1 (5.0): it is a Protocol Error to send a Retain Handling value of 3.
#[test]
fn retain_handling_3_section_3_8_3_1() {
    reject(
        V5,
        &subscribe_v5(&[], &[0x00, 0x01, b'a', 0x30]),
        &DecodeError::InvalidRetainHandling,
        PROTOCOL,
    );
}

// [MQTT-3.8.3-4] (5.0): No Local on a shared subscription is a Protocol Error.
#[test]
fn no_local_on_shared_subscription_mqtt_3_8_3_4() {
    let mut payload = vec![0x00, 0x0a];
    payload.extend_from_slice(b"$share/g/x");
    payload.push(0x04);
    reject(
        V5,
        &subscribe_v5(&[], &payload),
        &DecodeError::NoLocalOnSharedSubscription,
        PROTOCOL,
    );
}

// [MQTT-3.8.3-3] (3.1.1), 3.8.3 (5.0): a SUBSCRIBE has at least one topic filter;
// [MQTT-3.10.3-2]: an UNSUBSCRIBE too; a SUBACK (3.9.3) and a 5.0 UNSUBACK (3.11.3) carry one
// code per filter, so at least one.
#[test]
fn empty_payloads_mqtt_3_8_3_3_and_3_10_3_2() {
    let cases = [
        (V311, vec![0x82, 0x02, 0x00, 0x01], PacketType::Subscribe),
        (
            V5,
            vec![0x82, 0x03, 0x00, 0x01, 0x00],
            PacketType::Subscribe,
        ),
        (V311, vec![0xa2, 0x02, 0x00, 0x01], PacketType::Unsubscribe),
        (
            V5,
            vec![0xa2, 0x03, 0x00, 0x01, 0x00],
            PacketType::Unsubscribe,
        ),
        (V311, vec![0x90, 0x02, 0x00, 0x01], PacketType::SubAck),
        (V5, vec![0x90, 0x03, 0x00, 0x01, 0x00], PacketType::SubAck),
        (V5, vec![0xb0, 0x03, 0x00, 0x01, 0x00], PacketType::UnsubAck),
    ];
    for (version, bytes, packet_type) in cases {
        reject(
            version,
            &bytes,
            &DecodeError::EmptyPayload(packet_type),
            PROTOCOL,
        );
    }
}

// Limits::max_topic_filters bounds SUBSCRIBE, UNSUBSCRIBE, SUBACK and UNSUBACK entries.
#[test]
fn too_many_topic_filters_limits() {
    let limits = Limits::new().with_max_topic_filters(1);
    let cases = [
        (
            V311,
            vec![
                0x82, 0x0a, 0x00, 0x01, 0x00, 0x01, b'a', 0x00, 0x00, 0x01, b'b', 0x00,
            ],
            PacketType::Subscribe,
        ),
        (
            V5,
            vec![
                0xa2, 0x09, 0x00, 0x01, 0x00, 0x00, 0x01, b'a', 0x00, 0x01, b'b',
            ],
            PacketType::Unsubscribe,
        ),
        (
            V311,
            vec![0x90, 0x04, 0x00, 0x01, 0x00, 0x01],
            PacketType::SubAck,
        ),
        (
            V5,
            vec![0xb0, 0x05, 0x00, 0x01, 0x00, 0x00, 0x11],
            PacketType::UnsubAck,
        ),
    ];
    for (version, bytes, packet_type) in cases {
        reject_with(
            version,
            &bytes,
            &limits,
            &DecodeError::TooManyEntries {
                packet_type,
                max: 1,
            },
            LOCAL_LIMIT,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// PUBLISH

// 3.3.2.1 (5.0): a zero-length topic name without a Topic Alias is a Protocol Error.
#[test]
fn empty_topic_without_alias_section_3_3_2_1() {
    reject(
        V5,
        &[0x30, 0x04, 0x00, 0x00, 0x00, b'x'],
        &DecodeError::EmptyTopicWithoutAlias,
        PROTOCOL,
    );
    // Other properties do not stand for the topic.
    reject(
        V5,
        &[0x30, 0x05, 0x00, 0x00, 0x02, 0x01, 0x01],
        &DecodeError::EmptyTopicWithoutAlias,
        PROTOCOL,
    );
}

// ---------------------------------------------------------------------------------------------
// Properties (MQTT 5.0 section 2.2.2)

// 2.2.2.2: an identifier that is not valid is a Malformed Packet.
#[test]
fn unknown_property_section_2_2_2_2() {
    reject(
        V5,
        &publish_v5(&[0x04, 0x00]),
        &DecodeError::UnknownProperty(0x04),
        MALFORMED,
    );
    reject(
        V5,
        &publish_v5(&[0x80, 0x01, 0x00]),
        &DecodeError::UnknownProperty(128),
        MALFORMED,
    );
    reject(
        V5,
        &[0xe0, 0x03, 0x00, 0x01, 0x00],
        &DecodeError::UnknownProperty(0),
        MALFORMED,
    );
}

// 2.2.2.2: an identifier not valid for this packet type is a Malformed Packet.
#[test]
fn property_not_allowed_in_packet_section_2_2_2_2() {
    let cases = [
        // Topic Alias in CONNECT.
        (
            connect_v5(0x02, &[0x23, 0x00, 0x01], &[0x00, 0x01, b'c']),
            PropertyId::TopicAlias,
            PacketType::Connect,
        ),
        // Will Delay Interval in PUBLISH.
        (
            publish_v5(&[0x18, 0x00, 0x00, 0x00, 0x01]),
            PropertyId::WillDelayInterval,
            PacketType::Publish,
        ),
        // Session Expiry Interval in the will properties.
        (
            connect_v5(
                0x06,
                &[],
                &[
                    0x00, 0x01, b'c', 0x05, 0x11, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, b'w', 0x00,
                    0x00,
                ],
            ),
            PropertyId::SessionExpiryInterval,
            PacketType::Connect,
        ),
        // Server Keep Alive in CONNECT.
        (
            connect_v5(0x02, &[0x13, 0x00, 0x01], &[0x00, 0x01, b'c']),
            PropertyId::ServerKeepAlive,
            PacketType::Connect,
        ),
        // Will Delay Interval in CONNACK.
        (
            connack_v5(&[0x18, 0x00, 0x00, 0x00, 0x01]),
            PropertyId::WillDelayInterval,
            PacketType::ConnAck,
        ),
        // Reason String in SUBSCRIBE.
        (
            subscribe_v5(&[0x1f, 0x00, 0x00], &[0x00, 0x01, b'a', 0x00]),
            PropertyId::ReasonString,
            PacketType::Subscribe,
        ),
        // Subscription Identifier in UNSUBSCRIBE.
        (
            frame(0xa2, &[0x00, 0x01, 0x02, 0x0b, 0x01, 0x00, 0x01, b'a']),
            PropertyId::SubscriptionIdentifier,
            PacketType::Unsubscribe,
        ),
        // Content Type in PUBACK.
        (
            frame(0x40, &[0x00, 0x01, 0x00, 0x03, 0x03, 0x00, 0x00]),
            PropertyId::ContentType,
            PacketType::PubAck,
        ),
        // Assigned Client Identifier in DISCONNECT.
        (
            frame(0xe0, &[0x00, 0x03, 0x12, 0x00, 0x00]),
            PropertyId::AssignedClientIdentifier,
            PacketType::Disconnect,
        ),
        // Session Expiry Interval in AUTH.
        (
            frame(0xf0, &[0x18, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00]),
            PropertyId::SessionExpiryInterval,
            PacketType::Auth,
        ),
    ];
    for (bytes, property, packet_type) in cases {
        reject(
            V5,
            &bytes,
            &DecodeError::PropertyNotAllowed {
                property,
                packet_type,
            },
            MALFORMED,
        );
    }
}

// Each property section: "It is a Protocol Error to include the <property> more than once"
// (e.g. 3.3.2.3.5 Content Type, 3.8.2.1.2 Subscription Identifier in SUBSCRIBE).
#[test]
fn duplicate_property_section_3_3_2_3() {
    reject(
        V5,
        &publish_v5(&[0x03, 0x00, 0x01, b'a', 0x03, 0x00, 0x01, b'b']),
        &DecodeError::DuplicateProperty(PropertyId::ContentType),
        PROTOCOL,
    );
    reject(
        V5,
        &subscribe_v5(&[0x0b, 0x01, 0x0b, 0x02], &[0x00, 0x01, b'a', 0x00]),
        &DecodeError::DuplicateProperty(PropertyId::SubscriptionIdentifier),
        PROTOCOL,
    );
    reject(
        V5,
        &connect_v5(
            0x02,
            &[0x11, 0x00, 0x00, 0x00, 0x01, 0x11, 0x00, 0x00, 0x00, 0x01],
            &[0x00, 0x01, b'c'],
        ),
        &DecodeError::DuplicateProperty(PropertyId::SessionExpiryInterval),
        PROTOCOL,
    );
    reject(
        V5,
        &connack_v5(&[0x24, 0x00, 0x24, 0x00]),
        &DecodeError::DuplicateProperty(PropertyId::MaximumQoS),
        PROTOCOL,
    );
}

// Property values outside their range: 3.3.2.3.2 Payload Format Indicator 0 or 1,
// 3.1.2.11.3 Receive Maximum 0, 3.2.2.3.6 Maximum Packet Size 0, [MQTT-3.3.2-8] Topic Alias 0,
// 3.8.2.1.2 Subscription Identifier 0, 3.2.2.3.4 Maximum QoS other than 0 or 1, 3.2.2.3.5
// Retain Available other than 0 or 1, 3.1.2.11.7 Request Problem Information other than 0 or 1.
#[test]
fn invalid_property_values() {
    let cases = [
        (
            publish_v5(&[0x01, 0x02]),
            PropertyId::PayloadFormatIndicator,
        ),
        (
            connect_v5(0x02, &[0x21, 0x00, 0x00], &[0x00, 0x01, b'c']),
            PropertyId::ReceiveMaximum,
        ),
        (connack_v5(&[0x21, 0x00, 0x00]), PropertyId::ReceiveMaximum),
        (
            connack_v5(&[0x27, 0x00, 0x00, 0x00, 0x00]),
            PropertyId::MaximumPacketSize,
        ),
        (
            connect_v5(0x02, &[0x27, 0x00, 0x00, 0x00, 0x00], &[0x00, 0x01, b'c']),
            PropertyId::MaximumPacketSize,
        ),
        (
            subscribe_v5(&[0x0b, 0x00], &[0x00, 0x01, b'a', 0x00]),
            PropertyId::SubscriptionIdentifier,
        ),
        (
            publish_v5(&[0x0b, 0x00]),
            PropertyId::SubscriptionIdentifier,
        ),
        (connack_v5(&[0x24, 0x02]), PropertyId::MaximumQoS),
        (connack_v5(&[0x25, 0x02]), PropertyId::RetainAvailable),
        (
            connect_v5(0x02, &[0x17, 0x02], &[0x00, 0x01, b'c']),
            PropertyId::RequestProblemInformation,
        ),
        (
            connect_v5(0x02, &[0x19, 0x02], &[0x00, 0x01, b'c']),
            PropertyId::RequestResponseInformation,
        ),
        (
            connack_v5(&[0x28, 0x02]),
            PropertyId::WildcardSubscriptionAvailable,
        ),
    ];
    for (bytes, property) in cases {
        reject(
            V5,
            &bytes,
            &DecodeError::InvalidPropertyValue(property),
            PROTOCOL,
        );
    }
}

// 3.3.2.3.4: a Topic Alias of 0 is answered with 0x94 Topic Alias invalid.
#[test]
fn topic_alias_zero_section_3_3_2_3_4() {
    reject(
        V5,
        &publish_v5(&[0x23, 0x00, 0x00]),
        &DecodeError::InvalidPropertyValue(PropertyId::TopicAlias),
        ReasonCode::TOPIC_ALIAS_INVALID,
    );
}

// 3.15.2.2.2: an AUTH with a body must carry the Authentication Method; only the empty AUTH
// (Success, remaining length 0) leaves it out.
#[test]
fn auth_without_method_section_3_15_2_2_2() {
    for bytes in [
        &[0xf0, 0x01, 0x18][..],
        &[0xf0, 0x02, 0x18, 0x00],
        &[0xf0, 0x02, 0x00, 0x00],
    ] {
        reject(
            V5,
            bytes,
            &DecodeError::MissingAuthenticationMethod,
            PROTOCOL,
        );
    }
    accept(V5, &[0xf0, 0x00]);
    encode_fails(
        V5,
        &Packet::Auth(Auth::new(ReasonCode::CONTINUE_AUTHENTICATION)),
        &EncodeError::MissingAuthenticationMethod,
    );
}

// 3.1.2.11.10, 3.2.2.3.18, 3.15.2.2.3: Authentication Data without Authentication Method is a
// Protocol Error.
#[test]
fn authentication_data_without_method_section_3_1_2_11_10() {
    let data = [0x16, 0x00, 0x01, 0xaa];
    reject(
        V5,
        &connect_v5(0x02, &data, &[0x00, 0x01, b'c']),
        &DecodeError::AuthDataWithoutMethod,
        PROTOCOL,
    );
    reject(
        V5,
        &connack_v5(&data),
        &DecodeError::AuthDataWithoutMethod,
        PROTOCOL,
    );
    reject(
        V5,
        &frame(0xf0, &[0x18, 0x04, 0x16, 0x00, 0x01, 0xaa]),
        &DecodeError::AuthDataWithoutMethod,
        PROTOCOL,
    );
}

// Limits::max_user_properties bounds the User Properties of one property list.
#[test]
fn too_many_user_properties_limits() {
    let limits = Limits::new().with_max_user_properties(1);
    let two = [
        0x26, 0x00, 0x01, b'a', 0x00, 0x00, 0x26, 0x00, 0x01, b'b', 0x00, 0x00,
    ];
    let err = DecodeError::TooManyProperties {
        property: PropertyId::UserProperty,
        max: 1,
    };
    reject_with(V5, &publish_v5(&two), &limits, &err, LOCAL_LIMIT);
    // In a PUBACK: packet identifier 1, reason code 0x00, then the properties.
    let mut puback = vec![0x00, 0x01, 0x00, 0x0c];
    puback.extend_from_slice(&two);
    reject_with(V5, &frame(0x40, &puback), &limits, &err, LOCAL_LIMIT);
    // One is within the limit.
    let mut buf = BytesMut::from(&publish_v5(&two[..6])[..]);
    assert!(Packet::decode(V5, &mut buf, &limits).unwrap().is_some());
}

// Limits::max_subscription_identifiers bounds the Subscription Identifiers of one PUBLISH.
#[test]
fn too_many_subscription_identifiers_limits() {
    reject_with(
        V5,
        &publish_v5(&[0x0b, 0x01, 0x0b, 0x02, 0x0b, 0x03]),
        &Limits::new().with_max_subscription_identifiers(2),
        &DecodeError::TooManyProperties {
            property: PropertyId::SubscriptionIdentifier,
            max: 2,
        },
        LOCAL_LIMIT,
    );
}

// [MQTT-1.5.5-1]: variable byte integers inside the packet (property length, property
// identifier, Subscription Identifier) use the minimum number of bytes and at most four.
#[test]
fn variable_byte_integer_in_properties_mqtt_1_5_5_1() {
    let err = DecodeError::MalformedVariableByteInteger;
    // Property length 0 in two bytes.
    reject(
        V5,
        &[0x30, 0x06, 0x00, 0x01, b't', 0x80, 0x00, b'x'],
        &err,
        MALFORMED,
    );
    // Subscription Identifier 1 in two bytes.
    reject(V5, &publish_v5(&[0x0b, 0x81, 0x00]), &err, MALFORMED);
    // Property identifier 0x0B in two bytes.
    reject(V5, &publish_v5(&[0x8b, 0x00, 0x01]), &err, MALFORMED);
    // Subscription Identifier in five bytes.
    reject(
        V5,
        &subscribe_v5(
            &[0x0b, 0xff, 0xff, 0xff, 0xff, 0x01],
            &[0x00, 0x01, b'a', 0x00],
        ),
        &err,
        MALFORMED,
    );
}

// `ProtocolVersion::of_connect` reads the version of a CONNECT only ([MQTT-3.1.0-1]: the first
// packet from the client is CONNECT).
#[test]
fn of_connect_on_another_packet_mqtt_3_1_0_1() {
    let err = ProtocolVersion::of_connect(&[0x20, 0x02, 0x00, 0x00]).unwrap_err();
    assert_eq!(err, DecodeError::UnexpectedPacket(2));
    assert_eq!(err.reason_code(), PROTOCOL);
    assert_eq!(
        ProtocolVersion::of_connect(&connect(b"MQTX", 4, 0x02, None, &[0x00, 0x00])),
        Err(DecodeError::InvalidProtocolName)
    );
    assert_eq!(
        ProtocolVersion::of_connect(&connect(b"MQTT", 7, 0x02, None, &[0x00, 0x00])),
        Err(DecodeError::UnsupportedProtocolVersion(7))
    );
}

// ---------------------------------------------------------------------------------------------
// Encoding: every rule fails before anything is written.

// 2.1.4: the remaining length is at most 268,435,455.
#[test]
fn encode_packet_too_large_section_2_1_4() {
    let long = TopicFilter::from_bytes(Bytes::from(vec![b'a'; 65_535])).unwrap();
    let subscriptions = vec![Subscription::new(long, QoS::AtMostOnce); 4100];
    let subscribe = Subscribe::new(pid(1), subscriptions);
    encode_fails(
        V311,
        &Packet::Subscribe(subscribe),
        &EncodeError::PacketTooLarge(2 + 4100 * (2 + 65_535 + 1)),
    );
}

// A `&mut [u8]` that is too small receives nothing.
#[test]
fn encode_buffer_too_small() {
    let publish = Packet::Publish(Publish::new(name("a/b"), QosPid::AtMostOnce, "hello"));
    let mut storage = [0u8; 8];
    let mut slice: &mut [u8] = &mut storage;
    assert_eq!(
        publish.encode(V311, &mut slice),
        Err(EncodeError::BufferTooSmall {
            needed: 12,
            remaining: 8
        })
    );
    assert_eq!(slice.len(), 8);
    assert_eq!(storage, [0u8; 8]);

    let mut storage = [0u8; 1];
    let mut slice: &mut [u8] = &mut storage;
    assert_eq!(
        Packet::PingReq.encode(V5, &mut slice),
        Err(EncodeError::BufferTooSmall {
            needed: 2,
            remaining: 1
        })
    );
    assert_eq!(slice.len(), 1);
    assert_eq!(storage, [0u8; 1]);

    // Exactly enough room is enough.
    let mut storage = [0u8; 12];
    let mut slice: &mut [u8] = &mut storage;
    assert_eq!(publish.encode(V311, &mut slice), Ok(12));
    assert!(slice.is_empty());
}

// 1.5.6: binary data is at most 65,535 bytes.
#[test]
fn encode_field_too_long_section_1_5_6() {
    let big = Bytes::from(vec![0u8; 65_536]);

    let mut connect = Connect::new(s("c"));
    connect.username = Some(s("u"));
    connect.password = Some(big.clone());
    encode_fails(
        V311,
        &Packet::from(connect),
        &EncodeError::FieldTooLong {
            field: "password",
            len: 65_536,
        },
    );

    let mut connect = Connect::new(s("c"));
    connect.will = Some(LastWill::new(name("w"), big.clone()));
    encode_fails(
        V5,
        &Packet::from(connect),
        &EncodeError::FieldTooLong {
            field: "will payload",
            len: 65_536,
        },
    );

    let mut publish = Publish::new(name("t"), QosPid::AtMostOnce, Bytes::new());
    publish.properties.correlation_data = Some(big.clone());
    encode_fails(
        V5,
        &Packet::Publish(publish),
        &EncodeError::FieldTooLong {
            field: "correlation data",
            len: 65_536,
        },
    );

    let mut auth = Auth::new(ReasonCode::CONTINUE_AUTHENTICATION);
    auth.properties.authentication_method = Some(s("m"));
    auth.properties.authentication_data = Some(big);
    encode_fails(
        V5,
        &Packet::Auth(auth),
        &EncodeError::FieldTooLong {
            field: "authentication data",
            len: 65_536,
        },
    );
}

// What a version cannot express: AUTH before 5.0, a CONNACK code without a 3.x return code,
// Session Present in 3.1, a 3.x SUBACK code other than 0x00, 0x01, 0x02, 0x80.
#[test]
fn encode_unsupported_in_version() {
    encode_fails(
        V311,
        &Packet::Auth(Auth::new(ReasonCode::SUCCESS)),
        &EncodeError::UnsupportedInVersion {
            what: "AUTH",
            version: V311,
        },
    );
    encode_fails(
        V311,
        &Packet::ConnAck(ConnAck::new(false, ReasonCode::BANNED)),
        &EncodeError::UnsupportedInVersion {
            what: "this CONNACK reason code",
            version: V311,
        },
    );
    encode_fails(
        V31,
        &Packet::ConnAck(ConnAck::new(true, ReasonCode::SUCCESS)),
        &EncodeError::UnsupportedInVersion {
            what: "session present",
            version: V31,
        },
    );
    encode_fails(
        V311,
        &Packet::SubAck(SubAck::new(pid(1), vec![ReasonCode::QUOTA_EXCEEDED])),
        &EncodeError::UnsupportedInVersion {
            what: "a SUBACK code other than 0x00, 0x01, 0x02 or 0x80",
            version: V311,
        },
    );
}

// MQTT 5.0 reason code tables (section 2.4 and each packet's reason code section).
#[test]
fn encode_invalid_reason_code_section_2_4() {
    let cases = [
        (
            Packet::PubAck(PubAck::with_reason(
                pid(1),
                ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
            )),
            PacketType::PubAck,
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
        ),
        (
            Packet::ConnAck(ConnAck::new(false, ReasonCode::GRANTED_QOS_1)),
            PacketType::ConnAck,
            ReasonCode::GRANTED_QOS_1,
        ),
        (
            Packet::SubAck(SubAck::new(
                pid(1),
                vec![
                    ReasonCode::GRANTED_QOS_0,
                    ReasonCode::NO_SUBSCRIPTION_EXISTED,
                ],
            )),
            PacketType::SubAck,
            ReasonCode::NO_SUBSCRIPTION_EXISTED,
        ),
        (
            Packet::UnsubAck(UnsubAck::new(pid(1), vec![ReasonCode::GRANTED_QOS_2])),
            PacketType::UnsubAck,
            ReasonCode::GRANTED_QOS_2,
        ),
        (
            Packet::Auth(Auth::new(ReasonCode::NOT_AUTHORIZED)),
            PacketType::Auth,
            ReasonCode::NOT_AUTHORIZED,
        ),
    ];
    for (packet, packet_type, code) in cases {
        encode_fails(
            V5,
            &packet,
            &EncodeError::InvalidReasonCode { packet_type, code },
        );
    }
}

// 3.3.2.1 (5.0): an empty topic name needs a Topic Alias; [MQTT-4.7.3-1] a will topic and a 3.x
// topic name are never empty.
#[test]
fn encode_empty_topic_without_alias_section_3_3_2_1() {
    let publish = Packet::Publish(Publish::new(TopicName::empty(), QosPid::AtMostOnce, "x"));
    encode_fails(V5, &publish, &EncodeError::EmptyTopicWithoutAlias);
    encode_fails(V311, &publish, &EncodeError::EmptyTopicWithoutAlias);

    // A Topic Alias does not make an empty name valid in 3.1.1.
    let mut aliased = Publish::new(TopicName::empty(), QosPid::AtMostOnce, "x");
    aliased.properties.topic_alias = NonZeroU16::new(1);
    encode_fails(
        V311,
        &Packet::Publish(aliased),
        &EncodeError::EmptyTopicWithoutAlias,
    );

    let mut connect = Connect::new(s("c"));
    connect.will = Some(LastWill::new(TopicName::empty(), "x"));
    encode_fails(V5, &Packet::from(connect), &EncodeError::EmptyWillTopic);
}

// [MQTT-3.3.1-2]: DUP is 0 for QoS 0.
#[test]
fn encode_dup_with_qos_0_mqtt_3_3_1_2() {
    let mut publish = Publish::new(name("t"), QosPid::AtMostOnce, "x");
    publish.dup = true;
    for version in [V31, V311, V5] {
        encode_fails(
            version,
            &Packet::Publish(publish.clone()),
            &EncodeError::DupWithQoS0,
        );
    }
}

// [MQTT-3.8.3-3] (3.1.1), [MQTT-3.10.3-2]: at least one topic filter; SUBACK and 5.0 UNSUBACK
// at least one code.
#[test]
fn encode_empty_payload_mqtt_3_10_3_2() {
    let cases = [
        (
            V311,
            Packet::Subscribe(Subscribe::new(pid(1), Vec::new())),
            PacketType::Subscribe,
        ),
        (
            V5,
            Packet::Unsubscribe(Unsubscribe::new(pid(1), Vec::new())),
            PacketType::Unsubscribe,
        ),
        (
            V311,
            Packet::SubAck(SubAck::new(pid(1), Vec::new())),
            PacketType::SubAck,
        ),
        (
            V5,
            Packet::SubAck(SubAck::new(pid(1), Vec::new())),
            PacketType::SubAck,
        ),
        (
            V5,
            Packet::UnsubAck(UnsubAck::new(pid(1), Vec::new())),
            PacketType::UnsubAck,
        ),
    ];
    for (version, packet, packet_type) in cases {
        encode_fails(version, &packet, &EncodeError::EmptyPayload(packet_type));
    }
}

// 3.2.2.3.4: Maximum QoS is 0 or 1; [MQTT-3.3.2-14] a Response Topic is a topic name, so not
// empty.
#[test]
fn encode_invalid_property_value_section_3_2_2_3_4() {
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.maximum_qos = Some(QoS::ExactlyOnce);
    encode_fails(
        V5,
        &Packet::ConnAck(connack),
        &EncodeError::InvalidPropertyValue(PropertyId::MaximumQoS),
    );

    let mut publish = Publish::new(name("t"), QosPid::AtMostOnce, "x");
    publish.properties.response_topic = Some(TopicName::empty());
    encode_fails(
        V5,
        &Packet::Publish(publish),
        &EncodeError::InvalidPropertyValue(PropertyId::ResponseTopic),
    );

    let mut will = LastWill::new(name("w"), "x");
    will.properties.response_topic = Some(TopicName::empty());
    let mut connect = Connect::new(s("c"));
    connect.will = Some(will);
    encode_fails(
        V5,
        &Packet::from(connect),
        &EncodeError::InvalidPropertyValue(PropertyId::ResponseTopic),
    );
}

// 3.1.2.11.10, 3.2.2.3.18, 3.15.2.2.3: Authentication Data needs an Authentication Method.
#[test]
fn encode_auth_data_without_method_section_3_1_2_11_10() {
    let data = Bytes::from_static(b"d");
    let mut connect = Connect::new(s("c"));
    connect.properties.authentication_data = Some(data.clone());
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.authentication_data = Some(data.clone());
    let mut auth = Auth::new(ReasonCode::CONTINUE_AUTHENTICATION);
    auth.properties.authentication_data = Some(data);
    for packet in [
        Packet::from(connect),
        Packet::ConnAck(connack),
        Packet::Auth(auth),
    ] {
        encode_fails(V5, &packet, &EncodeError::AuthDataWithoutMethod);
    }
}

// [MQTT-3.1.2-22] (3.1.1): no password without a user name; 5.0 allows it.
#[test]
fn encode_password_without_user_name_mqtt_3_1_2_22() {
    let mut connect = Connect::new(s("c"));
    connect.password = Some(Bytes::from_static(b"p"));
    let packet = Packet::from(connect);
    encode_fails(V311, &packet, &EncodeError::PasswordWithoutUsername);
    encode_fails(V31, &packet, &EncodeError::PasswordWithoutUsername);
    assert!(packet.encode(V5, &mut BytesMut::new()).is_ok());
}

// [MQTT-3.2.2-4] (3.1.1), [MQTT-3.2.2-6] (5.0): Session Present is 0 with a failure code.
#[test]
fn encode_session_present_on_failure_mqtt_3_2_2_6() {
    encode_fails(
        V311,
        &Packet::ConnAck(ConnAck::new(true, ReasonCode::NOT_AUTHORIZED)),
        &EncodeError::SessionPresentOnFailure,
    );
    encode_fails(
        V5,
        &Packet::ConnAck(ConnAck::new(true, ReasonCode::BANNED)),
        &EncodeError::SessionPresentOnFailure,
    );
}

// [MQTT-3.8.3-4]: No Local cannot be set on a shared subscription.
#[test]
fn encode_no_local_on_shared_subscription_mqtt_3_8_3_4() {
    let mut subscription = Subscription::new(filter("$share/g/x"), QoS::AtLeastOnce);
    subscription.options.no_local = true;
    encode_fails(
        V5,
        &Packet::Subscribe(Subscribe::new(pid(1), vec![subscription])),
        &EncodeError::NoLocalOnSharedSubscription,
    );
}

// MQTT 3.x acknowledgements have no reason code: a failure cannot be encoded without turning
// into a success, so it is refused.
#[test]
fn encode_v3_failure_acknowledgement_is_refused() {
    let id = PacketId::new(1).unwrap();
    let puback = Packet::PubAck(PubAck::with_reason(id, ReasonCode::NOT_AUTHORIZED));
    encode_fails(
        V311,
        &puback,
        &EncodeError::UnsupportedInVersion {
            what: "a failure reason code in a publish acknowledgement",
            version: V311,
        },
    );
    let unsuback = Packet::UnsubAck(UnsubAck::new(id, vec![ReasonCode::NOT_AUTHORIZED]));
    encode_fails(
        V31,
        &unsuback,
        &EncodeError::UnsupportedInVersion {
            what: "a failure reason code in UNSUBACK",
            version: V31,
        },
    );
    // A success code other than 0x00 has nothing to lose: it is left out.
    let mut buf = BytesMut::new();
    Packet::PubAck(PubAck::with_reason(id, ReasonCode::NO_MATCHING_SUBSCRIBERS))
        .encode(V311, &mut buf)
        .unwrap();
    assert_eq!(&buf[..], [0x40, 0x02, 0x00, 0x01]);
}

// [MQTT-3.1.3-7] (3.1.1): an empty client identifier needs Clean Session; MQTT 3.1 asks for 1 to
// 23 bytes.
#[test]
fn encode_client_identifier_rules_mqtt_3_1_3_7() {
    let mut connect = Connect::new(s(""));
    connect.clean_start = false;
    encode_fails(
        V311,
        &Packet::from(connect.clone()),
        &EncodeError::InvalidClientId(
            "an empty client identifier needs Clean Session in MQTT 3.1.1",
        ),
    );
    connect.clean_start = true;
    let mut buf = BytesMut::new();
    Packet::from(connect.clone())
        .encode(V311, &mut buf)
        .unwrap();
    encode_fails(
        V31,
        &Packet::from(connect),
        &EncodeError::InvalidClientId("MQTT 3.1 needs 1 to 23 bytes"),
    );
    encode_fails(
        V31,
        &Packet::from(Connect::new(s("a-client-id-of-24-bytes!"))),
        &EncodeError::InvalidClientId("MQTT 3.1 needs 1 to 23 bytes"),
    );
}

// `of_connect` reads within the CONNECT frame: a complete frame without a protocol level is an
// error, not a wait for bytes that belong to the next packet.
#[test]
fn of_connect_stays_within_the_frame() {
    assert_eq!(
        ProtocolVersion::of_connect(&[0x10, 0x00]),
        Err(DecodeError::UnexpectedEof)
    );
    assert_eq!(
        ProtocolVersion::of_connect(&[0x10, 0x02, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04]),
        Err(DecodeError::UnexpectedEof)
    );
    assert_eq!(
        ProtocolVersion::of_connect(&[0x10, 0x05, 0x00, 0x04, b'M']),
        Ok(None)
    );
}
