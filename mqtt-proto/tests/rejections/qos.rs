//! QoS, DUP and packet identifiers

use mqtt_proto::DecodeError;

use super::{
    MALFORMED, PROTOCOL, V5, V311, connect_v5, connect_v311, reject, subscribe_v5,
    subscribe_v311_options,
};

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
