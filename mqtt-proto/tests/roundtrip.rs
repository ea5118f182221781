//! Round trips: every valid packet of every version encodes, decodes to itself, and re-encodes
//! to the same bytes.

mod strategies;

use std::collections::BTreeSet;

use bytes::BytesMut;
use mqtt_proto::{Limits, Packet, PacketType, ProtocolVersion};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use strategies::{VERSIONS, any_packet, packet_of_type, packet_types};

/// Checks one packet, returning a description of the first broken property.
fn round_trip(version: ProtocolVersion, packet: &Packet) -> Result<(), TestCaseError> {
    let mut wire = BytesMut::new();
    let written = packet
        .encode(version, &mut wire)
        .map_err(|e| TestCaseError::fail(format!("encode failed: {e:?}")))?;
    prop_assert_eq!(written, wire.len(), "encode returns the bytes written");
    prop_assert_eq!(
        packet.encoded_len(version),
        wire.len(),
        "encoded_len matches"
    );
    let first_encoding = wire.clone().freeze();

    let decoded = Packet::decode(version, &mut wire, &Limits::new())
        .map_err(|e| TestCaseError::fail(format!("decode failed: {e:?}")))?;
    prop_assert!(wire.is_empty(), "{} bytes left over", wire.len());
    let decoded =
        decoded.ok_or_else(|| TestCaseError::fail("decode wants more bytes of a whole packet"))?;
    prop_assert_eq!(&decoded, packet);

    let mut again = BytesMut::new();
    decoded
        .encode(version, &mut again)
        .map_err(|e| TestCaseError::fail(format!("re-encode failed: {e:?}")))?;
    prop_assert_eq!(&again[..], &first_encoding[..], "re-encoding differs");
    Ok(())
}

proptest! {
    #[test]
    fn round_trip_v3_1(packet in any_packet(ProtocolVersion::V3_1)) {
        round_trip(ProtocolVersion::V3_1, &packet)?;
    }

    #[test]
    fn round_trip_v3_1_1(packet in any_packet(ProtocolVersion::V3_1_1)) {
        round_trip(ProtocolVersion::V3_1_1, &packet)?;
    }

    #[test]
    fn round_trip_v5(packet in any_packet(ProtocolVersion::V5)) {
        round_trip(ProtocolVersion::V5, &packet)?;
    }
}

/// Draws `n` values of `strategy` with a fixed seed, so the coverage checks are reproducible.
fn sample<S: Strategy>(strategy: &S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// The mixed strategy produces every packet type of each version (and AUTH only in 5.0), so it
/// cannot silently skip one.
#[test]
fn any_packet_covers_every_type() {
    for version in VERSIONS {
        let seen: BTreeSet<u8> = sample(&any_packet(version), 600)
            .iter()
            .map(|p| p.packet_type() as u8)
            .collect();
        let expected: BTreeSet<u8> = packet_types(version).iter().map(|&t| t as u8).collect();
        assert_eq!(seen, expected, "{version}");
        assert_eq!(
            expected.contains(&(PacketType::Auth as u8)),
            version.is_v5(),
            "{version}"
        );
        assert_eq!(expected.len(), if version.is_v5() { 15 } else { 14 });
    }
}

/// Every per-type strategy produces packets of its type, and they round-trip.
#[test]
fn every_type_round_trips() {
    for version in VERSIONS {
        for packet_type in packet_types(version) {
            for packet in sample(&packet_of_type(version, packet_type), 24) {
                assert_eq!(packet.packet_type(), packet_type);
                if let Err(e) = round_trip(version, &packet) {
                    panic!("{version} {packet_type:?}: {e}\n{packet:#?}");
                }
            }
        }
    }
}

/// A description and a test of one form of packet.
type Check = (&'static str, fn(&Packet) -> bool);

/// The forms the strategies are meant to reach do get generated: without this a refactoring
/// could quietly stop producing, say, aliased PUBLISH packets or shared subscriptions.
#[test]
fn strategies_reach_edge_cases() {
    let v5 = sample(&any_packet(ProtocolVersion::V5), 3000);
    let checks: [Check; 17] = [
        (
            "PUBLISH with an empty topic and a topic alias",
            |p| matches!(p, Packet::Publish(p) if p.topic().is_empty() && p.properties.topic_alias.is_some()),
        ),
        (
            "PUBLISH with several subscription identifiers",
            |p| matches!(p, Packet::Publish(p) if p.properties.subscription_identifiers.len() > 1),
        ),
        (
            "PUBLISH with a payload over 1 KiB",
            |p| matches!(p, Packet::Publish(p) if p.payload().len() > 1024),
        ),
        (
            "PUBLISH with a three-byte remaining length",
            |p| matches!(p, Packet::Publish(p) if p.payload().len() > 16_384),
        ),
        (
            "PUBLISH with a UTF-8 payload format",
            |p| matches!(p, Packet::Publish(p) if p.properties.payload_format_indicator.is_some()),
        ),
        (
            "PUBLISH with a multi-byte UTF-8 topic",
            |p| matches!(p, Packet::Publish(p) if !p.topic().is_ascii()),
        ),
        (
            "PUBLISH to a topic with an empty level",
            |p| matches!(p, Packet::Publish(p) if p.topic().contains("//")),
        ),
        (
            "PUBLISH with several user properties",
            |p| matches!(p, Packet::Publish(p) if p.properties.user_properties.len() > 1),
        ),
        (
            "SUBSCRIBE to a shared subscription",
            |p| matches!(p, Packet::Subscribe(s) if s.subscriptions.iter().any(|s| s.filter.is_shared())),
        ),
        (
            "SUBSCRIBE with No Local",
            |p| matches!(p, Packet::Subscribe(s) if s.subscriptions.iter().any(|s| s.options.no_local)),
        ),
        ("SUBSCRIBE with `#` and `+`", |p| {
            matches!(p, Packet::Subscribe(s) if s.subscriptions.iter().any(|s| s.filter.matching_filter().contains('#'))
                && s.subscriptions.iter().any(|s| s.filter.matching_filter().contains('+')))
        }),
        (
            "CONNECT with a will with properties",
            |p| matches!(p, Packet::Connect(c) if c.will.as_ref().is_some_and(|w| !w.properties.is_empty())),
        ),
        (
            "CONNECT with a password and no user name",
            |p| matches!(p, Packet::Connect(c) if c.password.is_some() && c.username.is_none()),
        ),
        (
            "CONNACK with authentication data",
            |p| matches!(p, Packet::ConnAck(c) if c.properties.authentication_data.is_some()),
        ),
        (
            "PUBACK in the two-byte form",
            |p| matches!(p, Packet::PubAck(a) if a.reason_code.0 == 0 && a.properties.is_empty()),
        ),
        (
            "DISCONNECT with a reason code and no properties",
            |p| matches!(p, Packet::Disconnect(d) if d.reason_code.0 != 0 && d.properties.is_empty()),
        ),
        (
            "AUTH with a remaining length of 0",
            |p| matches!(p, Packet::Auth(a) if a.reason_code.0 == 0 && a.properties.is_empty()),
        ),
    ];
    for (what, check) in checks {
        assert!(v5.iter().any(check), "never generated: {what}");
    }

    let v3_1 = sample(&any_packet(ProtocolVersion::V3_1), 600);
    assert!(
        v3_1.iter()
            .all(|p| !matches!(p, Packet::ConnAck(c) if c.session_present)),
        "session present in MQTT 3.1"
    );
    let v3_1_1 = sample(&any_packet(ProtocolVersion::V3_1_1), 600);
    assert!(
        v3_1_1
            .iter()
            .any(|p| matches!(p, Packet::ConnAck(c) if c.session_present)),
        "never generated: session present in MQTT 3.1.1"
    );
    assert!(
        v3_1_1
            .iter()
            .any(|p| matches!(p, Packet::Connect(c) if c.will.is_some() && c.password.is_some())),
        "never generated: MQTT 3.1.1 CONNECT with a will and a password"
    );
}
