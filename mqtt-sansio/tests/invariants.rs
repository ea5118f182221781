//! Random commands, broker behaviour and time against the invariants: no live packet identifier is
//! reused, the window is never exceeded, nothing panics, and every transmitted frame decodes.

use std::collections::BTreeSet;

use core::time::Duration;

use bytes::BytesMut;
use mqtt_proto::{
    Limits, MqttString, Packet, PacketId, ProtocolVersion, Publish, QoS, QosPid,
    SubscribeProperties, Subscription, TopicFilter, TopicName, UnsubscribeProperties,
};
use mqtt_sansio::{Client, CommandId, Config, Event, Instant, Message};
use mqtt_test::{BrokerConfig, FakeBroker};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Publish { qos: u8, topic: u8, len: u16 },
    Subscribe { filter: u8, qos: u8 },
    Unsubscribe { filter: u8 },
    BrokerPublish { qos: u8, topic: u8 },
    HoldAcks(bool),
    ReleaseAcks { reversed: bool },
    Advance { ms: u32 },
    Reconnect { keep_session: bool },
    Garbage(Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..3, 0u8..4, 0u16..200).prop_map(|(qos, topic, len)| Op::Publish { qos, topic, len }),
        2 => (0u8..4, 0u8..3).prop_map(|(filter, qos)| Op::Subscribe { filter, qos }),
        1 => (0u8..4).prop_map(|filter| Op::Unsubscribe { filter }),
        3 => (0u8..3, 0u8..4).prop_map(|(qos, topic)| Op::BrokerPublish { qos, topic }),
        2 => any::<bool>().prop_map(Op::HoldAcks),
        2 => any::<bool>().prop_map(|reversed| Op::ReleaseAcks { reversed }),
        3 => (0u32..90_000).prop_map(|ms| Op::Advance { ms }),
        1 => any::<bool>().prop_map(|keep_session| Op::Reconnect { keep_session }),
        1 => proptest::collection::vec(any::<u8>(), 1..8).prop_map(Op::Garbage),
    ]
}

const TOPICS: [&str; 4] = ["a", "a/b", "c/d/e", "sensors/1"];
const FILTERS: [&str; 4] = ["a", "a/#", "+/d/+", "#"];

struct World {
    client: Client,
    broker: FakeBroker,
    version: ProtocolVersion,
    now: Instant,
    /// Identifiers the client returned whose exchange has not ended.
    live: BTreeSet<u16>,
    window: usize,
}

impl World {
    fn new(version: ProtocolVersion, window: u16) -> Self {
        let config = Config::new(MqttString::new("inv").unwrap())
            .with_version(version)
            .with_clean_start(false)
            .with_session_expiry(Duration::from_secs(3600))
            .with_max_inflight(window)
            .with_max_pending(64)
            .with_keep_alive(Duration::from_secs(30));
        let mut world = Self {
            client: Client::new(config),
            broker: FakeBroker::new(BrokerConfig::new()),
            version,
            now: Instant::ZERO,
            live: BTreeSet::new(),
            window: usize::from(window),
        };
        world.client.handle_transport_open(world.now);
        world.pump();
        world
    }

    fn take_id(&mut self, id: Option<PacketId>) {
        if let Some(id) = id {
            assert!(
                self.live.insert(id.get()),
                "identifier {id} reused while live"
            );
        }
    }

    /// Moves bytes both ways until nothing moves, checking every frame the client sends.
    fn pump(&mut self) {
        for _ in 0..64 {
            let mut moved = false;
            let mut out = BytesMut::new();
            while self.client.poll_transmit(self.now, &mut out) {}
            if !out.is_empty() {
                moved = true;
                let mut frames = out.clone();
                while !frames.is_empty() {
                    let packet = Packet::decode(self.version, &mut frames, &Limits::new());
                    assert!(
                        matches!(packet, Ok(Some(_))),
                        "the client sent an invalid frame: {packet:?}"
                    );
                }
                self.broker.handle_read(&out);
            }
            if let Some(bytes) = self.broker.poll_transmit() {
                moved = true;
                self.client.handle_read(self.now, &bytes);
            }
            while let Some(event) = self.client.poll_event() {
                self.observe(&event);
            }
            assert!(self.client.inflight() <= self.window, "window exceeded");
            if !moved {
                return;
            }
        }
    }

    fn observe(&mut self, event: &Event) {
        match event {
            Event::Published { packet_id, .. } | Event::Unsubscribed { packet_id, .. } => {
                self.live.remove(&packet_id.get());
            }
            Event::Subscribed { packet_id, .. } => {
                // Resubscriptions after a session loss use identifiers of their own.
                self.live.remove(&packet_id.get());
            }
            Event::SessionReset(reset) => {
                // Messages sent again as new messages take new identifiers.
                for r in &reset.requeued {
                    assert!(self.live.remove(&r.before.get()), "{r:?} was live");
                }
                for r in &reset.requeued {
                    assert!(self.live.insert(r.after.get()), "{r:?} is fresh");
                }
            }
            Event::Failed {
                command:
                    CommandId::Publish(id) | CommandId::Subscribe(id) | CommandId::Unsubscribe(id),
                ..
            } => {
                self.live.remove(&id.get());
            }
            Event::Disconnected(_) => {
                // The driver closes the transport and the broker sees it.
                self.client.handle_transport_closed(self.now);
                self.broker.connection_closed();
            }
            _ => {}
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Publish { qos, topic, len } => {
                let qos = QoS::try_from(qos).unwrap();
                let message = Message::new(
                    TopicName::from_static(TOPICS[usize::from(topic)]),
                    qos,
                    vec![7u8; usize::from(len)],
                );
                if let Ok(id) = self.client.publish(message) {
                    self.take_id(id);
                }
            }
            Op::Subscribe { filter, qos } => {
                let sub = Subscription::new(
                    TopicFilter::from_static(FILTERS[usize::from(filter)]),
                    QoS::try_from(qos).unwrap(),
                );
                if let Ok(id) = self
                    .client
                    .subscribe(vec![sub], SubscribeProperties::default())
                {
                    self.take_id(Some(id));
                }
            }
            Op::Unsubscribe { filter } => {
                let filter = TopicFilter::from_static(FILTERS[usize::from(filter)]);
                if let Ok(id) = self
                    .client
                    .unsubscribe(vec![filter], UnsubscribeProperties::default())
                {
                    self.take_id(Some(id));
                }
            }
            Op::BrokerPublish { qos, topic } => {
                if self.broker.is_connected() {
                    let qos = QoS::try_from(qos).unwrap();
                    let publish = Publish::new(
                        TopicName::from_static(TOPICS[usize::from(topic)]),
                        QosPid::new(qos, PacketId::MIN),
                        "from-broker",
                    );
                    self.broker.publish_to_client(publish);
                }
            }
            Op::HoldAcks(hold) => self.broker.hold_acks(hold),
            Op::ReleaseAcks { reversed } => {
                if reversed {
                    self.broker.release_acks_reversed();
                } else {
                    self.broker.release_acks();
                }
            }
            Op::Advance { ms } => {
                self.now = self.now + Duration::from_millis(u64::from(ms));
                self.client.handle_timeout(self.now);
            }
            Op::Reconnect { keep_session } => {
                self.client.handle_transport_closed(self.now);
                self.broker.connection_closed();
                while let Some(event) = self.client.poll_event() {
                    self.observe(&event);
                }
                if !keep_session {
                    self.broker.expire_session("inv");
                }
                self.broker.new_connection();
                self.client.handle_transport_open(self.now);
            }
            Op::Garbage(bytes) => self.client.handle_read(self.now, &bytes),
        }
        self.pump();
        if !self.client.is_connected() && self.broker.is_closed() {
            // Reconnect after whatever ended the connection.
            self.broker.new_connection();
            self.client.handle_transport_open(self.now);
            self.pump();
        }
        assert!(
            self.client.packet_ids_in_use() as usize >= self.live.len(),
            "every live identifier is held"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn invariants_hold_v3_1_1(window in 1u16..5, ops in proptest::collection::vec(op(), 1..60)) {
        let mut world = World::new(ProtocolVersion::V3_1_1, window);
        for op in ops {
            world.apply(op);
        }
    }

    #[test]
    fn invariants_hold_v5(window in 1u16..5, ops in proptest::collection::vec(op(), 1..60)) {
        let mut world = World::new(ProtocolVersion::V5, window);
        for op in ops {
            world.apply(op);
        }
    }
}

/// The world above does move messages: a QoS 1 and a QoS 2 publish complete, a subscription
/// routes the client's own message back to it.
#[test]
fn the_world_moves_messages() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut world = World::new(version, 2);
        assert!(world.client.is_connected());
        world.apply(Op::Subscribe { filter: 3, qos: 2 });
        world.apply(Op::Publish {
            qos: 1,
            topic: 1,
            len: 3,
        });
        world.apply(Op::Publish {
            qos: 2,
            topic: 2,
            len: 3,
        });
        assert!(
            world.live.is_empty(),
            "all exchanges ended: {:?}",
            world.live
        );
        let received = world.broker.received().len();
        assert!(
            received >= 6,
            "SUBSCRIBE, 2 PUBLISH, PUBREL, acks of routed messages: {received}"
        );
    }
}
