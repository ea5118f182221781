//! Byte-exact vectors for every MQTT 3.1.1 control packet.
//!
//! The expected bytes are written by hand from the figures and field descriptions of the MQTT
//! Version 3.1.1 OASIS Standard (section numbers and normative statement ids in the comments).
//! Each vector is encoded and compared byte for byte, decoded and compared field for field, and
//! its length is checked against `encoded_len`.

use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    ConnAck, Connect, Disconnect, LastWill, MqttString, Packet, ProtocolVersion, PubAck, PubComp,
    PubRec, PubRel, Publish, QoS, QosPid, ReasonCode, SubAck, Subscribe, Subscription, UnsubAck,
    Unsubscribe,
};

mod common;

use common::{filter, name, pid, s};

const V: ProtocolVersion = ProtocolVersion::V3_1_1;

/// Encodes `packet` and compares with `bytes`, decodes `bytes` and compares with `packet`.
fn vector(packet: &Packet, bytes: &[u8]) {
    common::vector(V, packet, bytes);
}

// 3.1.2.1 Protocol Name "MQTT", 3.1.2.2 Protocol Level 4, [MQTT-3.1.2-3] reserved flag 0,
// 3.1.2.4 Clean Session (0x02), 3.1.2.10 Keep Alive, 3.1.3.1 Client Identifier.
#[test]
fn connect_minimal_3_1_2() {
    let connect = Connect::new(s("c1"));
    vector(
        &Packet::from(connect),
        &[
            0x10, 0x0e, // CONNECT, remaining length 14
            0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
            0x04, // protocol level
            0x02, // connect flags: clean session
            0x00, 0x3c, // keep alive 60
            0x00, 0x02, b'c', b'1', // client identifier
        ],
    );
}

// [MQTT-3.1.3-6]: a zero-byte client identifier; 3.1.2.10 a keep alive of 0 turns it off.
#[test]
fn connect_empty_client_id_mqtt_3_1_3_6() {
    let mut connect = Connect::new(MqttString::empty());
    connect.keep_alive = 0;
    vector(
        &Packet::from(connect),
        &[
            0x10, 0x0c, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x00,
        ],
    );
}

// 3.1.2.5 to 3.1.2.9 connect flags, [MQTT-3.1.3-1] payload order: client identifier, will topic,
// will message, user name, password.
#[test]
fn connect_with_will_user_name_and_password_mqtt_3_1_3_1() {
    let mut will = LastWill::new(name("w/t"), "bye");
    will.qos = QoS::AtLeastOnce;
    will.retain = true;
    let mut connect = Connect::new(s("id"));
    connect.clean_start = false;
    connect.keep_alive = 10;
    connect.will = Some(will);
    connect.username = Some(s("user"));
    connect.password = Some(Bytes::from_static(&[0x01, 0x02]));
    vector(
        &Packet::from(connect),
        &[
            0x10, 0x22, // remaining length 34
            0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, //
            // user name 0x80, password 0x40, will retain 0x20, will QoS 1 0x08, will flag 0x04
            0xec, //
            0x00, 0x0a, // keep alive 10
            0x00, 0x02, b'i', b'd', // client identifier
            0x00, 0x03, b'w', b'/', b't', // will topic
            0x00, 0x03, b'b', b'y', b'e', // will message
            0x00, 0x04, b'u', b's', b'e', b'r', // user name
            0x00, 0x02, 0x01, 0x02, // password
        ],
    );
}

// 3.1.2.6 Will QoS 2 in bits 4 and 3, [MQTT-3.1.2-16] will retain 0.
#[test]
fn connect_will_qos_2_section_3_1_2_6() {
    let mut will = LastWill::new(name("w"), Bytes::new());
    will.qos = QoS::ExactlyOnce;
    let mut connect = Connect::new(s("c"));
    connect.will = Some(will);
    vector(
        &Packet::from(connect),
        &[
            0x10, 0x12, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, //
            0x16, // will QoS 2 0x10, will flag 0x04, clean session 0x02
            0x00, 0x3c, //
            0x00, 0x01, b'c', //
            0x00, 0x01, b'w', // will topic
            0x00, 0x00, // empty will message
        ],
    );
}

// 3.1.2.8 user name without password.
#[test]
fn connect_user_name_only_mqtt_3_1_2_19() {
    let mut connect = Connect::new(s("c"));
    connect.username = Some(s("u"));
    vector(
        &Packet::from(connect),
        &[
            0x10, 0x10, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x82, 0x00, 0x3c, 0x00, 0x01,
            b'c', 0x00, 0x01, b'u',
        ],
    );
}

// 3.2.2.2 Session Present; 3.2.2.3 return code 0x00 Connection Accepted.
#[test]
fn connack_accepted_session_present_3_2_2_2() {
    vector(
        &Packet::ConnAck(ConnAck::new(true, ReasonCode::SUCCESS)),
        &[0x20, 0x02, 0x01, 0x00],
    );
    vector(
        &Packet::ConnAck(ConnAck::new(false, ReasonCode::SUCCESS)),
        &[0x20, 0x02, 0x00, 0x00],
    );
}

// 3.2.2.3 Table 3.1 Connect Return code values 1 to 5, with Session Present 0 [MQTT-3.2.2-4].
#[test]
fn connack_return_codes_table_3_1() {
    for (return_code, reason) in [
        (0x01, ReasonCode::UNSUPPORTED_PROTOCOL_VERSION),
        (0x02, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID),
        (0x03, ReasonCode::SERVER_UNAVAILABLE),
        (0x04, ReasonCode::BAD_USER_NAME_OR_PASSWORD),
        (0x05, ReasonCode::NOT_AUTHORIZED),
    ] {
        vector(
            &Packet::ConnAck(ConnAck::new(false, reason)),
            &[0x20, 0x02, 0x00, return_code],
        );
    }
}

// 3.3.1 PUBLISH fixed header with QoS 0: no packet identifier [MQTT-2.3.1-5].
#[test]
fn publish_qos0_mqtt_2_3_1_5() {
    let publish = Publish::new(name("a/b"), QosPid::AtMostOnce, "hi");
    vector(
        &Packet::Publish(publish),
        &[0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'],
    );
}

// 3.3.1.1 DUP, 3.3.1.2 QoS 1, 3.3.1.3 RETAIN; 3.3.2.2 packet identifier; binary payload.
#[test]
fn publish_qos1_dup_retain_3_3_1() {
    let mut publish = Publish::new(
        name("t"),
        QosPid::AtLeastOnce(pid(0x1234)),
        &[0x00, 0xff][..],
    );
    publish.dup = true;
    publish.retain = true;
    vector(
        &Packet::Publish(publish),
        &[0x3b, 0x07, 0x00, 0x01, b't', 0x12, 0x34, 0x00, 0xff],
    );
}

// 3.3.1.2 QoS 2, packet identifier 65535, zero-length payload (3.3.3).
#[test]
fn publish_qos2_empty_payload_3_3_3() {
    let publish = Publish::new(name("x/y"), QosPid::ExactlyOnce(pid(0xffff)), Bytes::new());
    vector(
        &Packet::Publish(publish),
        &[0x34, 0x07, 0x00, 0x03, b'x', b'/', b'y', 0xff, 0xff],
    );
}

// 2.2.3 Remaining Length, Table 2.4: 203 takes two bytes, 0xCB 0x01.
#[test]
fn publish_two_byte_remaining_length_2_2_3() {
    let payload = vec![0x5a; 200];
    let publish = Publish::new(name("t"), QosPid::AtMostOnce, payload.clone());
    let mut bytes = vec![0x30, 0xcb, 0x01, 0x00, 0x01, b't'];
    bytes.extend_from_slice(&payload);
    vector(&Packet::Publish(publish), &bytes);
}

// 3.4 PUBACK: packet identifier only, remaining length 2.
#[test]
fn puback_3_4() {
    vector(
        &Packet::PubAck(PubAck::new(pid(7))),
        &[0x40, 0x02, 0x00, 0x07],
    );
}

// 3.5 PUBREC.
#[test]
fn pubrec_3_5() {
    vector(
        &Packet::PubRec(PubRec::new(pid(0x0102))),
        &[0x50, 0x02, 0x01, 0x02],
    );
}

// [MQTT-3.6.1-1]: PUBREL fixed header flags 0,0,1,0.
#[test]
fn pubrel_mqtt_3_6_1_1() {
    vector(
        &Packet::PubRel(PubRel::new(pid(7))),
        &[0x62, 0x02, 0x00, 0x07],
    );
}

// 3.7 PUBCOMP.
#[test]
fn pubcomp_3_7() {
    vector(
        &Packet::PubComp(PubComp::new(pid(65_535))),
        &[0x70, 0x02, 0xff, 0xff],
    );
}

// [MQTT-3.8.1-1] flags 0,0,1,0; 3.8.3 payload: filters with a requested QoS byte each.
#[test]
fn subscribe_mqtt_3_8_1_1() {
    let subscribe = Subscribe::new(
        pid(10),
        vec![
            Subscription::new(filter("a/+"), QoS::AtMostOnce),
            Subscription::new(filter("b/#"), QoS::AtLeastOnce),
            Subscription::new(filter("c"), QoS::ExactlyOnce),
        ],
    );
    vector(
        &Packet::Subscribe(subscribe),
        &[
            0x82, 0x12, // SUBSCRIBE, remaining length 18
            0x00, 0x0a, // packet identifier 10
            0x00, 0x03, b'a', b'/', b'+', 0x00, //
            0x00, 0x03, b'b', b'/', b'#', 0x01, //
            0x00, 0x01, b'c', 0x02,
        ],
    );
}

// MQTT 3.1.1 has no shared subscriptions: a filter starting with `$share/` is an ordinary one,
// whatever follows (brokers accept `$share/a` in 3.1.1). The same bytes in 5.0 are a malformed
// shared subscription ([MQTT-4.8.2-2] of 5.0), refused both ways.
#[test]
fn subscribe_share_prefix_is_an_ordinary_filter() {
    let bytes = [
        0x82, 0x0d, // SUBSCRIBE, remaining length 13
        0x00, 0x01, // packet identifier 1
        0x00, 0x08, b'$', b's', b'h', b'a', b'r', b'e', b'/', b'a', // "$share/a"
        0x01, // QoS 1
    ];
    let subscribe = Subscribe::new(
        pid(1),
        vec![Subscription::new(filter("$share/a"), QoS::AtLeastOnce)],
    );
    vector(&Packet::Subscribe(subscribe.clone()), &bytes);
    let unsubscribe = Unsubscribe::new(pid(2), vec![filter("$share//x"), filter("$share/g/x")]);
    vector(
        &Packet::Unsubscribe(unsubscribe.clone()),
        &[
            0xa2, 0x19, 0x00, 0x02, // UNSUBSCRIBE, remaining length 25, identifier 2
            0x00, 0x09, b'$', b's', b'h', b'a', b'r', b'e', b'/', b'/', b'x', //
            0x00, 0x0a, b'$', b's', b'h', b'a', b'r', b'e', b'/', b'g', b'/', b'x',
        ],
    );
    let v5 = ProtocolVersion::V5;
    let shared = Err(mqtt_proto::EncodeError::InvalidTopic(
        mqtt_proto::TopicError::InvalidSharedSubscription,
    ));
    assert_eq!(
        Packet::Subscribe(subscribe).encode(v5, &mut BytesMut::new()),
        shared
    );
    assert_eq!(
        Packet::Unsubscribe(unsubscribe).encode(v5, &mut BytesMut::new()),
        shared
    );
    // The 5.0 frame: a properties length of 0 after the identifier.
    let mut frame = BytesMut::from(
        &[
            0x82, 0x0e, 0x00, 0x01, 0x00, 0x00, 0x08, b'$', b's', b'h', b'a', b'r', b'e', b'/',
            b'a', 0x01,
        ][..],
    );
    assert_eq!(
        Packet::decode(v5, &mut frame, &mqtt_proto::Limits::new()),
        Err(mqtt_proto::DecodeError::InvalidTopic(
            mqtt_proto::TopicError::InvalidSharedSubscription
        ))
    );
}

// [MQTT-3.9.3-2]: SUBACK return codes 0x00, 0x01, 0x02 and 0x80 (failure).
#[test]
fn suback_mqtt_3_9_3_2() {
    let suback = SubAck::new(
        pid(10),
        vec![
            ReasonCode::GRANTED_QOS_0,
            ReasonCode::GRANTED_QOS_1,
            ReasonCode::GRANTED_QOS_2,
            ReasonCode::UNSPECIFIED_ERROR,
        ],
    );
    vector(
        &Packet::SubAck(suback),
        &[0x90, 0x06, 0x00, 0x0a, 0x00, 0x01, 0x02, 0x80],
    );
}

// [MQTT-3.10.1-1] flags 0,0,1,0; 3.10.3 payload: topic filters without options.
#[test]
fn unsubscribe_mqtt_3_10_1_1() {
    let unsubscribe = Unsubscribe::new(pid(11), vec![filter("a/+"), filter("b")]);
    vector(
        &Packet::Unsubscribe(unsubscribe),
        &[
            0xa2, 0x0a, 0x00, 0x0b, 0x00, 0x03, b'a', b'/', b'+', 0x00, 0x01, b'b',
        ],
    );
}

// 3.11 UNSUBACK: packet identifier only, no payload.
#[test]
fn unsuback_3_11() {
    vector(
        &Packet::UnsubAck(UnsubAck::new(pid(11), Vec::new())),
        &[0xb0, 0x02, 0x00, 0x0b],
    );
}

// 3.12 PINGREQ: fixed header only.
#[test]
fn pingreq_3_12() {
    vector(&Packet::PingReq, &[0xc0, 0x00]);
}

// 3.13 PINGRESP: fixed header only.
#[test]
fn pingresp_3_13() {
    vector(&Packet::PingResp, &[0xd0, 0x00]);
}

// 3.14 DISCONNECT: fixed header only.
#[test]
fn disconnect_3_14() {
    vector(&Packet::Disconnect(Disconnect::default()), &[0xe0, 0x00]);
}

// Each packet struct encodes the same bytes as the `Packet` that wraps it.
#[test]
fn struct_encode_matches_packet_encode() {
    let publish = Publish::new(name("a/b"), QosPid::AtMostOnce, "hi");
    let mut direct = BytesMut::new();
    publish.encode(V, &mut direct).unwrap();
    assert_eq!(publish.encoded_len(V), direct.len());
    let mut wrapped = BytesMut::new();
    Packet::Publish(publish).encode(V, &mut wrapped).unwrap();
    assert_eq!(direct, wrapped);
}
