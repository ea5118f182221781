//! Fixed header and framing

use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    DecodeError, FixedHeader, Limits, Packet, PacketType, ReasonCode, StringError, TopicError,
};

use super::{MALFORMED, V5, V31, V311, connect_v5, connect_v311, publish_v5, reject, reject_with};

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
