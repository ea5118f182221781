//! The client state machine in memory: publishes at QoS 0, 1 and 2, with the acknowledgements
//! either pre-encoded (the state machine alone) or answered by `mqtt-test`'s fake broker, and
//! QoS 0 with the figures (`Client::stats`) read after every message; inbound messages at QoS 0
//! and 1 (PUBLISH in, the message out, the PUBACK taken); inbound QoS 2
//! exchanges with the duplicate guard on and off; and a 100-byte topic with the session's own
//! Topic Aliases and without (MQTT 5.0), with the bytes per message.
//!
//! Run: `cargo bench -p mqtt-benches --bench client`. Before the criterion groups it prints the
//! allocations per publish, counted by a global allocator wrapper.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mqtt_proto::{
    ConnAck, MqttString, Packet, PacketId, PacketType, ProtocolVersion, PubAck, PubComp, PubRec,
    PubRel, Publish, QoS, QosPid, ReasonCode, TopicName,
};
use mqtt_sansio::{Client, Config, Instant, Message};
use mqtt_test::{BrokerConfig, FakeBroker};

#[global_allocator]
static GLOBAL: mqtt_benches::Counting = mqtt_benches::Counting;

const VERSION: ProtocolVersion = ProtocolVersion::V3_1_1;
/// Messages per measured iteration.
const BATCH: u64 = 256;

fn connected(window: u16) -> Client {
    connected_with(
        Config::new(MqttString::from_static("bench"))
            .with_version(VERSION)
            .with_max_inflight(window),
    )
}

fn connected_with(config: Config) -> Client {
    let mut client = Client::new(config);
    client.handle_transport_open(Instant::ZERO);
    let mut connack = BytesMut::new();
    Packet::ConnAck(ConnAck::new(false, ReasonCode::SUCCESS))
        .encode(VERSION, &mut connack)
        .expect("valid");
    client.handle_read(Instant::ZERO, &connack);
    let mut sink = BytesMut::new();
    while client.poll_transmit(Instant::ZERO, &mut sink) {}
    while client.poll_event().is_some() {}
    client
}

/// The topic every message goes to, validated once as an application publishing to a fixed
/// topic holds it: each message takes a reference-counted copy, as it does the payload.
fn topic() -> TopicName {
    TopicName::from_static("devices/sensor-0042/telemetry")
}

fn message(topic: &TopicName, qos: QoS, payload: &Bytes) -> Message {
    Message::new(topic.clone(), qos, payload.clone())
}

/// The acknowledgement bytes the server sends for `id` at `qos`: PUBACK, or PUBREC then PUBCOMP.
fn acks(qos: QoS, id: PacketId) -> (Bytes, Option<Bytes>) {
    let encode = |p: Packet| {
        let mut b = BytesMut::new();
        p.encode(VERSION, &mut b).expect("valid");
        b.freeze()
    };
    match qos {
        QoS::AtLeastOnce => (encode(PubAck::new(id).into()), None),
        _ => (
            encode(PubRec::new(id).into()),
            Some(encode(PubComp::new(id).into())),
        ),
    }
}

/// Acknowledgements for every packet identifier, encoded once.
fn all_acks(qos: QoS) -> Vec<(Bytes, Option<Bytes>)> {
    (1..=u16::MAX)
        .map(|id| acks(qos, PacketId::new(id).expect("non-zero")))
        .collect()
}

/// One message through the client with the server's side pre-encoded; the caller's buffer is
/// reused, as a driver's write buffer is.
fn one_message(
    client: &mut Client,
    topic: &TopicName,
    qos: QoS,
    payload: &Bytes,
    wire: &mut BytesMut,
    encoded: &[(Bytes, Option<Bytes>)],
) {
    let id = client.publish(message(topic, qos, payload)).expect("room");
    while client.poll_transmit(Instant::ZERO, wire) {}
    wire.clear();
    if let Some((first, second)) = id.and_then(|id| encoded.get(usize::from(id.get()) - 1)) {
        client.handle_read(Instant::ZERO, first);
        if let Some(second) = second {
            while client.poll_transmit(Instant::ZERO, wire) {}
            wire.clear();
            client.handle_read(Instant::ZERO, second);
        }
    }
    while let Some(e) = client.poll_event() {
        black_box(e);
    }
}

fn print_allocations() {
    let payload = Bytes::from(vec![0x5A; 64]);
    let topic = topic();
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let encoded = all_acks(qos);
        let mut client = connected(16);
        let mut wire = BytesMut::with_capacity(4096);
        // Warm up: buffers and queues reach their working size.
        for _ in 0..1000 {
            one_message(&mut client, &topic, qos, &payload, &mut wire, &encoded);
        }
        let n = 10_000;
        let before = mqtt_benches::allocations();
        for _ in 0..n {
            one_message(&mut client, &topic, qos, &payload, &mut wire, &encoded);
        }
        let total = u32::try_from(mqtt_benches::allocations() - before).unwrap_or(u32::MAX);
        let per = f64::from(total) / f64::from(n);
        println!("allocations per {qos:?} publish (client alone, 64 B payload): {per:.2}");
    }
}

fn client_alone(c: &mut Criterion) {
    print_allocations();
    let payload = Bytes::from(vec![0x5A; 64]);
    let topic = topic();
    let mut group = c.benchmark_group("client/publish-64");
    group.throughput(Throughput::Elements(BATCH));
    for (name, qos) in [
        ("qos0", QoS::AtMostOnce),
        ("qos1", QoS::AtLeastOnce),
        ("qos2", QoS::ExactlyOnce),
    ] {
        let mut client = connected(16);
        let mut wire = BytesMut::with_capacity(4096);
        let encoded = all_acks(qos);
        group.bench_function(name, |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    one_message(&mut client, &topic, qos, &payload, &mut wire, &encoded);
                }
            });
        });
    }
    // The figures read after every message, as an application watching them would.
    let mut client = connected(16);
    let mut wire = BytesMut::with_capacity(4096);
    group.bench_function("qos0+stats", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                one_message(
                    &mut client,
                    &topic,
                    QoS::AtMostOnce,
                    &payload,
                    &mut wire,
                    &[],
                );
                let stats = client.stats();
                black_box(stats.sent.packets(PacketType::Publish));
                black_box(stats.sent.bytes(PacketType::Publish));
            }
        });
    });
    group.finish();
}

/// The server's PUBLISH of a 64-byte message at `qos` (QoS 0 or 1) for each of `ids` packet
/// identifiers, encoded once.
fn inbound(qos: QoS, ids: u16) -> Vec<Bytes> {
    let payload = Bytes::from(vec![0xA5; 64]);
    let topic = TopicName::from_static("devices/sensor-0042/commands");
    (1..=ids)
        .map(|n| {
            let id = PacketId::new(n).expect("non-zero");
            let publish = Publish::new(topic.clone(), QosPid::new(qos, id), payload.clone());
            let mut b = BytesMut::new();
            Packet::from(publish)
                .encode(VERSION, &mut b)
                .expect("valid");
            b.freeze()
        })
        .collect()
}

/// One inbound message as a driver hands it over: its bytes read into the driver's buffer,
/// decoded in place, the message event drained, the PUBACK (QoS 1) taken.
fn one_received(client: &mut Client, read: &mut BytesMut, wire: &mut BytesMut, bytes: &[u8]) {
    read.extend_from_slice(bytes);
    client.handle_read_buf(Instant::ZERO, read);
    while let Some(e) = client.poll_event() {
        black_box(e);
    }
    while client.poll_transmit(Instant::ZERO, wire) {}
    wire.clear();
}

/// The inbound path: PUBLISH in, the message out (and the PUBACK at QoS 1).
fn receive(c: &mut Criterion) {
    let mut group = c.benchmark_group("client/receive-64");
    group.throughput(Throughput::Elements(BATCH));
    for (name, qos) in [("qos0", QoS::AtMostOnce), ("qos1", QoS::AtLeastOnce)] {
        let packets = inbound(qos, 4096);
        let mut client = connected(16);
        let (mut read, mut wire) = (BytesMut::with_capacity(8192), BytesMut::with_capacity(4096));
        let mut next = packets.iter().cycle();
        for bytes in next.by_ref().take(1000) {
            one_received(&mut client, &mut read, &mut wire, bytes);
        }
        let n: u32 = 10_000;
        let before = mqtt_benches::allocations();
        for bytes in next.by_ref().take(n as usize) {
            one_received(&mut client, &mut read, &mut wire, bytes);
        }
        let total = u32::try_from(mqtt_benches::allocations() - before).unwrap_or(u32::MAX);
        println!(
            "allocations per inbound {name} message (64 B payload): {:.2}",
            f64::from(total) / f64::from(n)
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    if let Some(bytes) = next.next() {
                        one_received(&mut client, &mut read, &mut wire, bytes);
                    }
                }
            });
        });
    }
    group.finish();
}

/// Client and fake broker end to end in memory: publish, deliver, acknowledge.
fn with_broker(c: &mut Criterion) {
    let payload = Bytes::from(vec![0x5A; 64]);
    let topic = topic();
    let mut group = c.benchmark_group("client-broker/publish-64");
    group.throughput(Throughput::Elements(BATCH));
    for (name, qos) in [
        ("qos0", QoS::AtMostOnce),
        ("qos1", QoS::AtLeastOnce),
        ("qos2", QoS::ExactlyOnce),
    ] {
        let config = Config::new(MqttString::from_static("bench")).with_version(VERSION);
        let mut client = Client::new(config);
        let mut broker = FakeBroker::new(BrokerConfig::new());
        let mut wire = BytesMut::with_capacity(64 * 1024);
        client.handle_transport_open(Instant::ZERO);
        let pump = |client: &mut Client, broker: &mut FakeBroker, wire: &mut BytesMut| loop {
            while client.poll_transmit(Instant::ZERO, wire) {}
            let sent = !wire.is_empty();
            broker.handle_read(wire);
            wire.clear();
            let answered = broker
                .poll_transmit()
                .map(|b| client.handle_read(Instant::ZERO, &b));
            while let Some(e) = client.poll_event() {
                black_box(e);
            }
            if !sent && answered.is_none() {
                break;
            }
        };
        pump(&mut client, &mut broker, &mut wire);
        group.bench_function(name, |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    client
                        .publish(message(&topic, qos, &payload))
                        .expect("room");
                    pump(&mut client, &mut broker, &mut wire);
                }
                black_box(broker.take_received());
            });
        });
    }
    group.finish();
}

/// A topic of 100 bytes.
const LONG_TOPIC: &str = "factory/plant-0042/building-07/line-03/station-12/sensor-0099/temperature/celsius/readings/012345678";

/// An MQTT 5.0 client connected to a server whose Topic Alias Maximum is 10.
fn connected_v5(auto_topic_alias: bool) -> Client {
    let mut config =
        Config::new(MqttString::from_static("bench")).with_version(ProtocolVersion::V5);
    config.auto_topic_alias = auto_topic_alias;
    let mut client = Client::new(config);
    client.handle_transport_open(Instant::ZERO);
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.topic_alias_maximum = Some(10);
    let mut bytes = BytesMut::new();
    Packet::ConnAck(connack)
        .encode(ProtocolVersion::V5, &mut bytes)
        .expect("valid");
    client.handle_read(Instant::ZERO, &bytes);
    let mut sink = BytesMut::new();
    while client.poll_transmit(Instant::ZERO, &mut sink) {}
    while client.poll_event().is_some() {}
    client
}

/// QoS 0 messages with a 100-byte topic and a 16-byte payload, with the session's own Topic
/// Aliases and without: the bytes on the wire per message first, then the throughput.
fn topic_aliases(c: &mut Criterion) {
    assert_eq!(LONG_TOPIC.len(), 100);
    let payload = Bytes::from(vec![0x5A; 16]);
    let topic = TopicName::from_static(LONG_TOPIC);
    let mut group = c.benchmark_group("client/publish-100B-topic");
    group.throughput(Throughput::Elements(BATCH));
    for (name, on) in [("aliases-off", false), ("aliases-on", true)] {
        let mut client = connected_v5(on);
        let mut wire = BytesMut::with_capacity(64 * 1024);
        let n = 1000;
        for _ in 0..n {
            let m = Message::new(topic.clone(), QoS::AtMostOnce, payload.clone());
            client.publish(m).expect("room");
            while client.poll_transmit(Instant::ZERO, &mut wire) {}
        }
        println!(
            "bytes per QoS 0 message, 100-byte topic, 16-byte payload, {name}: {:.1}",
            f64::from(u32::try_from(wire.len()).unwrap_or(u32::MAX)) / f64::from(n)
        );
        wire.clear();
        group.bench_function(name, |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    let m = Message::new(topic.clone(), QoS::AtMostOnce, payload.clone());
                    client.publish(m).expect("room");
                    while client.poll_transmit(Instant::ZERO, &mut wire) {}
                    wire.clear();
                }
            });
        });
    }
    group.finish();
}

/// The server's side of `ids` inbound QoS 2 exchanges with a `size`-byte payload: PUBLISH and
/// PUBREL for each identifier, encoded once.
fn inbound_qos2(ids: u16, size: usize) -> Vec<(Bytes, Bytes)> {
    let payload = Bytes::from(vec![0xA5; size]);
    let encode = |p: Packet| {
        let mut b = BytesMut::new();
        p.encode(VERSION, &mut b).expect("valid");
        b.freeze()
    };
    (1..=ids)
        .map(|n| {
            let id = PacketId::new(n).expect("non-zero");
            let topic = TopicName::from_static("devices/sensor-0042/commands");
            let publish = Publish::new(topic, QosPid::ExactlyOnce(id), payload.clone());
            (encode(publish.into()), encode(PubRel::new(id).into()))
        })
        .collect()
}

/// One inbound QoS 2 exchange: PUBLISH in, the message and PUBREC out, PUBREL in, PUBCOMP out.
fn one_inbound(client: &mut Client, wire: &mut BytesMut, (publish, pubrel): &(Bytes, Bytes)) {
    client.handle_read(Instant::ZERO, publish);
    while let Some(e) = client.poll_event() {
        black_box(e);
    }
    while client.poll_transmit(Instant::ZERO, wire) {}
    wire.clear();
    client.handle_read(Instant::ZERO, pubrel);
    while client.poll_transmit(Instant::ZERO, wire) {}
    wire.clear();
}

/// What the duplicate guard costs per inbound QoS 2 message (digest of topic and payload, and
/// remembering it at PUBREL).
fn duplicate_guard(c: &mut Criterion) {
    let mut group = c.benchmark_group("client/receive-qos2");
    group.throughput(Throughput::Elements(BATCH));
    for (size, ids) in [(64, 4096), (64 * 1024, 256)] {
        let exchanges = inbound_qos2(ids, size);
        for (guard, remembered) in [("guard-off", 0), ("guard-on", usize::from(u16::MAX))] {
            let mut client = connected_with(
                Config::new(MqttString::from_static("bench"))
                    .with_version(VERSION)
                    .with_duplicate_guard(remembered),
            );
            let mut wire = BytesMut::with_capacity(4096);
            let mut next = exchanges.iter().cycle();
            group.bench_function(format!("{size}B/{guard}"), |b| {
                b.iter(|| {
                    for _ in 0..BATCH {
                        if let Some(exchange) = next.next() {
                            one_inbound(&mut client, &mut wire, exchange);
                        }
                    }
                });
            });
        }
    }
    group.finish();
}

criterion_group!(
    benches,
    client_alone,
    receive,
    with_broker,
    duplicate_guard,
    topic_aliases
);
criterion_main!(benches);
