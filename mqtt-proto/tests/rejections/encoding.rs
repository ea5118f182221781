//! Encoding: every rule fails before anything is written.

use bytes::{Bytes, BytesMut};
use core::num::NonZeroU16;
use mqtt_proto::{
    Auth, ConnAck, Connect, DecodeError, EncodeError, LastWill, Packet, PacketId, PacketType,
    PropertyId, ProtocolVersion, PubAck, Publish, QoS, QosPid, ReasonCode, SubAck, Subscribe,
    Subscription, TopicFilter, TopicName, UnsubAck, Unsubscribe,
};

use super::{V5, V31, V311, encode_fails};
use crate::common::{filter, name, pid, s};

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

// 2.1.4: a packet whose remaining length is exactly the largest there is passes every check.
#[test]
fn encode_largest_remaining_length_section_2_1_4() {
    // Topic "a" (2 + 1 bytes) and a payload that fills the rest; zeroed memory is not touched.
    let payload = Bytes::from(vec![0u8; mqtt_proto::MAX_REMAINING_LENGTH as usize - 3]);
    let publish = Packet::Publish(Publish::new(name("a"), QosPid::AtMostOnce, payload));
    assert_eq!(
        publish.checked_len(V311),
        Ok(mqtt_proto::MAX_PACKET_SIZE as usize)
    );
    let mut one_more = Publish::new(name("ab"), QosPid::AtMostOnce, Bytes::new());
    one_more.set_payload(publish_payload(&publish));
    assert_eq!(
        Packet::Publish(one_more).checked_len(V311),
        Err(EncodeError::PacketTooLarge(
            mqtt_proto::MAX_REMAINING_LENGTH as usize + 1
        ))
    );
}

fn publish_payload(packet: &Packet) -> Bytes {
    match packet {
        Packet::Publish(p) => p.payload_bytes(),
        _ => Bytes::new(),
    }
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
