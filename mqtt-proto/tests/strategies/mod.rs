//! Proptest strategies that generate any valid [`Packet`] for a protocol version.
//!
//! Every value these strategies produce is a packet the specification allows for that version, in
//! the one form the codec writes. Under MQTT 3.x the MQTT 5.0-only fields (properties, reason
//! codes, subscription options other than the QoS) keep their defaults, because they are not
//! written there and so cannot come back from the wire.
//!
//! Shared by `roundtrip.rs` and `split.rs`; not every test file uses every item.
#![allow(dead_code)]

mod packets;
mod properties;
mod scalars;
mod text;

pub(crate) use packets::*;
pub(crate) use properties::*;
pub(crate) use scalars::*;
pub(crate) use text::*;

use mqtt_proto::{Packet, PacketType, ProtocolVersion, PubAck, PubComp, PubRec, PubRel};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

/// Every protocol version the codec speaks.
pub(crate) const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

/// The packet types of `version`: all fifteen for MQTT 5.0, all but AUTH before.
pub(crate) fn packet_types(version: ProtocolVersion) -> Vec<PacketType> {
    let mut types = vec![
        PacketType::Connect,
        PacketType::ConnAck,
        PacketType::Publish,
        PacketType::PubAck,
        PacketType::PubRec,
        PacketType::PubRel,
        PacketType::PubComp,
        PacketType::Subscribe,
        PacketType::SubAck,
        PacketType::Unsubscribe,
        PacketType::UnsubAck,
        PacketType::PingReq,
        PacketType::PingResp,
        PacketType::Disconnect,
    ];
    if version.is_v5() {
        types.push(PacketType::Auth);
    }
    types
}

/// Any valid packet of `version`, every type equally likely.
pub(crate) fn any_packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    Union::new(
        packet_types(version)
            .into_iter()
            .map(|t| packet_of_type(version, t)),
    )
    .boxed()
}

/// A short stream of valid packets of `version`.
pub(crate) fn packet_stream(version: ProtocolVersion) -> BoxedStrategy<Vec<Packet>> {
    vec(any_packet(version), 1..=6).boxed()
}

/// Any valid packet of type `packet_type` for `version`.
///
/// # Panics
/// For AUTH before MQTT 5.0, which does not exist there.
pub(crate) fn packet_of_type(
    version: ProtocolVersion,
    packet_type: PacketType,
) -> BoxedStrategy<Packet> {
    match packet_type {
        PacketType::Connect => connect(version).prop_map(Packet::from).boxed(),
        PacketType::ConnAck => connack(version).prop_map(Packet::ConnAck).boxed(),
        PacketType::Publish => publish(version).prop_map(Packet::Publish).boxed(),
        PacketType::PubAck => pub_response(version, PacketType::PubAck)
            .prop_map(|(id, code, props)| {
                let mut p = PubAck::with_reason(id, code);
                p.properties = props.into();
                Packet::PubAck(p)
            })
            .boxed(),
        PacketType::PubRec => pub_response(version, PacketType::PubRec)
            .prop_map(|(id, code, props)| {
                let mut p = PubRec::with_reason(id, code);
                p.properties = props.into();
                Packet::PubRec(p)
            })
            .boxed(),
        PacketType::PubRel => pub_response(version, PacketType::PubRel)
            .prop_map(|(id, code, props)| {
                let mut p = PubRel::with_reason(id, code);
                p.properties = props.into();
                Packet::PubRel(p)
            })
            .boxed(),
        PacketType::PubComp => pub_response(version, PacketType::PubComp)
            .prop_map(|(id, code, props)| {
                let mut p = PubComp::with_reason(id, code);
                p.properties = props.into();
                Packet::PubComp(p)
            })
            .boxed(),
        PacketType::Subscribe => subscribe(version).prop_map(Packet::Subscribe).boxed(),
        PacketType::SubAck => suback(version).prop_map(Packet::SubAck).boxed(),
        PacketType::Unsubscribe => unsubscribe(version).prop_map(Packet::Unsubscribe).boxed(),
        PacketType::UnsubAck => unsuback(version).prop_map(Packet::UnsubAck).boxed(),
        PacketType::PingReq => Just(Packet::PingReq).boxed(),
        PacketType::PingResp => Just(Packet::PingResp).boxed(),
        PacketType::Disconnect => disconnect(version).prop_map(Packet::Disconnect).boxed(),
        PacketType::Auth => {
            assert!(version.is_v5(), "AUTH exists only in MQTT 5.0");
            auth().prop_map(Packet::Auth).boxed()
        }
    }
}
