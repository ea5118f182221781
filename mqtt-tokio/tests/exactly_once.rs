//! Connections cut in the middle of QoS 1 and 2 exchanges, on both sides, with persistent
//! sessions: every message arrives, and at QoS 2 exactly once, with no exception.
//!
//! Mosquitto 2.0.11, whose write of a PUBREL fails on a broken connection, may later send the
//! PUBLISH again (with DUP) instead of the PUBREL, after the client completed that exchange:
//! the duplicate guard (`Config::duplicate_guard`) holds such a message back.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use core::time::Duration;

use bytes::Bytes;
use common::proxy::Proxy;
use common::{Mosquitto, within};
use mqtt_proto::{QoS, TopicName};
use mqtt_sansio::{Backoff, Message};
use mqtt_tokio::{Client, ConnectionEvent, Events, Messages, Options, connect};

const ROUNDS: u32 = 10;
const BATCH: u32 = 30;
const COUNT: u32 = ROUNDS * BATCH;

async fn persistent(url: &str, id: &str) -> (Client, Messages, Events) {
    let mut options = Options::new(url, id).unwrap();
    options.config.clean_start = false;
    options.policy.backoff = Backoff::new(Duration::from_millis(5), 2, Duration::from_millis(40));
    within("connect", connect(options)).await.unwrap()
}

async fn survives_cuts(qos: QoS) {
    let broker = Mosquitto::with_config("log_type all\nlog_dest stderr");
    // Shared with the sending task, and alive until both clients are done: dropped, it would
    // stop accepting the reconnection of a client slower than the publisher's last flush.
    let proxy = Arc::new(Proxy::start(broker.port).await);
    let prefix = format!("cut-{}", qos as u8);
    let (subscriber, mut messages, mut sub_events) =
        persistent(&proxy.url(), &format!("{prefix}-sub")).await;
    within("subscribe", subscriber.subscribe("cut/#", qos))
        .await
        .unwrap();
    let (publisher, _, mut pub_events) = persistent(&proxy.url(), &format!("{prefix}-pub")).await;

    let topic = TopicName::new("cut/numbers").unwrap();
    // Ten rounds: queue a batch, let part of it go out, cut both clients' connections while
    // the rest is in flight.
    let sending = tokio::spawn({
        let publisher = publisher.clone();
        let proxy = proxy.clone();
        async move {
            for round in 0..ROUNDS {
                for n in round * BATCH..(round + 1) * BATCH {
                    let payload = Bytes::copy_from_slice(&n.to_be_bytes());
                    publisher
                        .send(Message::new(topic.clone(), qos, payload))
                        .await
                        .unwrap();
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
                proxy.cut();
            }
            publisher.flush().await
        }
    });
    // Each number, with the packet identifier of each delivery.
    let mut seen: BTreeMap<u32, Vec<u16>> = BTreeMap::new();
    let record = |seen: &mut BTreeMap<u32, Vec<u16>>, message: mqtt_proto::Publish| {
        let n = u32::from_be_bytes(message.payload().try_into().unwrap());
        let id = message
            .qos_pid
            .packet_id()
            .map_or(0, mqtt_proto::PacketId::get);
        seen.entry(n).or_default().push(id);
    };
    while seen.len() < COUNT as usize {
        let Ok(message) = tokio::time::timeout(Duration::from_secs(15), messages.recv()).await
        else {
            let missing: Vec<u32> = (0..COUNT).filter(|n| !seen.contains_key(n)).collect();
            let log = std::fs::read_to_string(broker.dir().join("mosquitto.log")).unwrap();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!(
                "timed out: missing {missing:?}\nsubscriber: {:?}\npublisher: {:?}\nthe broker's log ends with:\n{}",
                drain(&mut sub_events),
                drain(&mut pub_events),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
            );
        };
        record(&mut seen, message.unwrap().into_inner());
    }
    within("every acknowledgement", sending)
        .await
        .unwrap()
        .unwrap();
    // Anything sent again after the last cut has arrived by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Some(message) = messages.try_recv() {
        record(&mut seen, message.into_inner());
    }

    assert_eq!(seen.len(), COUNT as usize, "every message arrived");
    if qos == QoS::ExactlyOnce {
        let twice: Vec<_> = seen.iter().filter(|(_, ids)| ids.len() > 1).collect();
        assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    }
    for (who, events) in [
        ("subscriber", &mut sub_events),
        ("publisher", &mut pub_events),
    ] {
        let events = drain(events);
        let cuts = events
            .iter()
            .filter(|event| matches!(event, ConnectionEvent::Disconnected(_)))
            .count();
        assert!(cuts >= 3, "the {who}'s connection was cut {cuts} times");
    }
    within("disconnect", subscriber.disconnect()).await.unwrap();
    within("disconnect", publisher.disconnect()).await.unwrap();
}

fn drain(events: &mut Events) -> Vec<ConnectionEvent> {
    std::iter::from_fn(|| events.try_recv().map(mqtt_tokio::Numbered::into_inner)).collect()
}

#[tokio::test]
async fn qos1_loses_nothing_across_cuts() {
    survives_cuts(QoS::AtLeastOnce).await;
}

#[tokio::test]
async fn qos2_loses_nothing_and_duplicates_nothing_across_cuts() {
    survives_cuts(QoS::ExactlyOnce).await;
}
