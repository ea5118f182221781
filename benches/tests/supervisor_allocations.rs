//! The supervisor allocates nothing per message once its buffers have grown: QoS 0 messages
//! sent one write at a time (the worst case: a large payload per write) cost no allocation.
//! Its own test binary with one test, since the counting allocator sees the whole process.

use bytes::{Bytes, BytesMut};
use mqtt_proto::{MqttString, QoS, TopicName};
use mqtt_sansio::{Chunks, Config, Instant, Message, Output, Policy, Supervisor};

#[global_allocator]
static GLOBAL: mqtt_benches::Counting = mqtt_benches::Counting;

/// Publishes one QoS 0 message, writes what the supervisor gives at once, and takes its
/// completion; returns how many completions came.
fn one_message(s: &mut Supervisor<u32>, out: &mut Chunks, message: &Message) -> usize {
    s.publish(message.clone(), 7);
    while s.poll_transmit(Instant::ZERO, out) {
        out.clear();
        s.handle_written();
    }
    let mut done = 0;
    while let Some(output) = s.poll_output() {
        if matches!(output, Output::Done(7, _)) {
            done += 1;
        }
    }
    done
}

#[test]
fn qos0_messages_cost_no_allocation_once_warm() {
    for size in [16, 64 * 1024] {
        let mut s = Supervisor::new(
            Config::new(MqttString::from_static("alloc")),
            Policy::default(),
        );
        let mut out = Chunks::new();
        s.handle_transport_open(Instant::ZERO);
        while s.poll_transmit(Instant::ZERO, &mut out) {
            out.clear();
            s.handle_written();
        }
        s.handle_read(Instant::ZERO, &mut BytesMut::from(&b"\x20\x02\x00\x00"[..]));
        while s.poll_output().is_some() {}
        let message = Message::new(
            TopicName::new("alloc/test").unwrap(),
            QoS::AtMostOnce,
            Bytes::from(vec![7; size]),
        );
        for _ in 0..100 {
            assert_eq!(one_message(&mut s, &mut out, &message), 1);
        }
        let before = mqtt_benches::allocations();
        for _ in 0..1000 {
            assert_eq!(one_message(&mut s, &mut out, &message), 1);
        }
        assert_eq!(
            mqtt_benches::allocations() - before,
            0,
            "{size}-byte messages"
        );
    }
}
