//! `poll_transmit_chunks` hands large payloads over by reference and gives, byte for byte, what
//! `poll_transmit` gives: across acknowledgements, connection losses and resumed sessions.

use bytes::{Buf, Bytes, BytesMut};
use mqtt_proto::{Limits, MqttString, Packet, ProtocolVersion, QoS, TopicName};
use mqtt_sansio::{Chunks, Client, Config, Instant, Message};
use proptest::prelude::*;

fn client() -> Client {
    let config = Config::new(MqttString::new("chunks").unwrap())
        .with_max_inflight(4)
        .with_clean_start(false);
    Client::new(config)
}

fn connected() -> Client {
    let mut client = client();
    client.handle_transport_open(Instant::ZERO);
    let mut chunks = Chunks::new();
    assert!(client.poll_transmit_chunks(Instant::ZERO, &mut chunks));
    client.handle_read(Instant::ZERO, b"\x20\x02\x00\x00");
    client
}

fn publish(client: &mut Client, size: usize, qos: QoS) -> Bytes {
    let payload = Bytes::from(vec![0xA5; size]);
    let topic = TopicName::new("t/chunks").unwrap();
    client
        .publish(Message::new(topic, qos, payload.clone()))
        .unwrap();
    payload
}

#[test]
fn a_large_payload_is_the_applications_buffer_and_a_small_one_is_copied() {
    let mut client = connected();
    let large = publish(&mut client, 4096, QoS::AtLeastOnce);
    let small = publish(&mut client, 4095, QoS::AtMostOnce);
    let mut chunks = Chunks::new();
    assert!(client.poll_transmit_chunks(Instant::ZERO, &mut chunks));
    let parts: Vec<&Bytes> = chunks.iter().collect();
    assert_eq!(parts.len(), 3, "head, payload, then the small message");
    // PUBLISH QoS 1, remaining length 2 + 8 + 2 + 4096 = 4108 (0x8C 0x20), topic, id 1.
    assert_eq!(parts[0][..], b"\x32\x8c\x20\x00\x08t/chunks\x00\x01"[..]);
    assert_eq!(parts[1].as_ptr(), large.as_ptr());
    assert_eq!(parts[2].len(), 3 + 2 + 8 + 4095);
    assert!(!parts[2].as_ptr_range().contains(&small.as_ptr()));
    assert_eq!(client.transmit_len(), 0);
}

#[test]
fn a_lost_connection_drops_the_queued_chunks_and_the_resumed_session_resends_them() {
    let mut client = connected();
    let payload = publish(&mut client, 10_000, QoS::ExactlyOnce);
    assert!(client.transmit_len() > 10_000);
    client.handle_transport_closed(Instant::ZERO);
    assert_eq!(client.transmit_len(), 0);
    client.handle_transport_open(Instant::ZERO);
    let mut chunks = Chunks::new();
    assert!(client.poll_transmit_chunks(Instant::ZERO, &mut chunks));
    assert_eq!(chunks.chunk()[0], 0x10, "only CONNECT");
    assert_eq!(chunks.iter().count(), 1);
    chunks.clear();
    client.handle_read(Instant::ZERO, b"\x20\x02\x01\x00"); // session present
    assert!(client.poll_transmit_chunks(Instant::ZERO, &mut chunks));
    let parts: Vec<&Bytes> = chunks.iter().collect();
    // [MQTT-3.3.1-1]: resent with DUP.
    assert_eq!(parts[0][0], 0x3C);
    assert_eq!(parts[1].as_ptr(), payload.as_ptr());
}

/// What the server does between two transmissions.
#[derive(Debug, Clone)]
enum Step {
    Publish(usize, u8),
    Ack(u16),
    Rec(u16),
    Comp(u16),
    Reconnect(bool),
}

fn step() -> impl Strategy<Value = Step> {
    let size = prop_oneof![
        Just(0usize),
        Just(16),
        Just(4095),
        Just(4096),
        Just(20_000),
        Just(70_000)
    ];
    prop_oneof![
        4 => (size, 0u8..3).prop_map(|(size, qos)| Step::Publish(size, qos)),
        1 => (1u16..6).prop_map(Step::Ack),
        1 => (1u16..6).prop_map(Step::Rec),
        1 => (1u16..6).prop_map(Step::Comp),
        1 => any::<bool>().prop_map(Step::Reconnect),
    ]
}

fn apply(client: &mut Client, step: &Step) {
    let now = Instant::ZERO;
    match *step {
        Step::Publish(size, qos) => {
            let qos = QoS::try_from(qos).unwrap();
            let topic = TopicName::new("t").unwrap();
            // The same payload for both clients: the size matters, not the buffer.
            let _ = client.publish(Message::new(topic, qos, vec![1; size]));
        }
        Step::Ack(id) => client.handle_read(now, &[0x40, 2, 0, id as u8]),
        Step::Rec(id) => client.handle_read(now, &[0x50, 2, 0, id as u8]),
        Step::Comp(id) => client.handle_read(now, &[0x70, 2, 0, id as u8]),
        Step::Reconnect(present) => {
            client.handle_transport_closed(now);
            client.handle_transport_open(now);
            client.handle_read(now, &[0x20, 2, u8::from(present), 0]);
        }
    }
}

proptest! {
    #[test]
    fn chunks_carry_the_same_bytes_as_one_buffer(steps in proptest::collection::vec(step(), 1..40)) {
        let (mut whole, mut chunked) = (client(), client());
        for client in [&mut whole, &mut chunked] {
            client.handle_transport_open(Instant::ZERO);
            client.handle_read(Instant::ZERO, b"\x20\x02\x00\x00");
        }
        let mut stream = BytesMut::new();
        for step in &steps {
            apply(&mut whole, step);
            apply(&mut chunked, step);
            prop_assert_eq!(whole.transmit_len(), chunked.transmit_len());
            let mut buf = BytesMut::new();
            while whole.poll_transmit(Instant::ZERO, &mut buf) {}
            let mut chunks = Chunks::new();
            while chunked.poll_transmit_chunks(Instant::ZERO, &mut chunks) {}
            let len = chunks.len();
            prop_assert_eq!(&buf[..], &chunks.copy_to_bytes(len)[..]);
            // And they are whole packets carrying their payloads.
            stream.extend_from_slice(&buf);
            while let Some(packet) =
                Packet::decode(ProtocolVersion::V3_1_1, &mut stream, &Limits::new()).unwrap()
            {
                if let Packet::Publish(publish) = packet {
                    prop_assert!(publish.payload().iter().all(|b| *b == 1));
                }
            }
        }
        prop_assert!(stream.is_empty());
    }
}
