//! CONNECT

use bytes::Bytes;
use mqtt_proto::{DecodeError, Packet, ReasonCode};

use super::{MALFORMED, V5, V31, V311, accept, connect, connect_v5, connect_v311, reject};

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
