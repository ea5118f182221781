//! SUBSCRIBE, UNSUBSCRIBE and their acknowledgements

use mqtt_proto::{DecodeError, Limits, PacketType};

use super::{
    LOCAL_LIMIT, MALFORMED, PROTOCOL, V5, V311, reject, reject_with, subscribe_v5,
    subscribe_v311_options,
};

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
