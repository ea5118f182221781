//! Sessions that survive the process: a client opened again on its session store resumes
//! what the one before it left.

use std::collections::BTreeSet;
use std::time::Instant;

use mqtt_driver::StoreOptions;
use mqtt_driver::store::{Durability, FileStore, Store};
use mqtt_proto::{ProtocolVersion, QoS, TopicName};
use mqtt_sansio::{ConnectionEvent, Message};

use super::{WAIT, connected, options};
use crate::{Adapter, Connection, Mosquitto};

/// How many messages the first process leaves behind.
const COUNT: u16 = 50;

/// A publisher accepts 50 QoS 1 and 2 messages while the broker is down, and its process ends
/// (`abort`, as a crash would: nothing is sent or kept after it). A new client on the same
/// session store says what it restored, sends every message once the broker is back, and
/// reports each one's acknowledgement as an event, nobody waiting for it any more; a
/// subscriber gets each message once; the store ends empty.
pub fn a_restarted_client_resumes_from_its_store<A: Adapter>() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut broker = Mosquitto::persistent();
        let level = version.level();
        let topic = format!("suite/store/{level}");
        let mut o = options(&broker.url(), &format!("store-sub-{level}"));
        o.config.clean_start = false;
        o.config.version = version;
        o.config.session_expiry_interval = Some(600);
        let subscriber = connected::<A>(o);
        assert_eq!(
            subscriber.subscribe(&topic, QoS::ExactlyOnce).unwrap(),
            QoS::ExactlyOnce
        );

        let path = broker.dir().join(format!("publisher-{level}.session"));
        let mut o = options(&broker.url(), &format!("store-pub-{level}"));
        o.config.clean_start = false;
        o.config.version = version;
        o.config.session_expiry_interval = Some(600);
        o.store = Some(StoreOptions::file(&path).with_durability(Durability::Batched));
        let publisher = connected::<A>(o.clone());
        broker.stop();
        let name = TopicName::new(topic.as_str()).unwrap();
        for n in 0..COUNT {
            let qos = if n % 2 == 0 {
                QoS::AtLeastOnce
            } else {
                QoS::ExactlyOnce
            };
            let message = Message::new(name.clone(), qos, n.to_be_bytes().to_vec());
            publisher.send(message).unwrap();
        }
        // Every message waits in the session, kept: the figures are published after the
        // changes of the turn that took them were committed.
        let deadline = Instant::now() + WAIT;
        while publisher.stats().pending + publisher.stats().inflight_out < usize::from(COUNT) {
            assert!(Instant::now() < deadline, "{:?}", publisher.stats());
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        publisher.abort().unwrap();
        drop(publisher);
        let mut kept = FileStore::open(&path, Durability::Batched).unwrap();
        assert_eq!(kept.load().unwrap().messages.len(), usize::from(COUNT));
        drop(kept);

        broker.start_again();
        let restarted = A::connect(o).expect("the restarted client connects");
        let mut events = Vec::new();
        let mut acknowledged = BTreeSet::new();
        let deadline = Instant::now() + WAIT;
        while acknowledged.len() < usize::from(COUNT) && Instant::now() < deadline {
            match restarted.next_event(WAIT) {
                Some(ConnectionEvent::RestoredPublished { packet_id, result }) => {
                    assert!(result.is_ok(), "{packet_id}: {result:?}");
                    assert!(acknowledged.insert(packet_id), "{packet_id} twice");
                }
                Some(event) => events.push(event),
                None => break,
            }
        }
        assert_eq!(
            events.first(),
            Some(&ConnectionEvent::SessionRestored {
                messages: usize::from(COUNT),
                released: 0,
                inbound: 0,
            }),
            "{events:?}"
        );
        assert_eq!(acknowledged.len(), usize::from(COUNT), "{events:?}");

        let mut received = BTreeSet::new();
        while received.len() < usize::from(COUNT) {
            let message = subscriber
                .next_message(WAIT)
                .expect("every message arrives");
            let n = u16::from_be_bytes(message.payload().try_into().unwrap());
            assert!(received.insert(n), "message {n} twice");
            assert_eq!(
                message.qos(),
                if n % 2 == 0 {
                    QoS::AtLeastOnce
                } else {
                    QoS::ExactlyOnce
                }
            );
        }
        assert!(
            subscriber
                .next_message(std::time::Duration::from_millis(200))
                .is_none()
        );
        restarted.disconnect().unwrap();
        subscriber.disconnect().unwrap();
        let mut kept = FileStore::open(&path, Durability::Batched).unwrap();
        assert!(kept.load().unwrap().is_empty(), "{version:?}");
    }
}
