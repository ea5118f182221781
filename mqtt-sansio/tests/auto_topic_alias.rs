//! Topic aliases the session gives itself (MQTT 5.0 section 3.3.2.3.4,
//! `Config::auto_topic_alias`): a topic in full once per connection, then the alias alone; never
//! above the server's Topic Alias Maximum; afresh on every connection; and, against the fake
//! broker that resolves them, every message arriving under its own topic whatever the mix of
//! topics, limits and the application's own aliases.

mod common;

use core::num::NonZeroU16;
use core::time::Duration;

use bytes::BytesMut;
use common::Harness;
use mqtt_proto::{
    ConnAck, ConnAckProperties, MqttString, Packet, ProtocolVersion, QoS, ReasonCode, TopicName,
};
use mqtt_sansio::{Config, Message};
use mqtt_test::{BrokerConfig, LinkConfig};
use proptest::prelude::*;

fn connack(topic_alias_maximum: Option<u16>, maximum_packet_size: Option<u32>) -> ConnAck {
    let mut properties = ConnAckProperties::default();
    properties.topic_alias_maximum = topic_alias_maximum;
    properties.maximum_packet_size = maximum_packet_size.and_then(core::num::NonZeroU32::new);
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties = properties.into();
    connack
}

fn connected(config: Config, topic_alias_maximum: u16) -> Harness {
    let mut h = Harness::new(config);
    h.connect_with(connack(Some(topic_alias_maximum), None));
    h.sent();
    h
}

fn v5() -> Config {
    Harness::config(ProtocolVersion::V5)
}

fn message(topic: &str) -> Message {
    Message::new(TopicName::new(topic).unwrap(), QoS::AtMostOnce, "x")
}

/// Publishes to each topic and returns what went on the wire: (topic, alias) per PUBLISH.
fn publish_all(h: &mut Harness, topics: &[&str]) -> Vec<(String, Option<u16>)> {
    for topic in topics {
        h.client.publish(message(topic)).unwrap();
    }
    on_the_wire(h)
}

/// What went on the wire since the last look: (topic, alias) per PUBLISH.
fn on_the_wire(h: &mut Harness) -> Vec<(String, Option<u16>)> {
    h.sent()
        .into_iter()
        .map(|p| match p {
            Packet::Publish(p) => (
                p.topic().to_owned(),
                p.properties.topic_alias.map(NonZeroU16::get),
            ),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn wire(topic: &str, alias: u16) -> (String, Option<u16>) {
    (topic.to_owned(), Some(alias))
}

#[test]
fn a_topic_goes_in_full_once_then_as_its_alias() {
    let mut h = connected(v5(), 10);
    let topic = "factory/line-3/station-12/temperature";
    h.client.publish(message(topic)).unwrap();
    h.client.publish(message(topic)).unwrap();
    let mut bytes = BytesMut::new();
    while h.client.poll_transmit(h.now, &mut bytes) {}
    // First: topic name and Topic Alias 1 (property 0x23).
    let first_len = 2 + 2 + topic.len() + 1 + 3 + 1;
    let mut first = vec![0x30, u8::try_from(first_len - 2).unwrap(), 0x00, 37];
    first.extend_from_slice(topic.as_bytes());
    first.extend_from_slice(&[0x03, 0x23, 0x00, 0x01, b'x']);
    assert_eq!(&bytes[..first_len], &first[..]);
    // Then: an empty topic name and the alias alone, 38 bytes less.
    assert_eq!(
        &bytes[first_len..],
        &[0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, b'x']
    );
}

#[test]
fn aliases_never_exceed_the_server_maximum_and_the_least_recent_gives_way() {
    // [MQTT-3.3.2-9]: not above the maximum; [MQTT-3.3.2-8]: never 0.
    let mut h = connected(v5(), 2);
    let sent = publish_all(&mut h, &["a", "b", "a", "c", "b", "c", "a"]);
    assert_eq!(
        sent,
        [
            wire("a", 1),
            wire("b", 2),
            wire("", 1),
            // Full: b was used least recently, c takes its alias.
            wire("c", 2),
            wire("b", 1),
            wire("", 2),
            wire("a", 1),
        ]
    );
}

#[test]
fn every_connection_starts_without_aliases() {
    // [MQTT-3.3.2-7]: no mapping outlives its connection.
    let mut h = connected(v5(), 5);
    assert_eq!(
        publish_all(&mut h, &["t", "t"]),
        [wire("t", 1), wire("", 1)]
    );
    h.client.handle_transport_closed(h.now);
    h.connect_with(connack(Some(5), None));
    h.sent();
    assert_eq!(
        publish_all(&mut h, &["t", "t"]),
        [wire("t", 1), wire("", 1)]
    );
    // A server that takes none on the next connection gets none.
    h.client.handle_transport_closed(h.now);
    h.connect_with(connack(None, None));
    h.sent();
    assert_eq!(
        publish_all(&mut h, &["t", "t"]),
        [("t".to_owned(), None), ("t".to_owned(), None)]
    );
}

#[test]
fn no_aliases_when_turned_off_or_before_mqtt_5() {
    let mut config = v5();
    config.auto_topic_alias = false;
    let mut h = connected(config, 10);
    assert_eq!(
        publish_all(&mut h, &["t", "t"]),
        [("t".to_owned(), None), ("t".to_owned(), None)]
    );
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    h.sent();
    assert_eq!(
        publish_all(&mut h, &["t", "t"]),
        [("t".to_owned(), None), ("t".to_owned(), None)]
    );
}

#[test]
fn a_message_the_alias_would_take_past_the_maximum_packet_size_goes_in_full() {
    // "t" with payload "x": 7 bytes in full with no properties, 10 with the alias.
    let mut h = Harness::new(v5());
    h.connect_with(connack(Some(5), Some(9)));
    h.sent();
    assert_eq!(
        publish_all(&mut h, &["t", "t"]),
        [("t".to_owned(), None), ("t".to_owned(), None)]
    );
}

#[test]
fn the_applications_own_aliases_go_as_given_and_win_over_the_sessions() {
    let mut h = connected(v5(), 2);
    let mut own = message("mine");
    own.properties.topic_alias = NonZeroU16::new(1);
    h.client.publish(message("auto")).unwrap();
    h.client.publish(own).unwrap();
    h.client.publish(message("auto")).unwrap();
    let sent = on_the_wire(&mut h);
    // The application took alias 1 for its own topic: the session's topic goes in full again.
    assert_eq!(sent, [wire("auto", 1), wire("mine", 1), wire("auto", 2)]);
}

#[test]
fn large_payloads_go_by_reference_under_their_alias() {
    let mut h = connected(v5(), 3);
    let payload = bytes::Bytes::from(vec![7; 64 * 1024]);
    for _ in 0..2 {
        let m = Message::new(
            TopicName::new("big").unwrap(),
            QoS::AtLeastOnce,
            payload.clone(),
        );
        h.client.publish(m).unwrap();
    }
    let sent = h.sent();
    let [Packet::Publish(first), Packet::Publish(second)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!((first.topic(), second.topic()), ("big", ""));
    assert_eq!(second.properties.topic_alias, NonZeroU16::new(1));
    assert_eq!(second.payload(), &payload[..]);
}

/// What the application does in one step of the mixed run.
#[derive(Clone, Debug)]
enum Step {
    /// Publish to topic number `n` at a QoS, with an alias of its own (0: none).
    Publish { n: u8, qos: u8, own_alias: u16 },
    /// The connection ends; a new one opens.
    Reconnect,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => (0..8u8, 0..3u8, prop_oneof![6 => Just(0u16), 1 => 1..=3u16])
            .prop_map(|(n, qos, own_alias)| Step::Publish { n, qos, own_alias }),
        1 => Just(Step::Reconnect),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Against the fake broker, which resolves aliases and refuses any it does not know or
    /// above its maximum: every message arrives under the topic it was published to.
    #[test]
    fn every_message_arrives_under_its_topic(steps in proptest::collection::vec(step(), 1..60), maximum in 1..=4u16) {
        let mut broker = BrokerConfig::new();
        broker.connack_properties.topic_alias_maximum = Some(maximum);
        let config = Config::new(MqttString::from_static("aliases")).with_version(ProtocolVersion::V5);
        let mut world = common::pair::Pair::new(config, broker, LinkConfig::new(Duration::from_millis(1)), LinkConfig::new(Duration::from_millis(1)));
        let all = mqtt_proto::Subscription::new(mqtt_proto::TopicFilter::new("topic/#").unwrap(), QoS::AtLeastOnce);
        world.client.subscribe(vec![all], mqtt_proto::SubscribeProperties::default()).unwrap();
        world.run_until(Duration::from_millis(10));
        let mut published = Vec::new();
        for step in steps {
            match step {
                Step::Publish { n, qos, own_alias } => {
                    let topic = format!("topic/{n}");
                    let qos = QoS::try_from(qos).unwrap();
                    let mut m = Message::new(TopicName::new(topic.clone()).unwrap(), qos, format!("{}", published.len()));
                    if own_alias > 0 && own_alias <= maximum {
                        m.properties.topic_alias = NonZeroU16::new(own_alias);
                    }
                    world.client.publish(m).unwrap();
                    published.push(topic);
                }
                Step::Reconnect => {
                    world.run_until(world.now + Duration::from_millis(10));
                    world.reconnect();
                }
            }
            world.run_until(world.now + Duration::from_millis(3));
        }
        world.run_until(world.now + Duration::from_millis(50));
        prop_assert!(world.broker.violations().is_empty(), "{:?}", world.broker.violations());
        // The broker routes each message back under the topic it resolved (QoS 0 may be lost
        // across a reconnect): the one it was published to.
        let mut delivered = 0;
        for (_, event) in &world.events {
            if let mqtt_sansio::Event::Message(p) = event {
                let index: usize = std::str::from_utf8(p.payload()).unwrap().parse().unwrap();
                prop_assert_eq!(p.topic(), published[index].as_str());
                delivered += 1;
            }
        }
        prop_assert!(published.is_empty() || delivered > 0);
    }
}
