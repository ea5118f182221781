//! Properties (MQTT 5.0 section 2.2.2)

use bytes::BytesMut;
use mqtt_proto::{
    Auth, DecodeError, EncodeError, Limits, Packet, PacketType, PropertyId, ProtocolVersion,
    ReasonCode,
};

use super::{
    LOCAL_LIMIT, MALFORMED, PROTOCOL, V5, accept, connack_v5, connect, connect_v5, encode_fails,
    frame, publish_v5, reject, reject_with, subscribe_v5,
};

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
