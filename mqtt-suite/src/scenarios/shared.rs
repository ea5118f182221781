//! Shared subscriptions: work spread over several consumers, each message to exactly one.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mqtt_proto::{ProtocolVersion, QoS, TopicName};
use mqtt_sansio::Message;

use super::{WAIT, connected, options};
use crate::{Adapter, Connection, Mosquitto};

/// Three consumers share `$share/workers/jobs` on Mosquitto, in MQTT 5.0 and in 3.1.1 (which
/// Mosquitto extends with shared subscriptions); 600 messages at QoS 1 and 2: together they
/// receive each exactly once, and each consumer gets a share.
pub fn shared_subscribers_split_the_work<A: Adapter>() {
    const COUNT: u16 = 600;
    const CONSUMERS: usize = 3;
    let broker = Mosquitto::start();
    for version in [ProtocolVersion::V5, ProtocolVersion::V3_1_1] {
        let level = version.level();
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|n| {
                let mut o = options(&broker.url(), &format!("worker-{level}-{n}"));
                o.config.version = version;
                let consumer = connected::<A>(o);
                let filter = format!("$share/workers/jobs/{level}");
                assert_eq!(
                    consumer.subscribe(&filter, QoS::ExactlyOnce).unwrap(),
                    QoS::ExactlyOnce
                );
                consumer
            })
            .collect();
        let mut o = options(&broker.url(), &format!("dispatcher-{level}"));
        o.config.version = version;
        let dispatcher = connected::<A>(o);
        let topic = TopicName::new(format!("jobs/{level}")).unwrap();
        for n in 0..COUNT {
            let qos = if n % 2 == 0 {
                QoS::AtLeastOnce
            } else {
                QoS::ExactlyOnce
            };
            dispatcher
                .send(Message::new(topic.clone(), qos, n.to_be_bytes().to_vec()))
                .unwrap();
        }
        dispatcher.flush().unwrap();

        // Who got what: every number once, none twice.
        let mut seen: BTreeMap<u16, usize> = BTreeMap::new();
        let mut shares = [0_usize; CONSUMERS];
        let deadline = Instant::now() + WAIT;
        while seen.len() < usize::from(COUNT) && Instant::now() < deadline {
            for (who, consumer) in consumers.iter().enumerate() {
                while let Some(message) = consumer.next_message(Duration::from_millis(20)) {
                    let n = u16::from_be_bytes(message.payload().try_into().unwrap());
                    if let Some(first) = seen.insert(n, who) {
                        panic!("message {n} reached consumer {first} and then {who} ({version})");
                    }
                    shares[who] += 1;
                }
            }
        }
        // Nothing more comes late.
        for consumer in &consumers {
            if let Some(extra) = consumer.next_message(Duration::from_millis(100)) {
                panic!("a message more: {extra:?}");
            }
        }
        let missing: Vec<u16> = (0..COUNT).filter(|n| !seen.contains_key(n)).collect();
        assert!(missing.is_empty(), "{version}: missing {missing:?}");
        assert!(
            shares.iter().all(|&s| s > 0),
            "{version}: every consumer takes a share: {shares:?}"
        );
        dispatcher.disconnect().unwrap();
        for consumer in consumers {
            consumer.disconnect().unwrap();
        }
    }
}
