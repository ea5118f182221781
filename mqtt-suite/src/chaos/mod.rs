//! Fault injection with figures: a publisher and a subscriber with persistent sessions exchange
//! numbered messages through a proxy that cuts their connections mid-frame, while the broker
//! (Mosquitto, with persistence) is restarted; and a stalled consumer offered a million
//! messages. Each run reports what was sent, acknowledged, received, lost and duplicated, the
//! faults, the reconnections, the time and the peak resident memory.
//!
//! `scripts/chaos` runs the whole set (the `chaos` binary of this crate, each run in a process
//! of its own); `tests/chaos.rs` runs a short version in every `cargo test`.

mod proxy;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mqtt_driver::{Jitter, Options};
use mqtt_proto::{ProtocolVersion, QoS, TopicName};
use mqtt_sansio::{Backoff, ConnectionEvent, Message};
use mqtt_test::SplitMix64;

pub use proxy::CuttingProxy;

use crate::{Adapter, Connection, Mosquitto};

/// What one run does.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The QoS of every message.
    pub qos: QoS,
    /// How many messages the publisher sends.
    pub messages: u32,
    /// How many times the proxy cuts the connections (at least; a restart cuts them too).
    pub cuts: u32,
    /// How many times the broker is restarted (SIGTERM, started again on its persistence file).
    pub restarts: u32,
    /// The seed of the cut offsets, the restart pauses and the clients' reconnect jitter.
    pub seed: u64,
    /// The protocol version of both clients.
    pub version: ProtocolVersion,
}

/// What one run measured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The adapter.
    pub adapter: String,
    /// What it was: `qos1`, `qos2`, `stall`.
    pub scenario: String,
    pub seed: u64,
    /// Messages given to `send`.
    pub sent: u64,
    /// Messages the broker acknowledged (all of them when the final flush succeeded).
    pub acknowledged: u64,
    /// Distinct messages the subscriber received.
    pub received: u64,
    /// Messages sent and never received.
    pub lost: u64,
    /// Deliveries beyond the first of a message.
    pub duplicated: u64,
    /// Of those, the ones that came with DUP set (the broker sending again what it had sent).
    pub duplicated_dup: u64,
    /// QoS 2 messages the subscriber's duplicate guard held back.
    pub suppressed: u64,
    /// Connections the proxy cut.
    pub cuts: u64,
    /// Broker restarts.
    pub restarts: u64,
    /// Reconnections of both clients.
    pub reconnects: u64,
    /// QoS 0 messages received (stalled consumer only).
    pub qos0_received: u64,
    pub millis: u64,
    /// The process's peak resident memory during the run, in KiB.
    pub peak_rss_kib: u64,
    /// Why the run failed, if it did.
    pub error: Option<String>,
}

/// The topic of the numbered messages.
const TOPIC: &str = "chaos/numbers";
/// Payload bytes after the number, so that frames are longer than a few bytes.
const PADDING: usize = 28;
/// How long the subscriber waits for a message before the run counts as stuck.
const STUCK: Duration = Duration::from_secs(60);

fn options(url: &str, id: &str, plan: &Plan, salt: u64) -> Options {
    let mut o = Options::new(url, id).expect("a valid address");
    o.config.version = plan.version;
    o.config.clean_start = false;
    if plan.version.is_v5() {
        o.config.session_expiry_interval = Some(3600);
    }
    o.jitter = Jitter::seeded(plan.seed ^ salt);
    // Faults come every second or so: a backoff that starts afresh after a second up, and
    // never waits more than a second, keeps a run short (the default policy would wait up to
    // two minutes between so many faults).
    o.policy.backoff = Backoff::new(Duration::from_millis(10), 2, Duration::from_secs(1));
    o.policy.stable_after = Duration::from_secs(1);
    // Every event is counted: none may be dropped for lagging.
    o.event_capacity = 1 << 20;
    o
}

fn payload(n: u32) -> Bytes {
    let mut bytes = n.to_be_bytes().to_vec();
    bytes.resize(4 + PADDING, 0xC5);
    Bytes::from(bytes)
}

fn number(payload: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(payload.get(..4)?.try_into().ok()?))
}

/// Counts the reconnections and the duplicate guard's suppressions among the events.
fn tally(connection: &impl Connection, report: &mut Report) {
    while let Some(event) = connection.next_event(Duration::ZERO) {
        match event {
            ConnectionEvent::Reconnecting { .. } => report.reconnects += 1,
            ConnectionEvent::DuplicateSuppressed { .. } => report.suppressed += 1,
            _ => {}
        }
    }
}

/// The publisher, subscriber, proxy, broker and faults of one run under `plan`.
pub fn run<A: Adapter>(plan: &Plan) -> Report {
    reset_peak_rss();
    let started = Instant::now();
    let mut report = Report {
        adapter: A::NAME.to_owned(),
        scenario: format!("qos{}", plan.qos as u8),
        seed: plan.seed,
        sent: u64::from(plan.messages),
        ..Report::default()
    };
    let broker = Arc::new(Mutex::new(Mosquitto::persistent()));
    let port = broker.lock().unwrap().port;
    let proxy = Arc::new(CuttingProxy::start(port, plan.seed));
    let subscriber = match A::connect(options(&proxy.url(), "chaos-sub", plan, 1)) {
        Ok(s) => s,
        Err(e) => return failed(report, format!("subscriber: {e}")),
    };
    if let Err(e) = subscriber.subscribe("chaos/#", plan.qos) {
        return failed(report, format!("subscribe: {e}"));
    }
    let publisher = match A::connect(options(&proxy.url(), "chaos-pub", plan, 2)) {
        Ok(p) => p,
        Err(e) => return failed(report, format!("publisher: {e}")),
    };

    let progress = Arc::new(AtomicU32::new(0));
    let faults = std::thread::spawn({
        let (plan, progress, proxy, broker) = (
            plan.clone(),
            progress.clone(),
            proxy.clone(),
            broker.clone(),
        );
        move || inject(&plan, &progress, &proxy, &broker)
    });
    let sending = std::thread::spawn({
        let plan = plan.clone();
        move || {
            let topic = TopicName::new(TOPIC).expect("a valid topic");
            for n in 0..plan.messages {
                if let Err(e) = publisher.send(Message::new(topic.clone(), plan.qos, payload(n))) {
                    return (publisher, Err(e));
                }
            }
            let flushed = publisher.flush();
            (publisher, flushed)
        }
    });

    let mut deliveries: BTreeMap<u32, u32> = BTreeMap::new();
    let mut last = Instant::now();
    while deliveries.len() < plan.messages as usize {
        if let Some(message) = subscriber.next_message(Duration::from_millis(200)) {
            if let Some(n) = number(message.payload()) {
                let count = deliveries.entry(n).or_default();
                *count += 1;
                if *count > 1 && message.dup {
                    report.duplicated_dup += 1;
                }
            }
            let distinct = u32::try_from(deliveries.len()).unwrap_or(u32::MAX);
            progress.store(distinct, Ordering::SeqCst);
            last = Instant::now();
        } else if last.elapsed() > STUCK {
            break;
        }
    }
    let (faults_done, (publisher, flushed)) = (faults.join(), sending.join().expect("sender"));
    report.restarts = faults_done.unwrap_or(0);
    if flushed.is_ok() {
        report.acknowledged = report.sent;
    } else if let Err(e) = flushed {
        report.error = Some(format!("flush: {e}"));
    }
    // Anything still on its way arrives within a moment: a duplicate is counted too.
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_millis(500) {
        if let Some(message) = subscriber.next_message(Duration::from_millis(100)) {
            if let Some(n) = number(message.payload()) {
                let count = deliveries.entry(n).or_default();
                *count += 1;
                if *count > 1 && message.dup {
                    report.duplicated_dup += 1;
                }
            }
        }
    }
    report.received = deliveries.len() as u64;
    report.lost = report.sent - report.received;
    report.duplicated = deliveries.values().map(|c| u64::from(c - 1)).sum();
    report.cuts = proxy.cuts();
    tally(&publisher, &mut report);
    tally(&subscriber, &mut report);
    let _ = publisher.disconnect();
    let _ = subscriber.disconnect();
    report.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    report.peak_rss_kib = peak_rss_kib();
    report
}

/// Cuts and restarts spread over the run, as the subscriber's progress crosses their points;
/// returns the number of restarts.
fn inject(
    plan: &Plan,
    progress: &AtomicU32,
    proxy: &CuttingProxy,
    broker: &Mutex<Mosquitto>,
) -> u64 {
    let mut rng = SplitMix64::new(plan.seed.rotate_left(17));
    let at = |k: u32, of: u32| u64::from(plan.messages) * u64::from(k) / u64::from(of + 1);
    let mut events: Vec<(u64, bool)> = (1..=plan.cuts)
        .map(|k| (at(k, plan.cuts), false))
        .chain((1..=plan.restarts).map(|k| (at(k, plan.restarts), true)))
        .collect();
    events.sort_unstable();
    let mut restarts = 0;
    let started = Instant::now();
    for (point, restart) in events {
        while u64::from(progress.load(Ordering::SeqCst)) < point {
            if started.elapsed() > STUCK * 10 {
                return restarts;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        if restart {
            let mut broker = broker.lock().unwrap();
            broker.stop();
            std::thread::sleep(Duration::from_millis(rng.range_inclusive(50, 500)));
            broker.start_again();
            restarts += 1;
        } else {
            // Within the next few frames: mid-frame more often than not.
            proxy.cut(256);
        }
    }
    restarts
}

fn failed(mut report: Report, error: String) -> Report {
    report.error = Some(error);
    report.peak_rss_kib = peak_rss_kib();
    report
}

/// A consumer that stops reading while a publisher offers `messages` messages, half QoS 0 and
/// half QoS 1, then reads again: the client's memory stays bounded while it waits (the broker
/// holds what it cannot send), and every QoS 1 message arrives once it resumes.
pub fn stall<A: Adapter>(messages: u32, seed: u64) -> Report {
    reset_peak_rss();
    let started = Instant::now();
    let mut report = Report {
        adapter: A::NAME.to_owned(),
        scenario: "stall".to_owned(),
        seed,
        sent: u64::from(messages),
        ..Report::default()
    };
    let broker = Mosquitto::persistent();
    let plan = Plan {
        qos: QoS::AtLeastOnce,
        messages,
        cuts: 0,
        restarts: 0,
        seed,
        version: ProtocolVersion::V5,
    };
    let subscriber = match A::connect(options(&broker.url(), "stalled", &plan, 1)) {
        Ok(s) => s,
        Err(e) => return failed(report, format!("subscriber: {e}")),
    };
    if let Err(e) = subscriber.subscribe("chaos/#", QoS::AtLeastOnce) {
        return failed(report, format!("subscribe: {e}"));
    }
    let publisher = match A::connect(options(&broker.url(), "offering", &plan, 2)) {
        Ok(p) => p,
        Err(e) => return failed(report, format!("publisher: {e}")),
    };
    let topic = TopicName::new(TOPIC).expect("a valid topic");
    for n in 0..messages {
        let qos = if n % 2 == 0 {
            QoS::AtMostOnce
        } else {
            QoS::AtLeastOnce
        };
        if let Err(e) = publisher.send(Message::new(topic.clone(), qos, payload(n))) {
            return failed(report, format!("send: {e}"));
        }
    }
    match publisher.flush() {
        Ok(()) => report.acknowledged = report.sent,
        Err(e) => return failed(report, format!("flush: {e}")),
    }
    // The consumer has read nothing so far: what it holds now is its stalled footprint.
    let stalled_peak = peak_rss_kib();
    let mut deliveries = vec![0_u8; messages as usize];
    let mut last = Instant::now();
    let qos1 = u64::from(messages / 2);
    let mut qos1_received = 0;
    while qos1_received < qos1 && last.elapsed() < STUCK {
        if let Some(message) = subscriber.next_message(Duration::from_millis(200)) {
            last = Instant::now();
            if let Some(slot) =
                number(message.payload()).and_then(|n| deliveries.get_mut(n as usize))
            {
                *slot = slot.saturating_add(1);
                if *slot == 1 {
                    if message.qos() == QoS::AtMostOnce {
                        report.qos0_received += 1;
                    } else {
                        qos1_received += 1;
                    }
                }
            }
        }
    }
    report.received = qos1_received + report.qos0_received;
    report.lost = qos1 - qos1_received;
    report.duplicated = deliveries
        .iter()
        .map(|&c| u64::from(c.saturating_sub(1)))
        .sum();
    tally(&publisher, &mut report);
    tally(&subscriber, &mut report);
    let _ = publisher.disconnect();
    let _ = subscriber.disconnect();
    report.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    report.peak_rss_kib = stalled_peak;
    report
}

/// Resets the process's peak resident memory (Linux: `/proc/self/clear_refs`), so that the next
/// reading is this run's.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident memory in KiB (Linux `VmHWM`), 0 where unknown.
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

/// The process's anonymous resident memory now, in KiB (Linux `RssAnon`: heap and stacks, its
/// data rather than the code pages of its binary and libraries), 0 where unknown.
pub fn anonymous_rss_kib() -> u64 {
    status_kib("RssAnon:")
}

/// A figure in kB of this process's `/proc/self/status`, 0 where unknown.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Two clients with one client identifier and the default policy, against Mosquitto (which
/// closes the connection it takes over without a word), for `seconds`: how many takeovers, in
/// each minute.
pub fn takeover<A: Adapter>(seconds: u64, version: ProtocolVersion) -> Vec<u32> {
    let broker = Mosquitto::start();
    let twin = || {
        let mut o = Options::new(&broker.url(), "chaos-twin").expect("a valid address");
        o.config.version = version;
        o
    };
    let (Ok(first), Ok(second)) = (A::connect(twin()), A::connect(twin())) else {
        return Vec::new();
    };
    let started = Instant::now();
    let mut per_minute = vec![0_u32; usize::try_from(seconds.div_ceil(60)).unwrap_or(1)];
    while started.elapsed() < Duration::from_secs(seconds) {
        for client in [&first, &second] {
            if let Some(ConnectionEvent::Disconnected(_)) =
                client.next_event(Duration::from_millis(10))
            {
                let minute = usize::try_from(started.elapsed().as_secs() / 60).unwrap_or(0);
                if let Some(count) = per_minute.get_mut(minute) {
                    *count += 1;
                }
            }
        }
    }
    let _ = first.abort();
    let _ = second.abort();
    per_minute
}
