//! Helpers shared by the vector and rejection tests.
#![allow(dead_code, unreachable_pub)]

use bytes::BytesMut;
use mqtt_proto::{
    Limits, MqttString, Packet, PacketId, ProtocolVersion, SubscriptionId, TopicFilter, TopicName,
    UserProperty,
};

/// Encodes `packet` for `version` and compares with `bytes`, then decodes `bytes` and compares
/// with `packet`.
pub fn vector(version: ProtocolVersion, packet: &Packet, bytes: &[u8]) {
    let mut out = BytesMut::new();
    let written = packet.encode(version, &mut out).unwrap();
    assert_eq!(&out[..], bytes, "encoded bytes");
    assert_eq!(written, bytes.len(), "bytes reported written");
    assert_eq!(packet.encoded_len(version), bytes.len(), "encoded_len");
    decodes_to(version, bytes, packet);
}

/// Decodes `bytes` and compares with `packet`: also for the longer forms the encoder does not
/// write.
pub fn decodes_to(version: ProtocolVersion, bytes: &[u8], packet: &Packet) {
    let mut input = BytesMut::from(bytes);
    let decoded = Packet::decode(version, &mut input, &Limits::new()).unwrap();
    assert_eq!(decoded.as_ref(), Some(packet), "decoded packet");
    assert!(input.is_empty(), "the whole frame is consumed");
}

pub fn pid(id: u16) -> PacketId {
    PacketId::new(id).unwrap()
}

pub fn s(value: &str) -> MqttString {
    MqttString::new(value).unwrap()
}

pub fn name(value: &str) -> TopicName {
    TopicName::new(value).unwrap()
}

pub fn filter(value: &str) -> TopicFilter {
    TopicFilter::new(value).unwrap()
}

pub fn user(key: &str, value: &str) -> UserProperty {
    UserProperty::new(s(key), s(value))
}

pub fn sub_id(value: u32) -> SubscriptionId {
    SubscriptionId::new(value).unwrap()
}
