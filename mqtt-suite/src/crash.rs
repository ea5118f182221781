//! Process crashes: a publisher and a subscriber, each in a process of its own with a session
//! store, killed with SIGKILL at random instants and started again, against Mosquitto with
//! persistence. Every message the publisher's `send` accepted must reach the subscribing
//! application; at QoS 2, none twice.
//!
//! The publisher (`mqtt-blocking`, whose `send` returns once the message is in the store) sends
//! numbered messages, alternately QoS 1 and QoS 2. Before it gives number `n` to `send` it
//! writes `n + 1` to its progress file, so that the next process starts after it (a number
//! whose `send` never returned is never sent twice); once `send` returned it prints
//! `accepted n`, which the orchestrator reads: the messages that must arrive. At the end it
//! waits until the session has nothing in flight (the acknowledgements of a previous process's
//! messages included) and prints `done`.
//!
//! The subscriber acknowledges by hand: for each message it appends the number to its log,
//! acknowledges (`ack` returns once the receipt is in the store), then appends that it did. A
//! message acknowledged must never come again at QoS 2: its receipt survives the process. A
//! message the process logged and was killed before acknowledging comes again, as it must
//! (the broker never had its acknowledgement): the application saw it, but never took it;
//! those are counted apart. The orchestrator reads the log: every accepted number must be in
//! it, and no QoS 2 number after its acknowledgement.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mqtt_driver::StoreOptions;
use mqtt_driver::store::Durability;
use mqtt_proto::{ProtocolVersion, QoS, TopicName};
use mqtt_sansio::{Backoff, Message};
use mqtt_test::SplitMix64;

use crate::Mosquitto;

/// The topic of the numbered messages.
const TOPIC: &str = "crash/numbers";
/// How long the end of a run may take: the last messages in flight, the subscriber catching up.
const SETTLE: Duration = Duration::from_secs(120);

/// What one crash run does.
#[derive(Clone, Debug)]
pub struct CrashPlan {
    /// How many messages the publisher sends, alternately QoS 1 and QoS 2.
    pub messages: u32,
    /// How many times the publisher is killed (while it runs); the subscriber with it every
    /// other time.
    pub kills: u32,
    /// The longest life of a process between kills, in milliseconds (each life is drawn
    /// between a fifth of it and all of it).
    pub life_ms: u64,
    /// The seed of the kill instants and victims.
    pub seed: u64,
    /// The protocol version of both clients.
    pub version: ProtocolVersion,
    /// The program whose `crash-publisher` and `crash-subscriber` modes the children run (the
    /// `chaos` binary).
    pub program: PathBuf,
}

/// What one crash run measured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrashReport {
    pub seed: u64,
    /// Messages whose `send` returned (the publisher said so before it was killed).
    pub accepted: u64,
    /// Distinct accepted messages in the subscriber's log.
    pub received: u64,
    /// Accepted messages not in the log.
    pub lost: u64,
    /// QoS 1 deliveries beyond the first (allowed: at least once).
    pub duplicated_qos1: u64,
    /// QoS 2 deliveries of a message the application had acknowledged (must be 0).
    pub duplicated_qos2: u64,
    /// Deliveries of a message the application had logged and was killed before it
    /// acknowledged it: the broker sends it again, as it must.
    pub redelivered_unacknowledged: u64,
    /// SIGKILLs of the publisher.
    pub publisher_kills: u64,
    /// SIGKILLs of the subscriber.
    pub subscriber_kills: u64,
    pub millis: u64,
    /// Why the run failed, if it did.
    pub error: Option<String>,
}

fn payload(n: u32) -> Bytes {
    let mut bytes = n.to_be_bytes().to_vec();
    bytes.resize(32, 0x5C);
    Bytes::from(bytes)
}

fn qos_of(n: u32) -> QoS {
    if n % 2 == 0 {
        QoS::AtLeastOnce
    } else {
        QoS::ExactlyOnce
    }
}

fn options(url: &str, id: &str, version: ProtocolVersion, store: &Path) -> mqtt_driver::Options {
    let mut o = mqtt_driver::Options::new(url, id).expect("a valid address");
    o.config.version = version;
    o.config.clean_start = false;
    if version.is_v5() {
        o.config.session_expiry_interval = Some(3600);
    }
    o.config.max_inflight = 16;
    o.policy.backoff = Backoff::new(Duration::from_millis(10), 2, Duration::from_millis(200));
    o.store = Some(StoreOptions::file(store).with_durability(Durability::Batched));
    o
}

/// The publisher child: sends from its progress file's number to `messages`, then waits until
/// nothing is in flight.
///
/// # Panics
/// When the broker cannot be reached or the files cannot be written: the orchestrator reports
/// the child's failure.
pub fn publisher(url: &str, dir: &Path, messages: u32, version: ProtocolVersion) {
    let options = options(
        url,
        "crash-publisher",
        version,
        &dir.join("publisher.session"),
    );
    let (client, _messages, _events) = mqtt_blocking::connect(options).expect("connected");
    let progress = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join("publisher.next"))
        .expect("the progress file");
    let mut next = [0_u8; 4];
    let start = match progress.read_exact_at(&mut next, 0) {
        Ok(()) => u32::from_be_bytes(next),
        Err(_) => 0,
    };
    let topic = TopicName::new(TOPIC).expect("a topic");
    let mut out = std::io::stdout().lock();
    for n in start..messages {
        progress
            .write_all_at(&(n + 1).to_be_bytes(), 0)
            .expect("progress written");
        client
            .send(Message::new(topic.clone(), qos_of(n), payload(n)))
            .expect("accepted");
        let _ = writeln!(out, "accepted {n}");
        let _ = out.flush();
    }
    // Done once the session holds nothing: this process's messages and the previous ones'.
    loop {
        let stats = client.stats();
        if stats.inflight_out == 0 && stats.pending == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = writeln!(out, "done");
    let _ = out.flush();
    let _ = client.disconnect();
}

/// The subscriber child: logs every message, then acknowledges it.
///
/// # Panics
/// When the broker cannot be reached or the log cannot be written.
pub fn subscriber(url: &str, dir: &Path, version: ProtocolVersion) {
    let mut options = options(
        url,
        "crash-subscriber",
        version,
        &dir.join("subscriber.session"),
    );
    options.config.manual_acks = true;
    let (client, messages, _events) = mqtt_blocking::connect(options).expect("connected");
    client
        .subscribe(TOPIC, QoS::ExactlyOnce)
        .expect("subscribed");
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("subscriber.log"))
        .expect("the log");
    while let Some(message) = messages.recv() {
        let n = message
            .payload()
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .map_or(u32::MAX, u32::from_be_bytes);
        // One write per record: all of it or nothing reaches the file when the process dies.
        log.write_all(&record(n, message.qos(), LOGGED))
            .expect("logged");
        if message.qos() != QoS::AtMostOnce {
            client.ack(&message).expect("acknowledged");
        }
        log.write_all(&record(n, message.qos(), ACKNOWLEDGED))
            .expect("logged");
    }
}

/// The kinds of the subscriber's log records.
const LOGGED: u8 = 1;
const ACKNOWLEDGED: u8 = 2;

/// A record of the subscriber's log: the number, the QoS, the kind.
fn record(number: u32, qos: QoS, kind: u8) -> [u8; 6] {
    let mut record = [0; 6];
    record[..4].copy_from_slice(&number.to_be_bytes());
    record[4] = qos as u8;
    record[5] = kind;
    record
}

/// The subscriber's log: number, QoS and kind of each record.
fn read_log(path: &Path) -> Vec<(u32, u8, u8)> {
    let mut bytes = Vec::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_end(&mut bytes);
    }
    bytes
        .chunks_exact(6)
        .map(|r| (u32::from_be_bytes([r[0], r[1], r[2], r[3]]), r[4], r[5]))
        .collect()
}

/// Whether every accepted number is in the log.
fn complete(records: &[(u32, u8, u8)], accepted: &BTreeSet<u32>) -> bool {
    let seen: BTreeSet<u32> = records.iter().map(|r| r.0).collect();
    accepted.iter().all(|n| seen.contains(n))
}

/// Counts what the log says against what was accepted.
fn count(records: &[(u32, u8, u8)], accepted: &BTreeSet<u32>, report: &mut CrashReport) {
    // Per number: whether it was acknowledged.
    let mut state: BTreeMap<u32, bool> = BTreeMap::new();
    for &(n, qos, kind) in records {
        if kind == ACKNOWLEDGED {
            state.insert(n, true);
            continue;
        }
        match state.get(&n) {
            None => {
                state.insert(n, false);
            }
            Some(true) if qos == 2 => report.duplicated_qos2 += 1,
            Some(true) => report.duplicated_qos1 += 1,
            Some(false) => report.redelivered_unacknowledged += 1,
        }
    }
    report.accepted = accepted.len() as u64;
    report.received = accepted.iter().filter(|n| state.contains_key(n)).count() as u64;
    report.lost = report.accepted - report.received;
}

/// A child process, and what it printed.
struct Life {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Life {
    fn start(program: &Path, args: &[String]) -> Self {
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the child starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("its stdout");
        let into = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                into.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(line);
            }
        });
        Self { child, lines }
    }

    fn kill(&mut self) {
        // SIGKILL: nothing of the process runs after it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    fn take_lines(&self) -> Vec<String> {
        std::mem::take(
            &mut *self
                .lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// Runs `plan`: the broker, the two children, the kills, and the count.
pub fn run(plan: &CrashPlan) -> CrashReport {
    let started = Instant::now();
    let broker = Mosquitto::persistent();
    let dir = broker.dir().join("crash");
    std::fs::create_dir_all(&dir).expect("the run's directory");
    let version = if plan.version.is_v5() { "5" } else { "3.1.1" };
    let url = broker.url();
    let publisher_args = vec![
        "crash-publisher".to_owned(),
        url.clone(),
        dir.display().to_string(),
        plan.messages.to_string(),
        version.to_owned(),
    ];
    let subscriber_args = vec![
        "crash-subscriber".to_owned(),
        url,
        dir.display().to_string(),
        version.to_owned(),
    ];
    let mut report = CrashReport {
        seed: plan.seed,
        ..CrashReport::default()
    };
    let mut accepted = BTreeSet::new();
    let mut note = |life: &Life, done: &mut bool| {
        for line in life.take_lines() {
            if let Some(n) = line.strip_prefix("accepted ") {
                if let Ok(n) = n.parse::<u32>() {
                    accepted.insert(n);
                }
            } else if line == "done" {
                *done = true;
            }
        }
    };
    let mut rng = SplitMix64::new(plan.seed);
    // The subscriber first, so that its subscription exists before the first message.
    let mut subscriber = Life::start(&plan.program, &subscriber_args);
    let log = dir.join("subscriber.log");
    wait_for(
        || dir.join("subscriber.log").exists(),
        Duration::from_secs(20),
    );
    let mut publisher = Life::start(&plan.program, &publisher_args);
    let mut done = false;
    for kill in 0..plan.kills {
        let life = plan.life_ms / 5 + rng.next_u64() % (plan.life_ms - plan.life_ms / 5 + 1);
        std::thread::sleep(Duration::from_millis(life));
        note(&publisher, &mut done);
        // The publisher every time, the subscriber with it every other time.
        let (kill_publisher, kill_subscriber) = (true, kill % 2 == 1);
        if kill_publisher && !publisher.exited() {
            publisher.kill();
            report.publisher_kills += 1;
            note(&publisher, &mut done);
        }
        if kill_subscriber {
            subscriber.kill();
            report.subscriber_kills += 1;
            subscriber = Life::start(&plan.program, &subscriber_args);
        }
        if kill_publisher && !done {
            publisher = Life::start(&plan.program, &publisher_args);
        }
    }
    // No more kills: the publisher finishes, the subscriber catches up.
    let deadline = Instant::now() + SETTLE;
    while !done && Instant::now() < deadline {
        note(&publisher, &mut done);
        if !done && publisher.exited() {
            note(&publisher, &mut done);
            if !done {
                report.error = Some("the publisher ended without finishing".into());
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if !done && report.error.is_none() {
        report.error = Some("the publisher did not finish in time".into());
    }
    while !complete(&read_log(&log), &accepted) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    subscriber.kill();
    publisher.kill();
    count(&read_log(&log), &accepted, &mut report);
    report.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    report
}

fn wait_for(mut ready: impl FnMut() -> bool, within: Duration) {
    let deadline = Instant::now() + within;
    while !ready() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}
