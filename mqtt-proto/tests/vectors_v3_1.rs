//! Byte-exact vectors for every MQTT 3.1 control packet.
//!
//! MQTT 3.1 (protocol name "MQIsdp", protocol level 3) has the packet layout that MQTT 3.1.1
//! standardised; these vectors follow the MQTT Version 3.1.1 OASIS Standard figures with that name
//! and level, and the section numbers in the comments are those of 3.1.1. The expected bytes are
//! written by hand. Each vector is encoded and compared byte for byte, decoded and compared field
//! for field, and its length is checked against `encoded_len`.

use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    ConnAck, Connect, Disconnect, LastWill, Limits, Packet, ProtocolVersion, PubAck, PubComp,
    PubRec, PubRel, Publish, QoS, QosPid, ReasonCode, SubAck, Subscribe, Subscription, UnsubAck,
    Unsubscribe,
};

mod common;

use common::{filter, name, pid, s};

const V: ProtocolVersion = ProtocolVersion::V3_1;

/// Encodes `packet` and compares with `bytes`, decodes `bytes` and compares with `packet`.
fn vector(packet: &Packet, bytes: &[u8]) {
    common::vector(V, packet, bytes);
}

// 3.1.2.1 protocol name "MQIsdp" and 3.1.2.2 protocol level 3 of MQTT 3.1; clean session,
// keep alive 60.
#[test]
fn connect_minimal_mqisdp_level_3() {
    let connect = Connect::new(s("c1"));
    vector(
        &Packet::from(connect),
        &[
            0x10, 0x10, // CONNECT, remaining length 16
            0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', // protocol name
            0x03, // protocol level
            0x02, // connect flags: clean session
            0x00, 0x3c, // keep alive 60
            0x00, 0x02, b'c', b'1', // client identifier
        ],
    );
}

// 3.1.2.5 to 3.1.2.9 connect flags and 3.1.3 payload order: client identifier, will topic, will
// message, user name, password.
#[test]
fn connect_with_will_user_name_and_password_3_1_3() {
    let mut will = LastWill::new(name("w/t"), "bye");
    will.qos = QoS::ExactlyOnce;
    will.retain = true;
    let mut connect = Connect::new(s("id"));
    connect.clean_start = false;
    connect.keep_alive = 10;
    connect.will = Some(will);
    connect.username = Some(s("user"));
    connect.password = Some(Bytes::from_static(b"pw"));
    vector(
        &Packet::from(connect),
        &[
            0x10, 0x24, // remaining length 36
            0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', 0x03, //
            // user name 0x80, password 0x40, will retain 0x20, will QoS 2 0x10, will flag 0x04
            0xf4, //
            0x00, 0x0a, // keep alive 10
            0x00, 0x02, b'i', b'd', // client identifier
            0x00, 0x03, b'w', b'/', b't', // will topic
            0x00, 0x03, b'b', b'y', b'e', // will message
            0x00, 0x04, b'u', b's', b'e', b'r', // user name
            0x00, 0x02, b'p', b'w', // password
        ],
    );
}

// 3.2.2.3 return code 0 (accepted); MQTT 3.1 has no Session Present flag, the first byte is 0.
#[test]
fn connack_accepted_3_2_2_3() {
    vector(
        &Packet::ConnAck(ConnAck::new(false, ReasonCode::SUCCESS)),
        &[0x20, 0x02, 0x00, 0x00],
    );
}

// 3.2.2.3 return codes 1 to 5.
#[test]
fn connack_return_codes_3_2_2_3() {
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

// 3.3 PUBLISH at QoS 0: no packet identifier.
#[test]
fn publish_qos0_3_3() {
    let publish = Publish::new(name("a/b"), QosPid::AtMostOnce, "hi");
    vector(
        &Packet::Publish(publish),
        &[0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'],
    );
}

// 3.3.1 DUP, QoS 1 and RETAIN; 3.3.2 packet identifier.
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

// 3.3.1 QoS 2.
#[test]
fn publish_qos2_3_3_1() {
    let publish = Publish::new(name("x"), QosPid::ExactlyOnce(pid(2)), "p");
    vector(
        &Packet::Publish(publish),
        &[0x34, 0x06, 0x00, 0x01, b'x', 0x00, 0x02, b'p'],
    );
}

// 3.4 PUBACK.
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
        &Packet::PubRec(PubRec::new(pid(7))),
        &[0x50, 0x02, 0x00, 0x07],
    );
}

// 3.6.1 PUBREL fixed header flags 0,0,1,0 (QoS 1 in MQTT 3.1).
#[test]
fn pubrel_3_6_1() {
    vector(
        &Packet::PubRel(PubRel::new(pid(7))),
        &[0x62, 0x02, 0x00, 0x07],
    );
}

// 3.7 PUBCOMP.
#[test]
fn pubcomp_3_7() {
    vector(
        &Packet::PubComp(PubComp::new(pid(7))),
        &[0x70, 0x02, 0x00, 0x07],
    );
}

// 3.8.1 SUBSCRIBE flags 0,0,1,0; 3.8.3 topic filters with a requested QoS byte each.
#[test]
fn subscribe_3_8() {
    let subscribe = Subscribe::new(
        pid(1),
        vec![
            Subscription::new(filter("a/#"), QoS::AtLeastOnce),
            Subscription::new(filter("+"), QoS::ExactlyOnce),
        ],
    );
    vector(
        &Packet::Subscribe(subscribe),
        &[
            0x82, 0x0c, 0x00, 0x01, 0x00, 0x03, b'a', b'/', b'#', 0x01, 0x00, 0x01, b'+', 0x02,
        ],
    );
}

// 3.9.3 SUBACK granted QoS bytes.
#[test]
fn suback_3_9_3() {
    let suback = SubAck::new(
        pid(1),
        vec![
            ReasonCode::GRANTED_QOS_0,
            ReasonCode::GRANTED_QOS_1,
            ReasonCode::GRANTED_QOS_2,
        ],
    );
    vector(
        &Packet::SubAck(suback),
        &[0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0x02],
    );
}

// 3.10 UNSUBSCRIBE flags 0,0,1,0.
#[test]
fn unsubscribe_3_10() {
    let unsubscribe = Unsubscribe::new(pid(2), vec![filter("a/#")]);
    vector(
        &Packet::Unsubscribe(unsubscribe),
        &[0xa2, 0x07, 0x00, 0x02, 0x00, 0x03, b'a', b'/', b'#'],
    );
}

// 3.11 UNSUBACK.
#[test]
fn unsuback_3_11() {
    vector(
        &Packet::UnsubAck(UnsubAck::new(pid(2), Vec::new())),
        &[0xb0, 0x02, 0x00, 0x02],
    );
}

// 3.12 PINGREQ.
#[test]
fn pingreq_3_12() {
    vector(&Packet::PingReq, &[0xc0, 0x00]);
}

// 3.13 PINGRESP.
#[test]
fn pingresp_3_13() {
    vector(&Packet::PingResp, &[0xd0, 0x00]);
}

// 3.14 DISCONNECT.
#[test]
fn disconnect_3_14() {
    vector(&Packet::Disconnect(Disconnect::default()), &[0xe0, 0x00]);
}

// A MQTT 3.1.1 CONNECT is not a MQTT 3.1 CONNECT: the level byte decides (3.1.2.2).
#[test]
fn connect_level_4_is_not_mqtt_3_1() {
    let mut input = BytesMut::from(
        &[
            0x10, 0x0e, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x02,
            b'c', b'1',
        ][..],
    );
    assert!(Packet::decode(V, &mut input, &Limits::new()).is_err());
}

// MQTT 3.1 section 2.1: DUP is set on a re-delivered PUBREL, SUBSCRIBE or UNSUBSCRIBE. It is
// accepted there (and not kept); MQTT 3.1.1 fixes those flags at 0b0010 ([MQTT-2.2.2-2]).
#[test]
fn dup_on_pubrel_subscribe_unsubscribe_is_accepted_in_3_1() {
    for bytes in [
        &[0x6a, 0x02, 0x00, 0x07][..],
        &[0x8a, 0x06, 0x00, 0x07, 0x00, 0x01, b'a', 0x01],
        &[0xaa, 0x05, 0x00, 0x07, 0x00, 0x01, b'a'],
    ] {
        let mut buf = BytesMut::from(bytes);
        let packet = Packet::decode(V, &mut buf, &Limits::new())
            .unwrap()
            .unwrap();
        assert!(buf.is_empty());
        let mut again = BytesMut::new();
        packet.encode(V, &mut again).unwrap();
        assert_eq!(again[0], bytes[0] & !0x08, "re-encoded without DUP");
        let mut buf = BytesMut::from(bytes);
        assert!(Packet::decode(ProtocolVersion::V3_1_1, &mut buf, &Limits::new()).is_err());
    }
}
