//! The supervisor driven as a driver drives it, against a broker whose behaviour the input
//! chooses: it accepts, refuses, drops connections after CONNACK, loses sessions, holds
//! acknowledgements, and, like a broker restarted from a stale persistence file, sends QoS 2
//! messages again after their exchange was completed. Time passes as the input says.
//!
//! The session's store is on, applied as a driver applies it (every change before the bytes
//! that follow), and the process may crash: a new supervisor takes the session back from the
//! store.
//!
//! Invariants: no two connection attempts closer than the backoff's floor, and the backoff only
//! grows while connections do not stay up for the stable period; no inbound QoS 2 message is
//! surfaced twice, crashes included; every command is answered exactly once (after `stop`, all
//! of them; a crashed process's commands have nobody to answer); each packet written finds in
//! the store what a crash right after it needs (a PUBLISH its message, a PUBREL its release, a
//! PUBREC the receipt; a PUBCOMP no receipt any more); a restored session is always accepted.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use mqtt_fuzz::VERSIONS;
use mqtt_proto::{
    MqttString, Packet, PubRel, Publish, QoS, QosPid, ReasonCode, SubscribeProperties,
    Subscription, TopicFilter, TopicName, UnsubscribeProperties,
};
use mqtt_sansio::{
    Backoff, Chunks, Config, ConnectionEvent, End, Instant, Message, Next, Output, Policy, Stored,
    Supervisor, Takeover,
};
use mqtt_test::{BrokerConfig, ConnectAnswer, FakeBroker};

const STABLE: Duration = Duration::from_secs(2);
const BACKOFF: Backoff = Backoff::new(Duration::from_millis(100), 2, Duration::from_secs(10));

struct World {
    s: Supervisor<u32>,
    config: Config,
    policy: Policy,
    version: mqtt_proto::ProtocolVersion,
    /// What the store holds: every change applied before the bytes that follow it.
    stored: Stored,
    broker: FakeBroker,
    now: Instant,
    out: Chunks,
    /// Tags of commands given, and how many times each was answered.
    tags: BTreeMap<u32, u32>,
    next_tag: u32,
    /// Payloads of inbound QoS 2 messages surfaced to the application.
    surfaced: BTreeSet<Bytes>,
    /// Payloads of the client's own QoS 2 messages (routed back to it through `out/#`).
    published: Vec<Bytes>,
    /// Payloads that may surface twice: the client's own messages published before the broker
    /// lost the session. Exactly once does not outlive a session: the client sends again what
    /// it had in flight, and this broker passes a message on when it arrives.
    may_repeat: BTreeSet<Bytes>,
    /// Per packet identifier, the last QoS 2 message the broker sent and completed in this
    /// broker session: what a forgetful broker may send again.
    completed: BTreeMap<u16, (TopicName, Bytes)>,
    next_payload: u32,
    stopped: bool,
    /// When the current connection was accepted.
    up_since: Option<Instant>,
    /// The attempt number of the last retry, and whether the next must be higher (the
    /// connection in between did not stay up for the stable period).
    last_attempt: u32,
    must_grow: bool,
    /// What the broker does right after its next CONNACK.
    drop_after_connack: Option<ReasonCode>,
    /// How many brokers the supervisor is told of (the fake broker plays them all), and the
    /// retries in a row without a delay: fewer than the brokers, one round.
    brokers: usize,
    zero_delays: usize,
}

impl World {
    fn tag(&mut self) -> u32 {
        self.next_tag += 1;
        self.tags.insert(self.next_tag, 0);
        self.next_tag
    }

    fn pump(&mut self) {
        for _ in 0..64 {
            let mut moved = false;
            while self.s.poll_transmit(self.now, &mut self.out) {
                let bytes = self.out.copy_to_bytes(self.out.len());
                self.persist();
                self.check_written(&bytes);
                self.broker.handle_read(&bytes);
                self.s.handle_written();
                moved = true;
            }
            if let Some(bytes) = self.broker.poll_transmit() {
                self.s
                    .handle_read(self.now, &mut BytesMut::from(&bytes[..]));
                moved = true;
            }
            self.outputs();
            if !moved {
                break;
            }
        }
        self.persist();
    }

    /// The driver's rule: the changes go to the store before the bytes are written.
    fn persist(&mut self) {
        while let Some(change) = self.s.poll_store() {
            self.stored.apply(&change);
        }
    }

    /// What a crash right after writing `bytes` must find in the store. The store is at the
    /// end of the batch: a PUBREC may be followed in it by the PUBCOMP that ends its exchange
    /// (and a PUBCOMP by the PUBREC of a new message under the same identifier).
    fn check_written(&self, bytes: &[u8]) {
        let mut buf = BytesMut::from(bytes);
        let limits = mqtt_proto::Limits::new();
        let mut packets = Vec::new();
        while let Ok(Some(packet)) = Packet::decode(self.version, &mut buf, &limits) {
            packets.push(packet);
        }
        let message = |id| {
            self.stored
                .messages
                .iter()
                .find(|m| m.publish.qos_pid.packet_id() == Some(id))
        };
        for (i, packet) in packets.iter().enumerate() {
            let later = |pick: &dyn Fn(&Packet) -> bool| packets[i + 1..].iter().any(pick);
            match packet {
                Packet::Publish(p) => {
                    if let Some(id) = p.qos_pid.packet_id() {
                        assert!(
                            message(id).is_some(),
                            "PUBLISH {id} written, not in the store"
                        );
                    }
                }
                Packet::PubRel(rel) => assert!(
                    message(rel.packet_id).is_some_and(|m| m.released),
                    "PUBREL {} written before its release was kept",
                    rel.packet_id
                ),
                Packet::PubRec(rec) => assert!(
                    self.stored.inbound.contains(&rec.packet_id)
                        || later(
                            &|p| matches!(p, Packet::PubComp(c) if c.packet_id == rec.packet_id)
                        ),
                    "PUBREC {} written before the receipt was kept",
                    rec.packet_id
                ),
                Packet::PubComp(comp) => assert!(
                    !self.stored.inbound.contains(&comp.packet_id)
                        || later(
                            &|p| matches!(p, Packet::PubRec(r) if r.packet_id == comp.packet_id)
                        ),
                    "PUBCOMP {} written while the receipt is kept",
                    comp.packet_id
                ),
                _ => {}
            }
        }
    }

    /// The process dies: what it did not keep is gone, its commands have nobody to answer;
    /// a new one takes the session back from the store and connects.
    fn crash(&mut self) {
        if self.stopped {
            return;
        }
        if self.broker.is_connected() {
            self.broker.connection_closed();
        }
        self.tags.clear();
        // The duplicate guard lives in memory: what a forgetful broker sends again of the
        // exchanges completed before the crash is new to the next process.
        self.completed.clear();
        // A new process: its backoff starts afresh.
        self.up_since = None;
        self.must_grow = false;
        self.last_attempt = 0;
        let mut s = Supervisor::new(self.config.clone(), self.policy.clone());
        s.set_brokers(self.brokers);
        self.zero_delays = 0;
        s.restore(self.stored.clone())
            .expect("a stored session is restored");
        s.set_store(true);
        self.s = s;
        self.out = Chunks::new();
        self.broker.new_connection();
        self.s.handle_transport_open(self.now);
    }

    /// Takes the outputs, checking them; ends and restarts connections as a driver does.
    fn outputs(&mut self) {
        while let Some(output) = self.s.poll_output() {
            match output {
                Output::Done(tag, _) => {
                    let count = self.tags.get_mut(&tag).expect("a tag that was given");
                    *count += 1;
                    assert_eq!(*count, 1, "command {tag} answered twice");
                }
                Output::Message(publish) => {
                    if publish.qos() == QoS::ExactlyOnce {
                        let payload = publish.payload_bytes();
                        assert!(
                            self.surfaced.insert(payload.clone())
                                || self.may_repeat.contains(&payload),
                            "a QoS 2 message surfaced twice: {payload:?}"
                        );
                    }
                }
                Output::Event(ConnectionEvent::Connected { .. }) => {
                    self.up_since = Some(self.now);
                    self.zero_delays = 0;
                    if let Some(code) = self.drop_after_connack.take() {
                        self.broker
                            .send_disconnect(code, mqtt_proto::DisconnectProperties::default());
                    }
                }
                Output::Event(ConnectionEvent::Disconnected(reason)) => {
                    self.broker.connection_closed();
                    let end = self.s.handle_closed(reason, true);
                    self.next(&end);
                }
                Output::Event(ConnectionEvent::Reconnecting {
                    attempt,
                    delay,
                    broker,
                }) => {
                    assert!(broker < self.brokers, "broker {broker} of {}", self.brokers);
                    if delay.is_zero() && self.brokers > 1 {
                        // The next broker at once, within a round; the backoff after it.
                        self.zero_delays += 1;
                        assert!(
                            self.zero_delays < self.brokers,
                            "{} retries without a delay, with {} brokers",
                            self.zero_delays,
                            self.brokers
                        );
                        continue;
                    }
                    self.zero_delays = 0;
                    // Never sooner than the floor.
                    assert!(delay >= BACKOFF.floor(), "{delay:?} below the floor");
                    if self.must_grow {
                        assert!(
                            attempt > self.last_attempt,
                            "attempt {attempt} after {}: the backoff started afresh without a stable connection",
                            self.last_attempt
                        );
                    }
                    self.last_attempt = attempt;
                }
                _ => {}
            }
        }
    }

    /// The supervisor's decision after `end`; a retry opens the next connection after the
    /// delay, a stop stops.
    fn next(&mut self, end: &End) {
        if self.stopped {
            return;
        }
        let up = self
            .up_since
            .take()
            .map(|since| self.now.saturating_duration_since(since));
        let jitter = self.next_payload.wrapping_mul(2_654_435_761);
        // Not up for the stable period: the next retry's attempt number must be higher.
        self.must_grow = up.is_none_or(|up| up < STABLE);
        match self.s.handle_end(self.now, end, false, false, jitter) {
            Next::Retry(delay) => {
                assert!(
                    delay >= BACKOFF.floor() || (delay.is_zero() && self.brokers > 1),
                    "{delay:?} below the floor"
                );
                self.now = self.now + delay;
                self.broker.new_connection();
                self.s.handle_transport_open(self.now);
            }
            _ => self.stop(),
        }
    }

    fn stop(&mut self) {
        if !self.stopped {
            self.stopped = true;
            self.s.stop();
            self.outputs();
        }
    }

    /// A forgetful broker sends a completed QoS 2 message again (DUP, same identifier and
    /// content), then releases it.
    fn stale_resend(&mut self, pick: u8) {
        if !self.broker.is_connected() || self.completed.is_empty() {
            return;
        }
        let index = usize::from(pick) % self.completed.len();
        let Some((&id, (topic, payload))) = self.completed.iter().nth(index) else {
            return;
        };
        let id = mqtt_proto::PacketId::new(id).expect("non-zero");
        // The broker must not be using that identifier again right now.
        let in_use = self
            .broker
            .session("fuzz")
            .is_some_and(|s| s.unacknowledged().any(|u| u == id));
        if in_use {
            return;
        }
        let mut publish = Publish::new(topic.clone(), QosPid::ExactlyOnce(id), payload.clone());
        publish.dup = true;
        self.broker.send_packet(&publish.into());
        self.broker.send_packet(&PubRel::new(id).into());
    }

    /// Records the broker's completed outbound QoS 2 exchanges (PUBCOMP received).
    fn record_completions(&mut self) {
        let sent: BTreeMap<u16, (TopicName, Bytes)> = self
            .broker
            .sent()
            .iter()
            .filter_map(|p| match p {
                Packet::Publish(p) if p.qos() == QoS::ExactlyOnce && !p.dup => p
                    .qos_pid
                    .packet_id()
                    .map(|id| (id.get(), (p.topic_name(), p.payload_bytes()))),
                _ => None,
            })
            .collect();
        for packet in self.broker.take_received() {
            if let Packet::PubComp(comp) = packet {
                if let Some(payload) = sent.get(&comp.packet_id.get()) {
                    self.completed.insert(comp.packet_id.get(), payload.clone());
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, mut ops)) = data.split_first() else {
        return;
    };
    let version = VERSIONS[usize::from(first & 1) + 1];
    let config = Config::new(MqttString::from_static("fuzz"))
        .with_version(version)
        .with_clean_start(false)
        .with_session_expiry(Duration::from_secs(3600))
        .with_max_inflight(3)
        .with_max_pending(8)
        .with_keep_alive(Duration::from_secs(5));
    let mut policy = Policy::default();
    policy.backoff = BACKOFF;
    policy.stable_after = STABLE;
    if first & 2 != 0 {
        policy.takeover = Takeover::Reconnect(Duration::from_secs(3));
    }
    let brokers = if first & 4 != 0 { 2 } else { 1 };
    let mut s = Supervisor::new(config.clone(), policy.clone());
    s.set_brokers(brokers);
    s.set_store(true);
    let mut w = World {
        s,
        config,
        policy,
        version,
        stored: Stored::default(),
        broker: FakeBroker::new(BrokerConfig::new()),
        now: Instant::ZERO,
        out: Chunks::new(),
        tags: BTreeMap::new(),
        next_tag: 0,
        surfaced: BTreeSet::new(),
        published: Vec::new(),
        may_repeat: BTreeSet::new(),
        completed: BTreeMap::new(),
        next_payload: 0,
        stopped: false,
        up_since: None,
        last_attempt: 0,
        must_grow: false,
        drop_after_connack: None,
        brokers,
        zero_delays: 0,
    };
    w.s.handle_transport_open(w.now);
    w.pump();

    while let Some((&op, rest)) = ops.split_first() {
        if w.stopped {
            break;
        }
        ops = rest;
        let arg = ops.first().copied().unwrap_or(0);
        ops = ops.get(1..).unwrap_or_default();
        match op % 16 {
            0 | 1 => {
                let qos = QoS::try_from(arg % 3).expect("0 to 2");
                // Content of its own: routed back, each message is told apart by it.
                w.next_payload += 1;
                let payload = Bytes::from([&[arg][..], &w.next_payload.to_be_bytes()[..]].concat());
                if qos == QoS::ExactlyOnce {
                    w.published.push(payload.clone());
                }
                let message = Message::new(TopicName::from_static("out/t"), qos, payload);
                if arg & 0x80 == 0 {
                    let tag = w.tag();
                    w.s.publish(message, tag);
                } else {
                    w.s.send(message);
                }
            }
            2 => {
                let tag = w.tag();
                w.s.flush(tag);
            }
            3 => {
                let tag = w.tag();
                let filter = ["in/#", "out/#", "in/q2"][usize::from(arg) % 3];
                let sub = Subscription::new(TopicFilter::from_static(filter), QoS::ExactlyOnce);
                w.s.subscribe(vec![sub], SubscribeProperties::default(), tag);
            }
            4 => {
                let tag = w.tag();
                let filter = TopicFilter::from_static(["in/#", "out/#"][usize::from(arg) % 2]);
                w.s.unsubscribe(vec![filter], UnsubscribeProperties::default(), tag);
            }
            5 | 6 => {
                // An inbound message with content of its own.
                w.next_payload += 1;
                let qos = QoS::try_from(arg % 3).expect("0 to 2");
                let payload = Bytes::from(w.next_payload.to_be_bytes().to_vec());
                let topic = TopicName::from_static(if qos == QoS::ExactlyOnce {
                    "in/q2"
                } else {
                    "in/t"
                });
                let publish =
                    Publish::new(topic, QosPid::new(qos, mqtt_proto::PacketId::MIN), payload);
                if w.broker.is_connected() {
                    w.broker.publish_to_client(publish);
                }
            }
            7 if arg & 0xC0 == 0xC0 => w.crash(),
            7 => w.stale_resend(arg),
            8 => {
                // The connection breaks.
                if w.broker.is_connected() {
                    w.broker.connection_closed();
                    w.s.handle_transport_closed(w.now);
                }
            }
            9 => {
                w.now = w.now + Duration::from_millis(u64::from(arg) * 50);
                w.s.handle_timeout(w.now);
            }
            10 => {
                // The broker loses the session: what it completed belongs to the old one.
                w.broker.expire_session("fuzz");
                w.completed.clear();
                w.may_repeat.extend(w.published.iter().cloned());
            }
            11 => {
                w.drop_after_connack = Some(
                    [
                        ReasonCode::SERVER_BUSY,
                        ReasonCode::NOT_AUTHORIZED,
                        ReasonCode::SESSION_TAKEN_OVER,
                        ReasonCode::QUOTA_EXCEEDED,
                    ][usize::from(arg) % 4],
                );
            }
            12 => {
                let answer = match arg % 4 {
                    0 => ConnectAnswer::Refuse(ReasonCode::SERVER_UNAVAILABLE),
                    // MQTT 3.1.1 has no return code for it.
                    1 if version.is_v5() => ConnectAnswer::Refuse(ReasonCode::SERVER_BUSY),
                    _ => ConnectAnswer::Accept,
                };
                w.broker.config_mut().connect_answer = answer;
            }
            13 => {
                w.broker.hold_acks(arg & 1 == 0);
                if arg & 1 == 1 {
                    w.broker.release_acks();
                }
            }
            14 => {
                let tag = w.tag();
                w.s.disconnect(w.now, Duration::from_millis(u64::from(arg) * 10), tag);
            }
            _ => {
                if arg & 1 == 0 {
                    let tag = w.tag();
                    w.s.abort(w.now, tag);
                } else {
                    w.s.abandon(w.now);
                }
            }
        }
        w.pump();
        w.record_completions();
        if w.s.must_stop() && !w.stopped {
            let end =
                w.s.handle_closed(mqtt_sansio::DisconnectReason::ByClient, true);
            assert_eq!(end, End::Stop);
            w.stop();
        }
    }
    w.stop();
    for (tag, count) in &w.tags {
        assert_eq!(*count, 1, "command {tag} answered {count} times");
    }
});
