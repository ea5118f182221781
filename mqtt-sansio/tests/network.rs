//! The client, the fake broker and a simulated network on one virtual clock: latency, seeded
//! chunking and a cut link. The driver loop here is what an adapter does with a socket.

mod common;

use core::time::Duration;

use common::pair::Pair;
use mqtt_proto::{MqttString, ProtocolVersion, QoS, ReasonCode, TopicName};
use mqtt_sansio::{Config, DisconnectReason, Event, Message};
use mqtt_test::{BrokerConfig, LinkConfig};

/// Links of 40 ms each way that cut the bytes into seeded chunks of at most 7 (up) and 5
/// (down) bytes.
fn net(seed: u64) -> Pair {
    let latency = Duration::from_millis(40);
    let config = Config::new(MqttString::new("net").unwrap())
        .with_version(ProtocolVersion::V5)
        .with_clean_start(false)
        .with_session_expiry(Duration::from_secs(600))
        .with_keep_alive(Duration::from_secs(10));
    Pair::new(
        config,
        BrokerConfig::new(),
        LinkConfig::new(latency).with_seed(seed).with_max_chunk(7),
        LinkConfig::new(latency)
            .with_seed(seed + 1)
            .with_max_chunk(5),
    )
}

#[test]
fn messages_cross_a_slow_chunked_link() {
    for seed in 0..20 {
        let mut net = net(seed);
        net.run_until(Duration::from_secs(1));
        assert!(net.client.is_connected(), "seed {seed}");
        let mut ids = Vec::new();
        for n in 0..5u8 {
            let qos = [QoS::AtLeastOnce, QoS::ExactlyOnce][usize::from(n % 2)];
            let m = Message::new(TopicName::new("t").unwrap(), qos, vec![n; 100]);
            ids.push(net.client.publish(m).unwrap().unwrap());
        }
        net.run_until(Duration::from_secs(2));
        let mut done: Vec<_> = net
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Published {
                    packet_id,
                    reason_code,
                    ..
                } if reason_code.is_success() => Some(*packet_id),
                _ => None,
            })
            .collect();
        // QoS 2 takes one more round trip than QoS 1: completion order differs from send order.
        done.sort_unstable();
        assert_eq!(done, ids, "seed {seed}: every message acknowledged once");
    }
}

/// A cut link: the client sends PINGREQ after the keep alive, gets no PINGRESP and gives up at
/// the ping deadline; reconnecting with the session completes what was in flight.
#[test]
fn a_cut_link_is_detected_and_the_session_resumes() {
    let mut net = net(7);
    net.run_until(Duration::from_secs(1));
    let id = net
        .client
        .publish(Message::new(
            TopicName::new("t").unwrap(),
            QoS::ExactlyOnce,
            "x",
        ))
        .unwrap()
        .unwrap();
    net.up.cut();
    net.down.cut();
    net.run_until(Duration::from_secs(40));
    let (at, reason) = net
        .events
        .iter()
        .find_map(|(at, e)| match e {
            Event::Disconnected(reason) => Some((*at, reason.clone())),
            _ => None,
        })
        .expect("the dead link is detected");
    assert_eq!(reason, DisconnectReason::KeepAliveTimeout);
    // PUBLISH at 1 s, PINGREQ 10 s later, PINGRESP due within min(10 s, keep alive).
    assert_eq!(at, Duration::from_secs(21));
    assert!(
        !net.events
            .iter()
            .any(|(_, e)| matches!(e, Event::Published { .. }))
    );

    net.reconnect();
    net.run_until(Duration::from_secs(42));
    assert!(net.events.iter().any(|(_, e)| matches!(
        e,
        Event::Published { packet_id, reason_code, .. } if *packet_id == id && *reason_code == ReasonCode::SUCCESS
    )));
    assert_eq!(net.client.inflight(), 0);
}
