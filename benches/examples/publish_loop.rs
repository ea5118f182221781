//! The state machine's publish path in a plain loop, for counting instructions rather than
//! timing them (a shared machine's timings spread by ±20 %, instruction counts do not):
//!
//! ```sh
//! cargo build --release -p mqtt-benches --example publish_loop
//! for n in 100000 200000; do
//!   valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
//!     target/release/examples/publish_loop 0 $n 2>&1 | grep "I *refs"
//! done
//! ```
//!
//! The difference of the two totals over 100,000 is the instructions per message, without the
//! set-up. Arguments: the QoS (0 or 1) and the number of messages. Each message is what the
//! `client/publish-64` criterion rows measure: a 64-byte payload to a 29-byte topic (MQTT
//! 3.1.1), `publish`, `poll_transmit` into a reused buffer, at QoS 1 the PUBACK (encoded in
//! advance) read back, the events drained.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    ConnAck, MqttString, Packet, PacketId, ProtocolVersion, PubAck, QoS, ReasonCode, TopicName,
};
use mqtt_sansio::{Client, Config, Instant, Message};

const VERSION: ProtocolVersion = ProtocolVersion::V3_1_1;

fn main() {
    let mut args = std::env::args().skip(1);
    let qos = match args.next().as_deref() {
        Some("1") => QoS::AtLeastOnce,
        _ => QoS::AtMostOnce,
    };
    let count: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);

    let mut client = Client::new(
        Config::new(MqttString::from_static("loop"))
            .with_version(VERSION)
            .with_max_inflight(16),
    );
    client.handle_transport_open(Instant::ZERO);
    client.handle_read(
        Instant::ZERO,
        &encoded(ConnAck::new(false, ReasonCode::SUCCESS)),
    );
    let mut wire = BytesMut::with_capacity(4096);
    while client.poll_transmit(Instant::ZERO, &mut wire) {}
    wire.clear();
    while client.poll_event().is_some() {}

    let acks: Vec<Bytes> = (1..=u16::MAX)
        .filter_map(PacketId::new)
        .map(|id| encoded(PubAck::new(id)))
        .collect();
    let topic = TopicName::from_static("devices/sensor-0042/telemetry");
    let payload = Bytes::from(vec![0x5A; 64]);
    for _ in 0..count {
        let id = client
            .publish(Message::new(topic.clone(), qos, payload.clone()))
            .expect("room");
        while client.poll_transmit(Instant::ZERO, &mut wire) {}
        wire.clear();
        if let Some(ack) = id.and_then(|id| acks.get(usize::from(id.get()) - 1)) {
            client.handle_read(Instant::ZERO, ack);
        }
        while let Some(event) = client.poll_event() {
            black_box(event);
        }
    }
}

/// `packet`'s bytes.
fn encoded(packet: impl Into<Packet>) -> Bytes {
    let mut buf = BytesMut::new();
    packet.into().encode(VERSION, &mut buf).expect("valid");
    buf.freeze()
}
