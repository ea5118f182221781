//! CONNACK

use mqtt_proto::{DecodeError, PacketType, ReasonCode};

use super::{MALFORMED, V5, V31, V311, reject};

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
