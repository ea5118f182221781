//! The queue of messages waiting to be sent: a time to live that counts down while they wait
//! ([MQTT-3.3.2-6] asks it of a server forwarding a message), and what a full queue does.

mod common;

use core::time::Duration;

use common::{Harness, pid, topic};
use mqtt_proto::{Packet, ProtocolVersion, QoS};
use mqtt_sansio::{
    ClientError, CommandId, Config, Durable, Event, Instant, Message, Timer, WhenFull,
};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn expiring(qos: QoS, payload: &'static str, expiry: Option<u32>) -> Message {
    let mut m = Message::new(topic("q"), qos, payload);
    m.properties.message_expiry_interval = expiry;
    m
}

/// The Message Expiry Interval of each PUBLISH sent, with its payload.
fn sent_expiries(h: &mut Harness) -> Vec<(Vec<u8>, Option<u32>)> {
    h.sent()
        .into_iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => {
                Some((p.payload().to_vec(), p.properties.message_expiry_interval))
            }
            _ => None,
        })
        .collect()
}

fn failures(h: &mut Harness) -> Vec<(CommandId, ClientError)> {
    h.events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Failed { command, error } => Some((command, error)),
            _ => None,
        })
        .collect()
}

// MQTT 5.0: what goes out is what remains of the interval, in whole seconds rounded up.
#[test]
fn the_expiry_interval_counts_down_while_the_message_waits() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    for (payload, expiry) in [("a", Some(10)), ("b", Some(100)), ("c", None)] {
        h.client
            .publish(expiring(QoS::AtLeastOnce, payload, expiry))
            .unwrap();
    }
    h.advance(Duration::from_millis(4_500));
    h.connect(false);
    assert_eq!(
        sent_expiries(&mut h),
        [
            (b"a".to_vec(), Some(6)),
            (b"b".to_vec(), Some(96)),
            (b"c".to_vec(), None)
        ]
    );
    // Sent at once: nothing waited, the interval goes as given.
    h.client
        .publish(expiring(QoS::AtLeastOnce, "d", Some(10)))
        .unwrap();
    assert_eq!(sent_expiries(&mut h), [(b"d".to_vec(), Some(10))]);
}

// A message whose time runs out while it waits is not sent: it ends then, with Expired, and
// leaves room, even while no connection comes.
#[test]
fn a_message_that_expires_while_waiting_ends_at_its_expiry() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.client.set_store(true);
    let id = h
        .client
        .publish(expiring(QoS::AtLeastOnce, "short", Some(2)))
        .unwrap()
        .unwrap();
    h.client
        .publish(expiring(QoS::AtMostOnce, "also short", Some(3)))
        .unwrap();
    h.client
        .publish(expiring(QoS::AtLeastOnce, "long", Some(60)))
        .unwrap();
    assert_eq!(h.client.poll_timeout(), Some(Instant::ZERO + secs(2)));
    assert_eq!(h.client.timer(), Some(Timer::Expiry));
    h.advance(Duration::from_millis(1_999));
    assert_eq!(failures(&mut h), []);
    h.advance_to(Instant::ZERO + secs(2));
    assert_eq!(
        failures(&mut h),
        [(CommandId::Publish(id), ClientError::Expired)]
    );
    assert_eq!(h.client.pending(), 2);
    assert_eq!(h.client.packet_ids_in_use(), 1, "its identifier is free");
    assert_eq!(h.client.poll_timeout(), Some(Instant::ZERO + secs(3)));
    h.advance_to(Instant::ZERO + secs(3));
    assert_eq!(
        failures(&mut h),
        [(CommandId::Qos0(1), ClientError::Expired)]
    );
    assert_eq!(h.client.stats().expired, 2);
    assert_eq!(h.client.stats().failed, 2);
    let mut changes = Vec::new();
    while let Some(c) = h.client.poll_store() {
        changes.push(c);
    }
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[2], Durable::Done(id), "the store forgets it");
    h.connect(false);
    assert_eq!(sent_expiries(&mut h), [(b"long".to_vec(), Some(57))]);
}

// MQTT 3.1.1 has no expiry on the wire: a message's interval is its local time to live, and
// `message_ttl` that of the messages without one.
#[test]
fn in_3_1_1_the_interval_is_a_local_time_to_live() {
    let config = Harness::config(ProtocolVersion::V3_1_1).with_message_ttl(secs(5));
    let mut h = Harness::new(config);
    h.client
        .publish(expiring(QoS::AtLeastOnce, "own", Some(2)))
        .unwrap();
    h.client
        .publish(expiring(QoS::AtLeastOnce, "default", None))
        .unwrap();
    h.client
        .publish(expiring(QoS::AtLeastOnce, "patient", Some(60)))
        .unwrap();
    h.advance_to(Instant::ZERO + secs(2));
    assert_eq!(failures(&mut h).len(), 1);
    h.advance_to(Instant::ZERO + secs(5));
    assert_eq!(failures(&mut h).len(), 1);
    h.connect(false);
    // Nothing of the interval on the wire.
    assert_eq!(sent_expiries(&mut h), [(b"patient".to_vec(), None)]);
}

// In MQTT 5.0 `message_ttl` is local too: no expiry is added to a message without one.
#[test]
fn the_local_time_to_live_adds_nothing_to_the_wire() {
    let config = Harness::config(ProtocolVersion::V5).with_message_ttl(secs(5));
    let mut h = Harness::new(config);
    h.client
        .publish(expiring(QoS::AtLeastOnce, "x", None))
        .unwrap();
    h.advance(secs(4));
    h.connect(false);
    assert_eq!(sent_expiries(&mut h), [(b"x".to_vec(), None)]);
}

// Messages in flight when the server loses the session wait again as new messages: their time
// to live counts from when they were accepted.
#[test]
fn a_requeued_message_keeps_counting_from_when_it_was_accepted() {
    let config = Harness::config(ProtocolVersion::V5).with_clean_start(false);
    let mut h = Harness::new(config);
    h.connect(false);
    h.client
        .publish(expiring(QoS::AtLeastOnce, "x", Some(10)))
        .unwrap();
    assert_eq!(sent_expiries(&mut h), [(b"x".to_vec(), Some(10))]);
    h.advance(secs(1));
    h.client.handle_transport_closed(h.now);
    h.advance(secs(2));
    h.connect(false);
    assert_eq!(sent_expiries(&mut h), [(b"x".to_vec(), Some(7))]);
}

// When the server resumes the session, a message it may know under its identifier goes again
// whatever its age: its acknowledgement must not be taken for another message's.
#[test]
fn a_resent_message_does_not_expire() {
    let config = Harness::config(ProtocolVersion::V5)
        .with_clean_start(false)
        .with_max_inflight(1);
    let mut h = Harness::new(config);
    h.connect(false);
    for payload in ["a", "b"] {
        h.client
            .publish(expiring(QoS::AtLeastOnce, payload, Some(1)))
            .unwrap();
    }
    h.sent();
    h.client.handle_transport_closed(h.now);
    h.advance(secs(5));
    assert_eq!(
        failures(&mut h),
        [(CommandId::Publish(pid(2)), ClientError::Expired)]
    );
    h.connect(true);
    assert_eq!(sent_expiries(&mut h), [(b"a".to_vec(), Some(1))]);
}

fn full(when_full: WhenFull) -> Harness {
    let config: Config = Harness::config(ProtocolVersion::V5)
        .with_max_pending(2)
        .with_when_full(when_full);
    Harness::new(config)
}

// The session cannot wait: it refuses, under `Wait` (a driver makes the caller wait before
// it comes to that) as under `Reject`.
#[test]
fn a_full_queue_refuses_new_messages() {
    for policy in [WhenFull::Wait, WhenFull::Reject] {
        let mut h = full(policy);
        h.client
            .publish(expiring(QoS::AtMostOnce, "0", None))
            .unwrap();
        h.client
            .publish(expiring(QoS::AtLeastOnce, "1", None))
            .unwrap();
        assert_eq!(
            h.client.publish(expiring(QoS::AtLeastOnce, "2", None)),
            Err(ClientError::QueueFull(2))
        );
        assert_eq!(h.client.pending(), 2);
        assert_eq!(h.client.packet_ids_in_use(), 1, "no identifier taken");
    }
}

// The bytes waiting are bounded too; dropping QoS 0 messages makes room only when enough of
// them can go, and then only as many as needed.
#[test]
fn the_queue_is_bounded_in_bytes() {
    let config = Harness::config(ProtocolVersion::V3_1_1)
        .with_max_pending_bytes(100)
        .with_when_full(WhenFull::DropOldestQos0);
    let mut h = Harness::new(config);
    let sized = |qos, n: usize| Message::new(topic("q"), qos, vec![b'x'; n]);
    // 3.1.1: 2 + 3 (topic) + payload for QoS 0, 2 more for QoS 1.
    h.client.publish(sized(QoS::AtMostOnce, 25)).unwrap(); // 30 bytes
    h.client.publish(sized(QoS::AtLeastOnce, 23)).unwrap(); // 30
    h.client.publish(sized(QoS::AtMostOnce, 25)).unwrap(); // 30
    assert_eq!(h.client.pending_bytes(), 90);
    assert_eq!(
        h.client.publish(sized(QoS::AtLeastOnce, 84)),
        Err(ClientError::QueueBytesFull(100)),
        "91 bytes: even without both QoS 0 messages it would not fit"
    );
    assert_eq!(
        failures(&mut h),
        [],
        "nothing dropped for a refused message"
    );
    // 40 bytes: the oldest QoS 0 message goes, the other stays.
    h.client.publish(sized(QoS::AtLeastOnce, 33)).unwrap();
    assert_eq!(
        failures(&mut h),
        [(CommandId::Qos0(1), ClientError::Dropped)]
    );
    assert_eq!(h.client.pending_bytes(), 100);

    let strict = Harness::config(ProtocolVersion::V3_1_1).with_max_pending_bytes(100);
    let mut h = Harness::new(strict);
    h.client.publish(sized(QoS::AtMostOnce, 95)).unwrap();
    assert_eq!(
        h.client.publish(sized(QoS::AtMostOnce, 1)),
        Err(ClientError::QueueBytesFull(100))
    );
}

// Dropping the oldest QoS 0 message makes room; a QoS 1 or 2 message is never dropped.
#[test]
fn a_full_queue_can_drop_its_oldest_qos0_message() {
    let mut h = full(WhenFull::DropOldestQos0);
    h.client
        .publish(expiring(QoS::AtLeastOnce, "1", None))
        .unwrap();
    h.client
        .publish(expiring(QoS::AtMostOnce, "a", None))
        .unwrap();
    let bytes = h.client.pending_bytes();
    h.client
        .publish(expiring(QoS::AtLeastOnce, "2", None))
        .unwrap();
    assert_eq!(
        failures(&mut h),
        [(CommandId::Qos0(1), ClientError::Dropped)]
    );
    assert_eq!(h.client.pending(), 2);
    assert_eq!(
        h.client.pending_bytes(),
        bytes + 2,
        "a QoS 1 message (with its packet identifier) in place of a QoS 0 one"
    );
    assert_eq!(
        h.client.publish(expiring(QoS::AtMostOnce, "b", None)),
        Err(ClientError::QueueFull(2)),
        "only QoS 1 messages wait"
    );
    assert_eq!(h.client.packet_ids_in_use(), 2);
    h.connect(false);
    let payloads: Vec<_> = sent_expiries(&mut h).into_iter().map(|(p, _)| p).collect();
    assert_eq!(payloads, [b"1".to_vec(), b"2".to_vec()]);
}

// Without a connection, a supervisor under `Reject` or `DropOldestQos0` takes every command
// and answers it at once; under `Wait` it stops taking commands, and its caller waits.
#[test]
fn the_supervisor_answers_at_once_unless_it_waits() {
    use mqtt_sansio::{Done, Failure, Output, Policy, Supervisor};
    for policy in [WhenFull::Wait, WhenFull::Reject] {
        let config = Harness::config(ProtocolVersion::V5)
            .with_max_pending(2)
            .with_when_full(policy);
        let mut s: Supervisor<u32> = Supervisor::new(config, Policy::default());
        s.publish(expiring(QoS::AtLeastOnce, "1", None), 1);
        s.publish(expiring(QoS::AtLeastOnce, "2", None), 2);
        assert_eq!(s.has_room(), policy != WhenFull::Wait, "{policy:?}");
        if policy == WhenFull::Reject {
            s.publish(expiring(QoS::AtLeastOnce, "3", None), 3);
            let mut outputs = Vec::new();
            while let Some(o) = s.poll_output() {
                outputs.push(o);
            }
            assert!(
                matches!(
                    &outputs[..],
                    [Output::Done(
                        3,
                        Done::Published(Err(Failure::Client(ClientError::QueueFull(2))))
                    )]
                ),
                "{outputs:?}"
            );
        }
    }
}

// The timer says which deadline comes first: the connection's or a waiting message's expiry
// (the connection's when they fall together).
#[test]
fn the_timer_names_the_earliest_deadline() {
    let config = Harness::config(ProtocolVersion::V5)
        .with_keep_alive(secs(10))
        .with_max_inflight(1);
    let mut h = Harness::new(config);
    h.open();
    assert_eq!(h.client.timer(), Some(Timer::ConnAck));
    h.server_sends(&mqtt_proto::ConnAck::new(false, mqtt_proto::ReasonCode::SUCCESS).into());
    h.events();
    assert_eq!(h.client.timer(), Some(Timer::KeepAlive));
    // The window is full: the next messages wait.
    h.client
        .publish(expiring(QoS::AtLeastOnce, "in flight", None))
        .unwrap();
    h.client
        .publish(expiring(QoS::AtLeastOnce, "later", Some(20)))
        .unwrap();
    assert_eq!(h.client.timer(), Some(Timer::KeepAlive));
    assert_eq!(h.client.poll_timeout(), Some(Instant::ZERO + secs(10)));
    h.client
        .publish(expiring(QoS::AtLeastOnce, "together", Some(10)))
        .unwrap();
    assert_eq!(h.client.timer(), Some(Timer::KeepAlive));
    h.client
        .publish(expiring(QoS::AtLeastOnce, "sooner", Some(3)))
        .unwrap();
    assert_eq!(h.client.timer(), Some(Timer::Expiry));
    assert_eq!(h.client.poll_timeout(), Some(Instant::ZERO + secs(3)));
    h.advance_to(Instant::ZERO + secs(3));
    assert_eq!(h.client.pending(), 2);
    assert_eq!(h.client.stats().expired, 1);
}

// A message found expired when it would go (no timer fired in between) ends the same way, and
// the queue's bytes come down with what leaves it.
#[test]
fn an_expired_message_found_when_sending_ends_too() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.client
        .publish(expiring(QoS::AtLeastOnce, "stale", Some(1)))
        .unwrap();
    h.client
        .publish(expiring(QoS::AtLeastOnce, "fresh", None))
        .unwrap();
    // The transport opens late; no timeout was handled before.
    h.now = Instant::ZERO + secs(2);
    h.connect(false);
    assert_eq!(sent_expiries(&mut h), [(b"fresh".to_vec(), None)]);
    assert_eq!(h.client.stats().expired, 1);
    assert_eq!(h.client.pending_bytes(), 0);

    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.client
        .publish(expiring(QoS::AtMostOnce, "stale", Some(1)))
        .unwrap();
    h.advance_to(Instant::ZERO + secs(1));
    assert_eq!(h.client.pending(), 0);
    assert_eq!(h.client.pending_bytes(), 0, "the bytes leave with it");
    assert_eq!(h.client.stats().expired, 1);
}
