//! Large publishes do not pile up as encoded bytes: past 64 KiB of output the client keeps
//! messages in its pending queue, unencoded, and encodes them as the driver takes bytes, so an
//! acknowledgement or a PINGREQ made meanwhile waits behind at most that much.

mod common;

use bytes::{Bytes, BytesMut};
use common::{Harness, pid, topic};
use mqtt_proto::{Limits, Packet, ProtocolVersion, PubAck, Publish, QoS, QosPid};
use mqtt_sansio::Message;

const PAYLOAD: usize = 20 * 1024;

fn decode(bytes: &mut BytesMut) -> Vec<Packet> {
    let mut packets = Vec::new();
    while let Some(p) = Packet::decode(ProtocolVersion::V3_1_1, bytes, &Limits::new()).unwrap() {
        packets.push(p);
    }
    assert!(bytes.is_empty(), "whole packets only");
    packets
}

fn connected() -> Harness {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1).with_max_inflight(100));
    h.connect(false);
    h
}

#[test]
fn messages_past_the_budget_wait_unencoded_and_leave_in_order() {
    let mut h = connected();
    let payload = Bytes::from(vec![7; PAYLOAD]);
    for _ in 0..10 {
        h.client
            .publish(Message::new(topic("big"), QoS::AtMostOnce, payload.clone()))
            .unwrap();
    }
    // 20 KiB each: the first four fill the budget, six wait.
    assert_eq!(h.client.pending(), 6);
    let one = Publish::new(topic("big"), QosPid::AtMostOnce, payload.clone())
        .encoded_len(ProtocolVersion::V3_1_1);
    assert_eq!(h.client.pending_bytes(), 6 * one);
    assert_eq!(h.client.transmit_len(), 4 * one);

    // Each poll hands over one budget's worth; the next one encodes the next messages.
    let mut total = 0;
    let mut polls = 0;
    let mut buf = BytesMut::new();
    while h.client.poll_transmit(h.now, &mut buf) {
        assert!(
            buf.len() <= 64 * 1024 + one,
            "{} bytes in one poll",
            buf.len()
        );
        total += decode(&mut buf).len();
        polls += 1;
    }
    assert_eq!(total, 10);
    assert!(polls >= 3, "{polls}");
    assert_eq!(h.client.pending(), 0);
    assert_eq!(h.client.pending_bytes(), 0);
}

#[test]
fn an_acknowledgement_waits_behind_at_most_one_budget() {
    let mut h = connected();
    let payload = Bytes::from(vec![7; PAYLOAD]);
    for _ in 0..50 {
        h.client
            .publish(Message::new(
                topic("big"),
                QoS::AtLeastOnce,
                payload.clone(),
            ))
            .unwrap();
    }
    // The server sends a QoS 1 message: its PUBACK is owed now.
    h.server_sends(&Packet::Publish(Publish::new(
        topic("in"),
        QosPid::AtLeastOnce(pid(9)),
        "hello",
    )));
    let mut buf = BytesMut::new();
    assert!(h.client.poll_transmit(h.now, &mut buf));
    let first = decode(&mut buf);
    assert!(
        first.contains(&Packet::PubAck(PubAck::new(pid(9)))),
        "the PUBACK leaves with the first budget, not after 1 MiB of publishes"
    );
    assert!(first.len() < 10, "{} packets", first.len());
    // Everything else follows, in order, with identifiers 1..=50.
    let mut ids = Vec::new();
    for p in first.into_iter().chain(h.sent()) {
        if let Packet::Publish(p) = p {
            ids.push(p.qos_pid.packet_id().unwrap().get());
        }
    }
    assert_eq!(ids, (1..=50).collect::<Vec<_>>());
}

/// The budget is 64 KiB exactly: output of 65,536 bytes is full, both for a new message and for
/// the queue emptied after a reconnect.
#[test]
fn the_budget_is_full_at_exactly_64_kib() {
    // 1 (type) + 3 (remaining length) + 5 (topic "big") + 65,527 = 65,536 bytes.
    let exact = || Message::new(topic("big"), QoS::AtMostOnce, vec![1; 65_527]);
    let mut h = connected();
    h.client.publish(exact()).unwrap();
    assert_eq!(h.client.transmit_len(), 64 * 1024);
    h.client
        .publish(Message::new(topic("small"), QoS::AtMostOnce, "x"))
        .unwrap();
    assert_eq!(h.client.pending(), 1, "full: the next one waits");

    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.client.publish(exact()).unwrap();
    h.client
        .publish(Message::new(topic("small"), QoS::AtMostOnce, "x"))
        .unwrap();
    h.connect(false);
    assert_eq!(h.client.pending(), 1, "the queue stops at the budget");
}

/// What waits is counted in bytes as it leaves: after the window takes the first of two
/// messages, the second's size remains.
#[test]
fn pending_bytes_follow_what_leaves_the_queue() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1).with_max_inflight(1));
    let first = Message::new(topic("t"), QoS::AtLeastOnce, vec![0; 100]);
    let second = Message::new(topic("t"), QoS::AtLeastOnce, vec![0; 10]);
    h.client.publish(first).unwrap();
    h.client.publish(second).unwrap();
    // 2 + 3 + 2 + 100 = 107 and 2 + 3 + 2 + 10 = 17.
    assert_eq!(h.client.pending_bytes(), 124);
    h.connect(false);
    assert_eq!((h.client.inflight(), h.client.pending()), (1, 1));
    assert_eq!(h.client.pending_bytes(), 17);
    h.sent();
    h.server_sends(&PubAck::new(pid(1)).into());
    assert_eq!(h.client.pending_bytes(), 0);
}
