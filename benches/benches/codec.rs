//! The codec against `rumqttc`'s (`rumqttc::mqttbytes::v4`), both measured in the same run.
//!
//! Every group holds the same operation for both codecs on the same bytes, so each figure has its
//! ratio beside it. Decoding starts from a `BytesMut` that holds a stream of `STREAM` frames (the
//! copy into it is setup, not measured) and decodes them all, as a client's read loop does.
//!
//! Every measured iteration handles `STREAM` packets; the throughput criterion reports is in bytes
//! of MQTT frames. Run: `cargo bench -p mqtt-benches --bench codec`, then
//! `python3 benches/codec_table.py` turns criterion's results into the table of `BENCHMARKS.md`.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mqtt_proto::{
    Connect, Limits, MqttString, Packet, PacketId, ProtocolVersion, Publish, QoS, QosPid,
    Subscribe, Subscription, TopicFilter, TopicName,
};
use rumqttc::mqttbytes::v4 as rumqtt;

/// Frames per measured decode run.
const STREAM: usize = 64;
const VERSION: ProtocolVersion = ProtocolVersion::V3_1_1;
const TOPIC: &str = "devices/sensor-0042/telemetry";
const PAYLOADS: [usize; 3] = [16, 1024, 64 * 1024];
const MAX: usize = 1 << 28;

fn ours_publish(payload: &Bytes) -> Publish {
    Publish::new(
        TopicName::from_static(TOPIC),
        QosPid::AtLeastOnce(PacketId::new(42).expect("non-zero")),
        payload.clone(),
    )
}

fn theirs_publish(payload: &Bytes) -> rumqtt::Publish {
    let mut p = rumqtt::Publish::from_bytes(TOPIC, rumqttc::QoS::AtLeastOnce, payload.clone());
    p.pkid = 42;
    p
}

fn ours_connect() -> Connect {
    let mut c = Connect::new(MqttString::from_static("bench-client-0001"));
    c.keep_alive = 30;
    c.username = Some(MqttString::from_static("user"));
    c.password = Some(Bytes::from_static(b"secret-password"));
    c
}

fn theirs_connect() -> rumqtt::Connect {
    let mut c = rumqtt::Connect::new("bench-client-0001");
    c.keep_alive = 30;
    c.login = Some(rumqtt::Login::new("user", "secret-password"));
    c
}

const FILTERS: [&str; 3] = [
    "devices/+/telemetry",
    "devices/sensor-0042/cmd/#",
    "$SYS/broker/load/#",
];

fn ours_subscribe() -> Subscribe {
    Subscribe::new(
        PacketId::new(7).expect("non-zero"),
        FILTERS
            .iter()
            .map(|f| Subscription::new(TopicFilter::from_static(f), QoS::AtLeastOnce))
            .collect(),
    )
}

fn theirs_subscribe() -> rumqtt::Subscribe {
    let mut s = rumqtt::Subscribe::new_many(
        FILTERS
            .iter()
            .map(|f| rumqtt::SubscribeFilter::new((*f).to_owned(), rumqttc::QoS::AtLeastOnce)),
    );
    s.pkid = 7;
    s
}

/// `STREAM` copies of one encoded frame.
fn stream_of(packet: &Packet) -> Vec<u8> {
    let mut buf = BytesMut::new();
    for _ in 0..STREAM {
        packet.encode(VERSION, &mut buf).expect("valid packet");
    }
    buf.to_vec()
}

fn decode_ours(buf: &mut BytesMut, limits: &Limits) {
    while let Some(p) = Packet::decode(VERSION, buf, limits).expect("valid stream") {
        black_box(p);
    }
}

fn decode_theirs(buf: &mut BytesMut) {
    while !buf.is_empty() {
        black_box(rumqtt::Packet::read(buf, MAX).expect("valid stream"));
    }
}

fn bench_decode(c: &mut Criterion, name: &str, packet: &Packet) {
    let stream = stream_of(packet);
    let limits = Limits::new();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("mqtt-proto", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&stream[..]),
            |buf| decode_ours(buf, &limits),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("rumqttc", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&stream[..]),
            decode_theirs,
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    for size in PAYLOADS {
        let payload = Bytes::from(vec![0xA5; size]);
        bench_decode(
            c,
            &format!("decode/publish-{size}"),
            &ours_publish(&payload).into(),
        );
    }
    bench_decode(c, "decode/connect", &ours_connect().into());
    bench_decode(c, "decode/subscribe", &ours_subscribe().into());
}

/// Encodes `STREAM` packets into a buffer that already has the room, as a write loop with a
/// reused buffer does.
fn bench_encode(
    c: &mut Criterion,
    name: &str,
    len: usize,
    mut ours: impl FnMut(&mut BytesMut),
    mut theirs: impl FnMut(&mut BytesMut),
) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes((len * STREAM) as u64));
    let mut buf = BytesMut::with_capacity(len * STREAM);
    group.bench_function("mqtt-proto", |b| {
        b.iter(|| {
            buf.clear();
            for _ in 0..STREAM {
                ours(&mut buf);
            }
            black_box(&buf);
        });
    });
    group.bench_function("rumqttc", |b| {
        b.iter(|| {
            buf.clear();
            for _ in 0..STREAM {
                theirs(&mut buf);
            }
            black_box(&buf);
        });
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    for size in PAYLOADS {
        let payload = Bytes::from(vec![0xA5; size]);
        let (ours, theirs) = (ours_publish(&payload), theirs_publish(&payload));
        bench_encode(
            c,
            &format!("encode/publish-{size}"),
            ours.encoded_len(VERSION),
            |buf| {
                ours.encode(VERSION, buf).expect("valid");
            },
            |buf| {
                theirs.write(buf).expect("valid");
            },
        );
    }
    let (ours, theirs) = (ours_connect(), theirs_connect());
    bench_encode(
        c,
        "encode/connect",
        ours.encoded_len(VERSION),
        |buf| {
            ours.encode(VERSION, buf).expect("valid");
        },
        |buf| {
            theirs.write(buf).expect("valid");
        },
    );
    let (ours, theirs) = (ours_subscribe(), theirs_subscribe());
    bench_encode(
        c,
        "encode/subscribe",
        ours.encoded_len(VERSION),
        |buf| {
            ours.encode(VERSION, buf).expect("valid");
        },
        |buf| {
            theirs.write(buf).expect("valid");
        },
    );
}

/// Feeds a stream of 16-byte PUBLISH frames one byte at a time and tries to decode after each
/// byte, as a reader on a slow link does: the cost of `Ok(None)` matters here.
fn byte_at_a_time(c: &mut Criterion) {
    let payload = Bytes::from(vec![0xA5; 16]);
    let stream = stream_of(&ours_publish(&payload).into());
    let limits = Limits::new();
    let mut group = c.benchmark_group("decode/byte-at-a-time-publish-16");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function(BenchmarkId::from_parameter("mqtt-proto"), |b| {
        b.iter(|| {
            let mut buf = BytesMut::with_capacity(64);
            let mut n = 0;
            for byte in &stream {
                buf.extend_from_slice(std::slice::from_ref(byte));
                if let Some(p) = Packet::decode(VERSION, &mut buf, &limits).expect("valid") {
                    black_box(p);
                    n += 1;
                }
            }
            assert_eq!(n, STREAM);
        });
    });
    group.bench_function(BenchmarkId::from_parameter("rumqttc"), |b| {
        b.iter(|| {
            let mut buf = BytesMut::with_capacity(64);
            let mut n = 0;
            for byte in &stream {
                buf.extend_from_slice(std::slice::from_ref(byte));
                match rumqtt::Packet::read(&mut buf, MAX) {
                    Ok(p) => {
                        black_box(p);
                        n += 1;
                    }
                    Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(n, STREAM);
        });
    });
    group.finish();
}

criterion_group!(benches, decode, encode, byte_at_a_time);
criterion_main!(benches);
