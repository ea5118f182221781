//! The scenarios, each generic over the adapter under test; every wait is bounded.

use std::time::{Duration, Instant};

use mqtt_driver::{Error, Options, Roots, TlsOptions};
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_sansio::{Backoff, ConnectionEvent, DisconnectReason, Message};

use crate::{Adapter, Connection, Mosquitto};

/// How long any single wait may take.
const WAIT: Duration = Duration::from_secs(15);

fn options(url: &str, id: &str) -> Options {
    let mut options = Options::new(url, id).unwrap();
    options.policy.backoff = Backoff::new(Duration::from_millis(50), 2, Duration::from_millis(400));
    options
}

fn connected<A: Adapter>(options: Options) -> A::Connection {
    let connection = A::connect(options).expect("connected");
    let event = connection.next_event(WAIT);
    assert!(
        matches!(event, Some(ConnectionEvent::Connected { .. })),
        "{event:?}"
    );
    connection
}

pub fn qos_round_trips<A: Adapter>() {
    let broker = Mosquitto::start();
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut o = options(&broker.url(), &format!("round-trip-{}", version.level()));
        o.config.version = version;
        let client = connected::<A>(o);
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let topic = format!("suite/{}/{}", version.level(), qos as u8);
            assert_eq!(client.subscribe(&topic, qos).unwrap(), qos);
            client.publish(&topic, qos, false, b"hello").unwrap();
            let message = client.next_message(WAIT).expect("the message comes back");
            assert_eq!(message.topic(), topic);
            assert_eq!(message.payload(), b"hello");
            assert_eq!(message.qos(), qos);
        }
        client.disconnect().unwrap();
    }
}

pub fn persistent_session_collects_offline_messages<A: Adapter>() {
    let broker = Mosquitto::start();
    let mut o = options(&broker.url(), "suite-persistent");
    o.config.clean_start = false;
    let subscriber = connected::<A>(o.clone());
    subscriber
        .subscribe("suite/offline", QoS::AtLeastOnce)
        .unwrap();
    subscriber.disconnect().unwrap();

    let publisher = connected::<A>(options(&broker.url(), "suite-publisher"));
    for n in 0..3_u8 {
        publisher
            .publish("suite/offline", QoS::AtLeastOnce, false, &[n])
            .unwrap();
    }
    publisher.disconnect().unwrap();

    let subscriber = A::connect(o).unwrap();
    assert!(matches!(
        subscriber.next_event(WAIT),
        Some(ConnectionEvent::Connected {
            session_present: true,
            ..
        })
    ));
    for n in 0..3_u8 {
        let message = subscriber.next_message(WAIT).expect("an offline message");
        assert_eq!(message.payload(), [n]);
    }
    subscriber.disconnect().unwrap();
}

/// A broker restarted (SIGTERM, started again on its persistence file) while a publisher has
/// QoS 1 messages in flight and a subscriber with a persistent session takes them: every
/// message `send` took is acknowledged after the restart, and the subscriber gets every one.
pub fn broker_restart_loses_no_qos1_message<A: Adapter>() {
    const COUNT: u16 = 2000;
    let mut broker = Mosquitto::persistent();
    let mut o = options(&broker.url(), "suite-restart-sub");
    o.config.clean_start = false;
    let subscriber = connected::<A>(o);
    subscriber
        .subscribe("suite/restart", QoS::AtLeastOnce)
        .unwrap();
    let mut o = options(&broker.url(), "suite-restart-pub");
    o.config.clean_start = false;
    let publisher = connected::<A>(o);
    let topic = mqtt_proto::TopicName::new("suite/restart").unwrap();
    let sending = std::thread::spawn(move || {
        for n in 0..COUNT {
            let message = Message::new(topic.clone(), QoS::AtLeastOnce, n.to_be_bytes().to_vec());
            publisher.send(message).unwrap();
        }
        let flushed = publisher.flush();
        (publisher, flushed)
    });
    // Restart while the messages flow.
    let mut received = std::collections::BTreeSet::new();
    while received.len() < usize::from(COUNT / 4) {
        let message = subscriber.next_message(WAIT).expect("messages flow");
        received.insert(u16::from_be_bytes(message.payload().try_into().unwrap()));
    }
    broker.stop();
    broker.start_again();
    let (publisher, flushed) = sending.join().unwrap();
    flushed.expect("every message acknowledged");
    while received.len() < usize::from(COUNT) {
        let Some(message) = subscriber.next_message(WAIT) else {
            let missing: Vec<u16> = (0..COUNT).filter(|n| !received.contains(n)).collect();
            panic!("lost: {missing:?}");
        };
        received.insert(u16::from_be_bytes(message.payload().try_into().unwrap()));
    }
    let mut disconnected = false;
    while let Some(event) = publisher.next_event(Duration::from_millis(10)) {
        disconnected |= matches!(event, ConnectionEvent::Disconnected(_));
    }
    assert!(disconnected, "the restart cut the publisher's connection");
    publisher.disconnect().unwrap();
    subscriber.disconnect().unwrap();
}

pub fn keepalive_detects_a_frozen_broker<A: Adapter>() {
    let broker = Mosquitto::start();
    let mut o = options(&broker.url(), "suite-keepalive");
    o.config.keep_alive = Duration::from_secs(1);
    o.policy.reconnect = false;
    let client = connected::<A>(o);
    broker.pause();
    let start = Instant::now();
    let event = client.next_event(WAIT);
    broker.resume();
    assert_eq!(
        event,
        Some(ConnectionEvent::Disconnected(
            DisconnectReason::KeepAliveTimeout
        ))
    );
    // A PINGREQ after 1 s of silence, then 1 s for its PINGRESP.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

pub fn tls_round_trip_and_untrusted_server<A: Adapter>() {
    let broker = Mosquitto::with_tls();
    let url = format!("mqtts://localhost:{}", broker.port);
    let mut o = options(&url, "suite-tls");
    o.tls = TlsOptions::new().with_roots(Roots::CaFile(broker.ca_path()));
    let client = connected::<A>(o);
    client.subscribe("suite/tls", QoS::AtLeastOnce).unwrap();
    client
        .publish("suite/tls", QoS::AtLeastOnce, false, b"secret")
        .unwrap();
    assert_eq!(client.next_message(WAIT).unwrap().payload(), b"secret");
    client.disconnect().unwrap();

    // A CA that did not sign the server's certificate.
    let other = crate::Pki::new("another CA");
    let path = broker.dir().join("other-ca.pem");
    std::fs::write(&path, other.ca_pem()).unwrap();
    let mut o = options(&url, "suite-untrusted");
    o.tls = TlsOptions::new().with_roots(Roots::CaFile(path));
    match A::connect(o) {
        Err(Error::Tls(_)) => {}
        Err(e) => panic!("not a TLS error: {e}"),
        Ok(_) => panic!("connected to an untrusted server"),
    }
}

/// A consumer with a message stream of `capacity` and a keep-alive of `keep_alive`, subscribed
/// to `topic` at QoS 1, and a producer that has published `count` messages there, their
/// payloads numbered from 0: what the consumer has not taken waits in its stream, in the
/// client, or in the broker.
fn backlog<A: Adapter>(
    broker: &Mosquitto,
    topic: &str,
    keep_alive: Duration,
    capacity: usize,
    count: u8,
) -> (A::Connection, A::Connection) {
    let name = topic.replace('/', "-");
    let mut o = options(&broker.url(), &format!("{name}-consumer"));
    o.config.keep_alive = keep_alive;
    o.message_capacity = capacity;
    let consumer = connected::<A>(o);
    consumer.subscribe(topic, QoS::AtLeastOnce).unwrap();
    let producer = connected::<A>(options(&broker.url(), &format!("{name}-producer")));
    for n in 0..count {
        producer
            .publish(topic, QoS::AtLeastOnce, false, &[n])
            .unwrap();
    }
    (consumer, producer)
}

pub fn slow_consumer_loses_nothing<A: Adapter>() {
    let broker = Mosquitto::start();
    let (consumer, producer) = backlog::<A>(&broker, "suite/slow", Duration::from_secs(1), 2, 100);
    // Nobody reads for three keepalive intervals.
    std::thread::sleep(Duration::from_secs(3));
    for n in 0..100_u8 {
        let message = consumer.next_message(WAIT).expect("every message");
        assert_eq!(message.payload(), [n]);
    }
    assert!(
        consumer.next_event(Duration::from_millis(10)).is_none(),
        "no disconnection while the consumer was slow"
    );
    consumer.disconnect().unwrap();
    producer.disconnect().unwrap();
}

/// A consumer that takes the messages of a full stream one at a time: the client hands over
/// what it held back as room is made (in batches of half the stream), without waiting for a
/// timer to look again, in order, none lost.
pub fn a_full_stream_refills_as_it_is_taken<A: Adapter>() {
    let broker = Mosquitto::start();
    // A keep-alive far beyond the test's bound: no deadline of it wakes the client meanwhile.
    let (consumer, producer) =
        backlog::<A>(&broker, "suite/refill", Duration::from_secs(120), 8, 200);
    // The stream fills up, and the client holds back what it read after.
    std::thread::sleep(Duration::from_millis(300));
    let taking = Instant::now();
    for n in 0..200_u8 {
        let message = consumer
            .next_message(Duration::from_secs(10))
            .expect("every message, with no timer to wait for");
        assert_eq!(message.payload(), [n], "in order");
    }
    assert!(
        taking.elapsed() < Duration::from_secs(10),
        "200 messages took {:?}",
        taking.elapsed()
    );
    consumer.disconnect().unwrap();
    producer.disconnect().unwrap();
}

pub fn will_on_abort<A: Adapter>() {
    let broker = Mosquitto::start();
    let watcher = connected::<A>(options(&broker.url(), "suite-watcher"));
    watcher.subscribe("suite/will", QoS::AtLeastOnce).unwrap();
    let mut o = options(&broker.url(), "suite-mortal");
    o.config.will = Some(mqtt_proto::LastWill::new(
        mqtt_proto::TopicName::new("suite/will").unwrap(),
        "gone",
    ));
    let mortal = connected::<A>(o);
    mortal.abort().unwrap();
    let will = watcher.next_message(WAIT).expect("the will");
    assert_eq!(will.payload(), b"gone");
    watcher.disconnect().unwrap();
}

mod reconnect;
pub use reconnect::{
    accepted_then_dropped_backs_off, session_taken_over_follows_the_policy,
    session_takeover_is_not_a_loop, stalled_event_consumer_learns_what_it_missed,
};

mod in_doubt;
pub use in_doubt::qos2_in_doubt_is_sent_again_after_a_session_loss;
mod control;
mod v5;
pub use control::{pause_holds_messages_until_resume, reconnect_now_skips_the_backoff};
pub use v5::{
    automatic_topic_aliases_reach_the_broker, connack_properties_and_disconnect_with_will,
};
mod figures;
pub use figures::figures_and_connection_numbers;
mod requests;
mod store;
pub use requests::{a_request_nobody_answers_times_out, requests_get_their_responses};
pub use store::a_restarted_client_resumes_from_its_store;
mod transports;
pub use transports::{
    a_dropped_tunnel_reconnects_through_the_proxy, proxies_carry_tcp_and_tls,
    proxies_that_refuse_are_typed_errors, tls_files_are_read_at_each_connection,
    unix_socket_round_trips, websocket_round_trips_and_reconnects,
};
mod fleet;
pub use fleet::{
    a_redirection_to_mosquitto_is_followed, failover_loses_no_accepted_message,
    version_fallback_reaches_3_1_1_brokers,
};
mod shared;
pub use shared::shared_subscribers_split_the_work;
