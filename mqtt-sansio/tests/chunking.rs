//! Chunking invariance: the server's byte stream read whole, byte by byte or split anywhere gives
//! the same events and the same packets sent.

mod common;

use core::num::NonZeroU16;

use bytes::BytesMut;
use common::{Harness, filter, pid, publish_packet};
use mqtt_proto::{
    ConnAck, Packet, ProtocolVersion, PubRel, Publish, QoS, QosPid, ReasonCode, SubAck,
    SubscribeProperties, Subscription, TopicName,
};
use mqtt_sansio::Event;
use proptest::prelude::*;

fn server_stream(version: ProtocolVersion) -> Vec<u8> {
    let mut packets: Vec<Packet> = vec![
        ConnAck::new(false, ReasonCode::SUCCESS).into(),
        publish_packet("a/0", QoS::AtMostOnce, None, "zero").into(),
        publish_packet("a/1", QoS::AtLeastOnce, Some(10), "one").into(),
        publish_packet("a/2", QoS::ExactlyOnce, Some(11), "two").into(),
        SubAck::new(pid(1), vec![ReasonCode::GRANTED_QOS_1]).into(),
        PubRel::new(pid(11)).into(),
        Packet::PingResp,
        publish_packet(
            "a/3",
            QoS::AtLeastOnce,
            Some(12),
            &"x".repeat(300).leak()[..],
        )
        .into(),
    ];
    if version.is_v5() {
        let mut define = publish_packet("alias/t", QoS::AtMostOnce, None, "def");
        define.properties.topic_alias = NonZeroU16::new(1);
        let mut used = Publish::new(TopicName::empty(), QosPid::AtMostOnce, "use");
        used.properties.topic_alias = NonZeroU16::new(1);
        packets.push(define.into());
        packets.push(used.into());
    }
    let mut buf = BytesMut::new();
    for p in &packets {
        p.encode(version, &mut buf).unwrap();
    }
    buf.to_vec()
}

/// Feeds `stream` cut at `cuts`, draining after every read as a driver does.
fn run(version: ProtocolVersion, stream: &[u8], cuts: &[usize]) -> (Vec<Packet>, Vec<Event>) {
    let mut config = Harness::config(version);
    config.topic_alias_maximum = 4;
    let mut h = Harness::new(config);
    h.client
        .subscribe(
            vec![Subscription::new(filter("a/#"), QoS::AtLeastOnce)],
            SubscribeProperties::default(),
        )
        .unwrap();
    h.open();
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    let mut start = 0;
    for &cut in cuts.iter().chain(core::iter::once(&stream.len())) {
        let cut = cut.clamp(start, stream.len());
        h.server_sends_bytes(&stream[start..cut]);
        start = cut;
        sent.extend(h.sent());
        events.extend(h.events());
    }
    (sent, events)
}

fn whole(version: ProtocolVersion) -> (Vec<Packet>, Vec<Event>) {
    let stream = server_stream(version);
    let result = run(version, &stream, &[]);
    // The reference itself is what the stream means.
    let (sent, events) = &result;
    assert_eq!(
        sent.len(),
        5,
        "SUBSCRIBE, PUBACK, PUBREC, PUBCOMP, PUBACK: {sent:?}"
    );
    assert!(matches!(events.first(), Some(Event::Connected(_))));
    assert!(!events.iter().any(|e| matches!(e, Event::Disconnected(_))));
    result
}

#[test]
fn byte_at_a_time_equals_whole() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let stream = server_stream(version);
        let cuts: Vec<usize> = (1..stream.len()).collect();
        assert_eq!(run(version, &stream, &cuts), whole(version), "{version:?}");
    }
}

proptest! {
    #[test]
    fn any_split_equals_whole(
        v5 in any::<bool>(),
        mut cuts in proptest::collection::vec(0usize..400, 0..40),
    ) {
        let version = if v5 { ProtocolVersion::V5 } else { ProtocolVersion::V3_1_1 };
        let stream = server_stream(version);
        cuts.sort_unstable();
        prop_assert_eq!(run(version, &stream, &cuts), whole(version));
    }
}
