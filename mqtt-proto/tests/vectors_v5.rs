//! Byte-exact vectors for every MQTT 5.0 control packet.
//!
//! The expected bytes are written by hand from the figures and field descriptions of the MQTT
//! Version 5.0 OASIS Standard (section numbers and normative statement ids in the comments).
//! Properties appear in the order the encoder writes them; the specification leaves the order free
//! (section 2.2.2.2), and `properties_in_any_order_decode_alike` checks that decoding does too.
//! Each vector is encoded and compared byte for byte, decoded and compared field for field, and
//! its length is checked against `encoded_len`.

use core::num::{NonZeroU16, NonZeroU32};

use bytes::Bytes;
use mqtt_proto::{
    Auth, ConnAck, Connect, Disconnect, LastWill, Packet, PayloadFormat, ProtocolVersion, PubAck,
    PubComp, PubRec, PubRel, Publish, QoS, QosPid, ReasonCode, RetainHandling, SubAck, Subscribe,
    SubscribeOptions, Subscription, TopicName, UnsubAck, Unsubscribe,
};

mod common;

use common::{filter, name, pid, s, sub_id, user};

const V: ProtocolVersion = ProtocolVersion::V5;

/// Encodes `packet` and compares with `bytes`, decodes `bytes` and compares with `packet`.
fn vector(packet: &Packet, bytes: &[u8]) {
    common::vector(V, packet, bytes);
}

/// Decodes `bytes` and compares with `packet`: for the longer forms the encoder does not write.
fn decodes_to(bytes: &[u8], packet: &Packet) {
    common::decodes_to(V, bytes, packet);
}

// 3.1.2.1 protocol name, 3.1.2.2 protocol version 5, 3.1.2.11.1 property length 0.
#[test]
fn connect_minimal_3_1_2() {
    vector(
        &Packet::from(Connect::new(s("c1"))),
        &[
            0x10, 0x0f, // CONNECT, remaining length 15
            0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
            0x05, // protocol version
            0x02, // connect flags: clean start
            0x00, 0x3c, // keep alive 60
            0x00, // property length
            0x00, 0x02, b'c', b'1', // client identifier
        ],
    );
}

// Every CONNECT property (3.1.2.11.2 to 3.1.2.11.10) with user properties kept in order
// (3.1.2.11.8, repeated names allowed), a will with every will property (3.1.3.2.2 to 3.1.3.2.8),
// will QoS 2 and retain, user name and password; [MQTT-3.1.3-1] payload order.
#[test]
fn connect_every_property_and_will_properties_mqtt_3_1_3_1() {
    let mut will = LastWill::new(name("w/t"), "bye");
    will.qos = QoS::ExactlyOnce;
    will.retain = true;
    will.properties.will_delay_interval = Some(5);
    will.properties.payload_format_indicator = Some(PayloadFormat::Utf8);
    will.properties.message_expiry_interval = Some(3600);
    will.properties.content_type = Some(s("text"));
    will.properties.response_topic = Some(name("r/t"));
    will.properties.correlation_data = Some(Bytes::from_static(&[0x01, 0x02]));
    will.properties.user_properties = vec![user("k", "v")];

    let mut connect = Connect::new(s("id"));
    connect.keep_alive = 30;
    connect.will = Some(will);
    connect.username = Some(s("u"));
    connect.password = Some(Bytes::from_static(b"p"));
    let p = &mut connect.properties;
    p.session_expiry_interval = Some(120);
    p.receive_maximum = NonZeroU16::new(20);
    p.maximum_packet_size = NonZeroU32::new(4096);
    p.topic_alias_maximum = Some(10);
    p.request_response_information = Some(true);
    p.request_problem_information = Some(false);
    p.authentication_method = Some(s("m1"));
    p.authentication_data = Some(Bytes::from_static(&[0xab, 0xcd]));
    p.user_properties = vec![user("a", "1"), user("b", "2"), user("a", "3")];

    vector(
        &Packet::from(connect),
        &[
            0x10, 0x78, // CONNECT, remaining length 120
            0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, //
            // user name 0x80, password 0x40, will retain 0x20, will QoS 2 0x10, will 0x04,
            // clean start 0x02
            0xf6, //
            0x00, 0x1e, // keep alive 30
            0x33, // property length 51
            0x11, 0x00, 0x00, 0x00, 0x78, // session expiry interval 120
            0x21, 0x00, 0x14, // receive maximum 20
            0x27, 0x00, 0x00, 0x10, 0x00, // maximum packet size 4096
            0x22, 0x00, 0x0a, // topic alias maximum 10
            0x19, 0x01, // request response information
            0x17, 0x00, // request problem information
            0x15, 0x00, 0x02, b'm', b'1', // authentication method
            0x16, 0x00, 0x02, 0xab, 0xcd, // authentication data
            0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'1', // user property a=1
            0x26, 0x00, 0x01, b'b', 0x00, 0x01, b'2', // user property b=2
            0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'3', // user property a=3
            0x00, 0x02, b'i', b'd', // client identifier
            0x25, // will property length 37
            0x18, 0x00, 0x00, 0x00, 0x05, // will delay interval 5
            0x01, 0x01, // payload format indicator: UTF-8
            0x02, 0x00, 0x00, 0x0e, 0x10, // message expiry interval 3600
            0x03, 0x00, 0x04, b't', b'e', b'x', b't', // content type
            0x08, 0x00, 0x03, b'r', b'/', b't', // response topic
            0x09, 0x00, 0x02, 0x01, 0x02, // correlation data
            0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', // user property
            0x00, 0x03, b'w', b'/', b't', // will topic
            0x00, 0x03, b'b', b'y', b'e', // will payload
            0x00, 0x01, b'u', // user name
            0x00, 0x01, b'p', // password
        ],
    );
}

// 3.1.2.9: MQTT 5.0 allows a password without a user name.
#[test]
fn connect_password_without_user_name_3_1_2_9() {
    let mut connect = Connect::new(s("c1"));
    connect.password = Some(Bytes::from_static(b"p"));
    vector(
        &Packet::from(connect),
        &[
            0x10, 0x12, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, //
            0x42, // password 0x40, clean start 0x02
            0x00, 0x3c, 0x00, 0x00, 0x02, b'c', b'1', 0x00, 0x01, b'p',
        ],
    );
}

// 3.2.2.1.1 Session Present, 3.2.2.2 reason code 0x00 Success, 3.2.2.3.1 property length 0.
#[test]
fn connack_success_3_2_2() {
    vector(
        &Packet::ConnAck(ConnAck::new(false, ReasonCode::SUCCESS)),
        &[0x20, 0x03, 0x00, 0x00, 0x00],
    );
    vector(
        &Packet::ConnAck(ConnAck::new(true, ReasonCode::SUCCESS)),
        &[0x20, 0x03, 0x01, 0x00, 0x00],
    );
}

// Every CONNACK property (3.2.2.3.2 to 3.2.2.3.18).
#[test]
fn connack_every_property_3_2_2_3() {
    let mut connack = ConnAck::new(true, ReasonCode::SUCCESS);
    let p = &mut connack.properties;
    p.session_expiry_interval = Some(60);
    p.receive_maximum = NonZeroU16::new(10);
    p.maximum_qos = Some(QoS::AtLeastOnce);
    p.retain_available = Some(false);
    p.maximum_packet_size = NonZeroU32::new(1024);
    p.assigned_client_identifier = Some(s("cid"));
    p.topic_alias_maximum = Some(5);
    p.reason_string = Some(s("ok"));
    p.wildcard_subscription_available = Some(false);
    p.subscription_identifiers_available = Some(true);
    p.shared_subscription_available = Some(false);
    p.server_keep_alive = Some(30);
    p.response_information = Some(s("resp"));
    p.server_reference = Some(s("srv"));
    p.authentication_method = Some(s("m1"));
    p.authentication_data = Some(Bytes::from_static(&[0xff]));
    p.user_properties = vec![user("x", "y")];
    vector(
        &Packet::ConnAck(connack),
        &[
            0x20, 0x48, // CONNACK, remaining length 72
            0x01, // session present
            0x00, // success
            0x45, // property length 69
            0x11, 0x00, 0x00, 0x00, 0x3c, // session expiry interval 60
            0x21, 0x00, 0x0a, // receive maximum 10
            0x24, 0x01, // maximum QoS 1
            0x25, 0x00, // retain available: no
            0x27, 0x00, 0x00, 0x04, 0x00, // maximum packet size 1024
            0x12, 0x00, 0x03, b'c', b'i', b'd', // assigned client identifier
            0x22, 0x00, 0x05, // topic alias maximum 5
            0x1f, 0x00, 0x02, b'o', b'k', // reason string
            0x28, 0x00, // wildcard subscription available: no
            0x29, 0x01, // subscription identifiers available: yes
            0x2a, 0x00, // shared subscription available: no
            0x13, 0x00, 0x1e, // server keep alive 30
            0x1a, 0x00, 0x04, b'r', b'e', b's', b'p', // response information
            0x1c, 0x00, 0x03, b's', b'r', b'v', // server reference
            0x15, 0x00, 0x02, b'm', b'1', // authentication method
            0x16, 0x00, 0x01, 0xff, // authentication data
            0x26, 0x00, 0x01, b'x', 0x00, 0x01, b'y', // user property
        ],
    );
}

// 3.2.2.2 a refusing reason code, with Session Present 0 [MQTT-3.2.2-6].
#[test]
fn connack_failure_mqtt_3_2_2_6() {
    vector(
        &Packet::ConnAck(ConnAck::new(false, ReasonCode::NOT_AUTHORIZED)),
        &[0x20, 0x03, 0x00, 0x87, 0x00],
    );
    let mut moved = ConnAck::new(false, ReasonCode::SERVER_MOVED);
    moved.properties.server_reference = Some(s("b"));
    vector(
        &Packet::ConnAck(moved),
        &[0x20, 0x07, 0x00, 0x9d, 0x04, 0x1c, 0x00, 0x01, b'b'],
    );
}

// 3.3.2.3.1 property length 0 in a QoS 0 PUBLISH, no packet identifier.
#[test]
fn publish_qos0_3_3_2() {
    vector(
        &Packet::Publish(Publish::new(name("a/b"), QosPid::AtMostOnce, "hi")),
        &[0x30, 0x08, 0x00, 0x03, b'a', b'/', b'b', 0x00, b'h', b'i'],
    );
}

// Every PUBLISH property (3.3.2.3.2 to 3.3.2.3.9): user properties in order, several
// Subscription Identifiers as variable byte integers of one, two and four bytes (3.3.2.3.8).
#[test]
fn publish_every_property_3_3_2_3() {
    let mut publish = Publish::new(name("t/1"), QosPid::AtLeastOnce(pid(0x0102)), "data");
    publish.retain = true;
    let p = &mut publish.properties;
    p.payload_format_indicator = Some(PayloadFormat::Utf8);
    p.message_expiry_interval = Some(10);
    p.topic_alias = NonZeroU16::new(3);
    p.response_topic = Some(name("reply"));
    p.correlation_data = Some(Bytes::from_static(&[1, 2, 3]));
    p.content_type = Some(s("text/plain"));
    p.user_properties = vec![user("a", "1"), user("a", "2")];
    p.subscription_identifiers = vec![sub_id(1), sub_id(128), sub_id(268_435_455)];
    vector(
        &Packet::Publish(publish),
        &[
            0x33, 0x49, // PUBLISH QoS 1 RETAIN, remaining length 73
            0x00, 0x03, b't', b'/', b'1', // topic name
            0x01, 0x02, // packet identifier
            0x3d, // property length 61
            0x01, 0x01, // payload format indicator: UTF-8
            0x02, 0x00, 0x00, 0x00, 0x0a, // message expiry interval 10
            0x23, 0x00, 0x03, // topic alias 3
            0x08, 0x00, 0x05, b'r', b'e', b'p', b'l', b'y', // response topic
            0x09, 0x00, 0x03, 0x01, 0x02, 0x03, // correlation data
            0x03, 0x00, 0x0a, b't', b'e', b'x', b't', b'/', b'p', b'l', b'a', b'i',
            b'n', // content type
            0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'1', // user property a=1
            0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'2', // user property a=2
            0x0b, 0x01, // subscription identifier 1
            0x0b, 0x80, 0x01, // subscription identifier 128
            0x0b, 0xff, 0xff, 0xff, 0x7f, // subscription identifier 268,435,455
            b'd', b'a', b't', b'a', // payload
        ],
    );
}

// 3.3.2.1 and 3.3.2.3.4: a zero-length topic name with a Topic Alias.
#[test]
fn publish_aliased_empty_topic_3_3_2_3_4() {
    let mut publish = Publish::new(TopicName::empty(), QosPid::AtMostOnce, "x");
    publish.properties.topic_alias = NonZeroU16::new(7);
    vector(
        &Packet::Publish(publish),
        &[0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x07, b'x'],
    );
}

// 3.3.1.1 DUP with QoS 2, empty payload (3.3.3).
#[test]
fn publish_qos2_dup_3_3_1_1() {
    let mut publish = Publish::new(name("q"), QosPid::ExactlyOnce(pid(5)), Bytes::new());
    publish.dup = true;
    vector(
        &Packet::Publish(publish),
        &[0x3c, 0x06, 0x00, 0x01, b'q', 0x00, 0x05, 0x00],
    );
}

// 3.4.2.1: reason code and property length left out for 0x00 without properties
// (remaining length 2).
#[test]
fn puback_short_form_3_4_2_1() {
    vector(
        &Packet::PubAck(PubAck::new(pid(1))),
        &[0x40, 0x02, 0x00, 0x01],
    );
}

// 3.4.2.2.1: property length left out when there are no properties (remaining length 3).
#[test]
fn puback_reason_code_only_3_4_2_2_1() {
    vector(
        &Packet::PubAck(PubAck::with_reason(
            pid(1),
            ReasonCode::NO_MATCHING_SUBSCRIBERS,
        )),
        &[0x40, 0x03, 0x00, 0x01, 0x10],
    );
}

// 3.4.2.2 PUBACK properties: reason string and user property.
#[test]
fn puback_properties_3_4_2_2() {
    let mut puback = PubAck::with_reason(pid(1), ReasonCode::UNSPECIFIED_ERROR);
    puback.properties.reason_string = Some(s("error"));
    puback.properties.user_properties = vec![user("k", "v")];
    vector(
        &Packet::PubAck(puback),
        &[
            0x40, 0x13, 0x00, 0x01, 0x80, 0x0f, //
            0x1f, 0x00, 0x05, b'e', b'r', b'r', b'o', b'r', //
            0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v',
        ],
    );
}

// 3.4.2.1: the longer forms of a success PUBACK without properties decode like the short one.
#[test]
fn puback_long_forms_decode_alike_3_4_2_1() {
    let short = Packet::PubAck(PubAck::new(pid(1)));
    decodes_to(&[0x40, 0x03, 0x00, 0x01, 0x00], &short);
    decodes_to(&[0x40, 0x04, 0x00, 0x01, 0x00, 0x00], &short);
}

// 3.5.2.1 PUBREC reason codes, short and long forms.
#[test]
fn pubrec_3_5_2() {
    vector(
        &Packet::PubRec(PubRec::new(pid(2))),
        &[0x50, 0x02, 0x00, 0x02],
    );
    vector(
        &Packet::PubRec(PubRec::with_reason(
            pid(2),
            ReasonCode::PACKET_IDENTIFIER_IN_USE,
        )),
        &[0x50, 0x03, 0x00, 0x02, 0x91],
    );
    let mut pubrec = PubRec::with_reason(pid(2), ReasonCode::QUOTA_EXCEEDED);
    pubrec.properties.reason_string = Some(s("q"));
    vector(
        &Packet::PubRec(pubrec),
        &[0x50, 0x08, 0x00, 0x02, 0x97, 0x04, 0x1f, 0x00, 0x01, b'q'],
    );
}

// [MQTT-3.6.1-1] PUBREL flags 0,0,1,0; 3.6.2.1 reason code 0x92.
#[test]
fn pubrel_mqtt_3_6_1_1() {
    vector(
        &Packet::PubRel(PubRel::new(pid(3))),
        &[0x62, 0x02, 0x00, 0x03],
    );
    vector(
        &Packet::PubRel(PubRel::with_reason(
            pid(3),
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
        )),
        &[0x62, 0x03, 0x00, 0x03, 0x92],
    );
    let mut pubrel = PubRel::new(pid(3));
    pubrel.properties.user_properties = vec![user("a", "b")];
    vector(
        &Packet::PubRel(pubrel),
        &[
            0x62, 0x0b, 0x00, 0x03, 0x00, 0x07, 0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'b',
        ],
    );
}

// 3.7.2 PUBCOMP reason code and properties.
#[test]
fn pubcomp_3_7_2() {
    vector(
        &Packet::PubComp(PubComp::new(pid(4))),
        &[0x70, 0x02, 0x00, 0x04],
    );
    let mut pubcomp = PubComp::with_reason(pid(4), ReasonCode::PACKET_IDENTIFIER_NOT_FOUND);
    pubcomp.properties.reason_string = Some(s("nf"));
    vector(
        &Packet::PubComp(pubcomp),
        &[
            0x70, 0x09, 0x00, 0x04, 0x92, 0x05, 0x1f, 0x00, 0x02, b'n', b'f',
        ],
    );
}

// [MQTT-3.8.1-1] flags; 3.8.2.1 Subscription Identifier and User Property; 3.8.3.1 subscription
// options: QoS, No Local, Retain As Published, Retain Handling; a shared subscription (4.8.2).
#[test]
fn subscribe_properties_and_options_3_8_3_1() {
    let mut first = Subscription::new(filter("a/+"), QoS::AtLeastOnce);
    first.options.no_local = true;
    first.options.retain_as_published = true;
    first.options.retain_handling = RetainHandling::DoNotSend;
    let mut shared = Subscription::new(filter("$share/g/x"), QoS::ExactlyOnce);
    shared.options.retain_handling = RetainHandling::SendIfNew;
    let mut options = SubscribeOptions::new(QoS::AtMostOnce);
    options.retain_handling = RetainHandling::SendAtSubscribe;
    let mut all = Subscription::new(filter("#"), QoS::AtMostOnce);
    all.options = options;

    let mut subscribe = Subscribe::new(pid(1), vec![first, shared, all]);
    subscribe.properties.subscription_identifier = Some(sub_id(5));
    subscribe.properties.user_properties = vec![user("k", "v")];
    vector(
        &Packet::Subscribe(subscribe),
        &[
            0x82, 0x23, // SUBSCRIBE, remaining length 35
            0x00, 0x01, // packet identifier
            0x09, // property length
            0x0b, 0x05, // subscription identifier 5
            0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', // user property
            0x00, 0x03, b'a', b'/', b'+', //
            0x2d, // retain handling 2, retain as published, no local, QoS 1
            0x00, 0x0a, b'$', b's', b'h', b'a', b'r', b'e', b'/', b'g', b'/', b'x', //
            0x12, // retain handling 1, QoS 2
            0x00, 0x01, b'#', 0x00,
        ],
    );
}

// 3.9.2.1 SUBACK properties, 3.9.3 reason codes.
#[test]
fn suback_3_9() {
    let mut suback = SubAck::new(
        pid(1),
        vec![
            ReasonCode::GRANTED_QOS_1,
            ReasonCode::GRANTED_QOS_2,
            ReasonCode::GRANTED_QOS_0,
        ],
    );
    suback.properties.reason_string = Some(s("ok"));
    vector(
        &Packet::SubAck(suback),
        &[
            0x90, 0x0b, 0x00, 0x01, 0x05, 0x1f, 0x00, 0x02, b'o', b'k', 0x01, 0x02, 0x00,
        ],
    );
    let failures = SubAck::new(
        pid(2),
        vec![
            ReasonCode::QUOTA_EXCEEDED,
            ReasonCode::SHARED_SUBSCRIPTIONS_NOT_SUPPORTED,
            ReasonCode::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED,
        ],
    );
    vector(
        &Packet::SubAck(failures),
        &[0x90, 0x06, 0x00, 0x02, 0x00, 0x97, 0x9e, 0xa2],
    );
}

// [MQTT-3.10.1-1] flags; 3.10.2.1 User Property; 3.10.3 topic filters.
#[test]
fn unsubscribe_mqtt_3_10_1_1() {
    let mut unsubscribe = Unsubscribe::new(pid(2), vec![filter("a/+"), filter("$share/g/x")]);
    unsubscribe.properties.user_properties = vec![user("k", "v")];
    vector(
        &Packet::Unsubscribe(unsubscribe),
        &[
            0xa2, 0x1b, 0x00, 0x02, 0x07, 0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', //
            0x00, 0x03, b'a', b'/', b'+', //
            0x00, 0x0a, b'$', b's', b'h', b'a', b'r', b'e', b'/', b'g', b'/', b'x',
        ],
    );
    vector(
        &Packet::Unsubscribe(Unsubscribe::new(pid(3), vec![filter("b")])),
        &[0xa2, 0x06, 0x00, 0x03, 0x00, 0x00, 0x01, b'b'],
    );
}

// 3.11.2.1 UNSUBACK properties, 3.11.3 one reason code per filter.
#[test]
fn unsuback_3_11() {
    vector(
        &Packet::UnsubAck(UnsubAck::new(
            pid(2),
            vec![ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED],
        )),
        &[0xb0, 0x05, 0x00, 0x02, 0x00, 0x00, 0x11],
    );
    let mut unsuback = UnsubAck::new(pid(2), vec![ReasonCode::NOT_AUTHORIZED]);
    unsuback.properties.reason_string = Some(s("no"));
    unsuback.properties.user_properties = vec![user("a", "1")];
    vector(
        &Packet::UnsubAck(unsuback),
        &[
            0xb0, 0x10, 0x00, 0x02, 0x0c, 0x1f, 0x00, 0x02, b'n', b'o', 0x26, 0x00, 0x01, b'a',
            0x00, 0x01, b'1', 0x87,
        ],
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

// 3.14.2.1: reason code 0x00 without properties leaves both out (remaining length 0).
#[test]
fn disconnect_short_form_3_14_2_1() {
    vector(
        &Packet::Disconnect(Disconnect::new(ReasonCode::NORMAL_DISCONNECTION)),
        &[0xe0, 0x00],
    );
    // The longer forms decode alike.
    let normal = Packet::Disconnect(Disconnect::default());
    decodes_to(&[0xe0, 0x01, 0x00], &normal);
    decodes_to(&[0xe0, 0x02, 0x00, 0x00], &normal);
}

// 3.14.2.2.1: a remaining length of 1 has no property length.
#[test]
fn disconnect_reason_code_only_3_14_2_2_1() {
    vector(
        &Packet::Disconnect(Disconnect::new(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE)),
        &[0xe0, 0x01, 0x04],
    );
}

// Every DISCONNECT property (3.14.2.2.2 to 3.14.2.2.5).
#[test]
fn disconnect_every_property_3_14_2_2() {
    let mut disconnect = Disconnect::new(ReasonCode::USE_ANOTHER_SERVER);
    disconnect.properties.session_expiry_interval = Some(0);
    disconnect.properties.reason_string = Some(s("bye"));
    disconnect.properties.server_reference = Some(s("srv"));
    disconnect.properties.user_properties = vec![user("a", "b")];
    vector(
        &Packet::Disconnect(disconnect),
        &[
            0xe0, 0x1a, // DISCONNECT, remaining length 26
            0x9c, // use another server
            0x18, // property length 24
            0x11, 0x00, 0x00, 0x00, 0x00, // session expiry interval 0
            0x1f, 0x00, 0x03, b'b', b'y', b'e', // reason string
            0x1c, 0x00, 0x03, b's', b'r', b'v', // server reference
            0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'b', // user property
        ],
    );
}

// 3.15.2.1: reason code 0x00 without properties leaves both out (remaining length 0).
#[test]
fn auth_short_form_3_15_2_1() {
    vector(&Packet::Auth(Auth::new(ReasonCode::SUCCESS)), &[0xf0, 0x00]);
}

// Every AUTH property (3.15.2.2.2 to 3.15.2.2.5) with Continue authentication.
#[test]
fn auth_every_property_3_15_2_2() {
    let mut auth = Auth::new(ReasonCode::CONTINUE_AUTHENTICATION);
    auth.properties.authentication_method = Some(s("m1"));
    auth.properties.authentication_data = Some(Bytes::from_static(&[0x01, 0x02]));
    auth.properties.reason_string = Some(s("r"));
    auth.properties.user_properties = vec![user("a", "b")];
    vector(
        &Packet::Auth(auth),
        &[
            0xf0, 0x17, // AUTH, remaining length 23
            0x18, // continue authentication
            0x15, // property length 21
            0x15, 0x00, 0x02, b'm', b'1', // authentication method
            0x16, 0x00, 0x02, 0x01, 0x02, // authentication data
            0x1f, 0x00, 0x01, b'r', // reason string
            0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'b', // user property
        ],
    );
}

// 3.15.2.1 Re-authenticate with the authentication method only.
#[test]
fn auth_re_authenticate_3_15_2_1() {
    let mut auth = Auth::new(ReasonCode::RE_AUTHENTICATE);
    auth.properties.authentication_method = Some(s("m1"));
    vector(
        &Packet::Auth(auth),
        &[0xf0, 0x07, 0x19, 0x05, 0x15, 0x00, 0x02, b'm', b'1'],
    );
}

// 2.2.2.2: properties may come in any order; user properties keep their relative order
// (3.3.2.3.7).
#[test]
fn properties_in_any_order_decode_alike() {
    let mut publish = Publish::new(name("t"), QosPid::AtMostOnce, Bytes::new());
    publish.properties.topic_alias = NonZeroU16::new(1);
    publish.properties.message_expiry_interval = Some(1);
    publish.properties.user_properties = vec![user("b", "2"), user("a", "1")];
    publish.properties.subscription_identifiers = vec![sub_id(9), sub_id(2)];
    decodes_to(
        &[
            0x30, 0x1e, 0x00, 0x01, b't', 0x1a, //
            0x0b, 0x09, // subscription identifier 9
            0x26, 0x00, 0x01, b'b', 0x00, 0x01, b'2', // user property b=2
            0x23, 0x00, 0x01, // topic alias 1
            0x0b, 0x02, // subscription identifier 2
            0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'1', // user property a=1
            0x02, 0x00, 0x00, 0x00, 0x01, // message expiry interval 1
        ],
        &Packet::Publish(publish),
    );
}

// 2.1.4: a remaining length of 128 takes two bytes, 0x80 0x01 (section 1.5.5).
#[test]
fn publish_two_byte_remaining_length_1_5_5() {
    let payload = vec![0xa5; 122];
    let publish = Publish::new(name("abc"), QosPid::AtMostOnce, payload.clone());
    let mut bytes = vec![0x30, 0x80, 0x01, 0x00, 0x03, b'a', b'b', b'c', 0x00];
    bytes.extend_from_slice(&payload);
    vector(&Packet::Publish(publish), &bytes);
}
