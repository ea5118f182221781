//! Thousands of connections in one process, as load generators and gateways use a client:
//! `mqtt-tokio` and `rumqttc` side by side against the same local Mosquitto.
//!
//! Run: `cargo bench -p mqtt-benches --bench connections`. For each client and each count of
//! connections (10,000, then as many as the file limit allows, `CONN_COUNTS` to choose), a child
//! process of its own, on a current-thread tokio runtime:
//!
//! 1. opens the connections (MQTT 3.1.1, keep-alive 30 s, at most [`OPENING`] at a time):
//!    **connections per second**, until the last CONNACK;
//! 2. leaves them idle for a second: **memory per idle connection** (the growth of the
//!    anonymous resident memory, heap and stacks, over the process before the first one);
//! 3. publishes one QoS 1 message on each, all at once: **time until the last PUBACK**;
//! 4. subscribes each to `fleet/all` and publishes [`STREAM`] messages of 1 KiB (QoS 0) there
//!    from one more connection: each receives 64 KiB; **memory per connection** once all have.
//!
//! mqtt-tokio's connections wait for a PINGRESP as long as the keep-alive, as rumqttc's do
//! (the default is at most 10 s): Mosquitto answers late while it fans the stream out. The
//! source of the stream has a keep-alive of [`SOURCE_KEEP_ALIVE`] with either client: its
//! PINGREQ waits behind the messages Mosquitto has not read yet.
//!
//! `CONN_UNTIL=publish` makes a child stop after step 3, to profile the steps before the stream.
//!
//! Each connection takes a file in the client and one in Mosquitto: the largest count is the
//! (soft) file limit less 200, which both inherit. Medians of `CONN_REPS`
//! runs (default 3), printed as a Markdown table.

#![allow(
    clippy::cast_precision_loss,
    reason = "counts and sizes in a report: far below 2^52"
)]

use std::future::Future;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// How many connections are being opened at once, at most.
const OPENING: usize = 64;
/// The messages each connection receives in the last step, of 1 KiB each.
const STREAM: u64 = 64;
/// The topic of the stream.
const TOPIC: &str = "fleet/all";
/// How long any step may take before the run is reported as stalled.
const STALL: Duration = Duration::from_secs(300);
/// The keep-alive of the connections that receive.
const KEEP_ALIVE: Duration = Duration::from_secs(30);
/// The keep-alive of the stream's source, as long as a step may take: Mosquitto reads the
/// source's PINGREQ only once it has fanned out every message before it, which takes tens of
/// seconds to 20,000 connections, longer than any PINGRESP wait of a keep-alive of 30 s.
const SOURCE_KEEP_ALIVE: Duration = STALL;

fn main() {
    match std::env::var("CONN_CHILD") {
        Ok(client) => child(&client),
        Err(_) => parent(),
    }
}

/// The file limit of this process (the soft one: what the clients and the broker, started from
/// here, may open).
fn file_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        .unwrap_or(1024)
}

// ---- the parent: the broker, the runs, the table ----

/// What one run (a child) measured: printed by the child as a `RESULT` line, read back by the
/// parent.
#[derive(Clone, Copy, Default)]
struct Figures {
    connect: Duration,
    idle_kib: u64,
    publish: Duration,
    stream: Duration,
    traffic_kib: u64,
    complete: bool,
}

impl Figures {
    /// The figures of a child that stopped after the publish step.
    fn until_publish(connect: Duration, idle_kib: u64, publish: Duration, complete: bool) -> Self {
        Self {
            connect,
            idle_kib,
            publish,
            complete,
            ..Self::default()
        }
    }

    fn print(&self) {
        println!(
            "RESULT {} {} {} {} {} {}",
            self.connect.as_nanos(),
            self.idle_kib,
            self.publish.as_nanos(),
            self.stream.as_nanos(),
            self.traffic_kib,
            u8::from(self.complete),
        );
    }

    /// The figures of a `RESULT` line's fields.
    fn parse(line: &str) -> Self {
        let f: Vec<u64> = line
            .split(' ')
            .map(|f| f.parse().expect("a number"))
            .collect();
        Self {
            connect: Duration::from_nanos(f[0]),
            idle_kib: f[1],
            publish: Duration::from_nanos(f[2]),
            stream: Duration::from_nanos(f[3]),
            traffic_kib: f[4],
            complete: f[5] == 1,
        }
    }
}

fn run(client: &str, port: u16, count: usize) -> Figures {
    let output = Command::new(std::env::current_exe().expect("this binary"))
        .env("CONN_CHILD", client)
        .env("CONN_PORT", port.to_string())
        .env("CONN_COUNT", count.to_string())
        .stderr(Stdio::inherit())
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")) else {
        eprintln!("{client} ×{count}: no result ({})", output.status);
        return Figures::default();
    };
    Figures::parse(line)
}

/// The medians of a client's runs: connections per second, KiB per idle connection, ms to
/// publish on all, KiB per connection after the stream, ms until every connection has it.
fn summarise(runs: &[Figures], count: usize) -> [f64; 5] {
    let n = count as f64;
    [
        mqtt_benches::median(runs.iter().map(|r| n / r.connect.as_secs_f64()).collect()),
        mqtt_benches::median(runs.iter().map(|r| r.idle_kib as f64 / n).collect()),
        mqtt_benches::median(runs.iter().map(|r| r.publish.as_secs_f64() * 1e3).collect()),
        mqtt_benches::median(runs.iter().map(|r| r.traffic_kib as f64 / n).collect()),
        mqtt_benches::median(runs.iter().map(|r| r.stream.as_secs_f64() * 1e3).collect()),
    ]
}

fn parent() {
    let reps = std::env::var("CONN_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3_usize);
    // Each connection takes a descriptor in this process and one in the broker; a few dozen
    // more are the process's own.
    let most = usize::try_from(file_limit().saturating_sub(200)).unwrap_or(usize::MAX);
    let counts: Vec<usize> = std::env::var("CONN_COUNTS").map_or_else(
        |_| vec![10_000.min(most), most.min(30_000)],
        |c| c.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
    );
    let broker = mqtt_suite::Mosquitto::with_config("max_connections -1\nmax_queued_messages 0");
    println!(
        "| connections | client | connects/s | × | KiB per idle connection | × | \
         ms to publish one QoS 1 on each | × | KiB per connection after 64 KiB received | × | \
         ms until each has received 64 KiB | × |"
    );
    println!("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for count in counts {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for rep in 0..reps {
            // Alternate who goes first, so that neither always meets a warmer broker.
            if rep % 2 == 0 {
                ours.push(run("ours", broker.port, count));
                theirs.push(run("rumqttc", broker.port, count));
            } else {
                theirs.push(run("rumqttc", broker.port, count));
                ours.push(run("ours", broker.port, count));
            }
        }
        let (a, b) = (summarise(&ours, count), summarise(&theirs, count));
        let flag = |runs: &[Figures]| {
            if runs.iter().all(|r| r.complete) {
                ""
            } else {
                " (incomplete)"
            }
        };
        println!(
            "| {count} | mqtt-tokio{} | {:.0} | {:.2} | {:.1} | {:.2} | {:.0} | {:.2} | {:.1} | {:.2} | {:.0} | {:.2} |",
            flag(&ours),
            a[0],
            a[0] / b[0],
            a[1],
            a[1] / b[1],
            a[2],
            a[2] / b[2],
            a[3],
            a[3] / b[3],
            a[4],
            a[4] / b[4],
        );
        println!(
            "| {count} | rumqttc{} | {:.0} | | {:.1} | | {:.0} | | {:.1} | | {:.0} | |",
            flag(&theirs),
            b[0],
            b[1],
            b[2],
            b[3],
            b[4],
        );
    }
}

// ---- the children: one client, one count ----

fn child(client: &str) {
    mqtt_benches::without_log_fallback();
    let port: u16 = std::env::var("CONN_PORT")
        .expect("CONN_PORT")
        .parse()
        .expect("a port");
    let count: usize = std::env::var("CONN_COUNT")
        .expect("CONN_COUNT")
        .parse()
        .expect("a count");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let figures = match client {
        "ours" => runtime.block_on(ours::run(port, count)),
        "rumqttc" => runtime.block_on(theirs::run(port, count)),
        other => panic!("unknown client {other}"),
    };
    figures.print();
}

/// Waits until `counter` reaches `wanted` (or [`STALL`] passes, `CONN_STALL` seconds if set);
/// whether it did.
async fn reached(counter: &AtomicU64, wanted: u64) -> bool {
    let stall = std::env::var("CONN_STALL")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(STALL, Duration::from_secs);
    let deadline = Instant::now() + stall;
    while counter.load(Ordering::Relaxed) < wanted {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    true
}

/// Whether a child stops after the publish step (`CONN_UNTIL=publish`), to profile the steps
/// before the stream alone.
fn stop_after_publish() -> bool {
    std::env::var("CONN_UNTIL").is_ok_and(|until| until == "publish")
}

/// Opens `count` connections with `open`, at most [`OPENING`] at a time.
async fn open_all<T, F>(count: usize, open: impl Fn(usize) -> F) -> Vec<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let mut opened = Vec::with_capacity(count);
    let mut opening = tokio::task::JoinSet::new();
    for i in 0..count {
        if opening.len() >= OPENING {
            opened.push(opening.join_next().await.expect("one").expect("opened"));
        }
        opening.spawn(open(i));
    }
    while let Some(one) = opening.join_next().await {
        opened.push(one.expect("opened"));
    }
    opened
}

/// The stream's payload.
fn payload() -> Bytes {
    Bytes::from(vec![b'x'; 1024])
}

mod ours {
    use super::{
        Arc, AtomicU64, Duration, Figures, Instant, KEEP_ALIVE, Ordering, SOURCE_KEEP_ALIVE,
        STREAM, TOPIC, open_all, payload, reached, stop_after_publish,
    };
    use mqtt_proto::QoS;
    use mqtt_tokio::{Client, Events, Messages, Options, connect};

    async fn open(port: u16, id: String, keep_alive: Duration) -> (Client, Messages, Events) {
        let mut options =
            Options::new(&format!("mqtt://127.0.0.1:{port}"), &id).expect("valid options");
        options.config = options.config.clone().with_keep_alive(keep_alive);
        options.config.version = mqtt_proto::ProtocolVersion::V3_1_1;
        // A PINGRESP may wait as long as the keep-alive, as rumqttc lets it: a broker fanning a
        // stream out to 20,000 connections answers late, and the default (at most 10 s) would
        // end the source's connection and lose its QoS 0 messages not yet read.
        options.config.ping_timeout = Some(keep_alive);
        let (client, messages, events) = connect(options).await.expect("connected");
        (client, messages, events)
    }

    /// How many connections ended, by the events waiting (the first few are printed).
    fn lost(events: &mut [Events]) -> usize {
        let mut lost = 0;
        for events in events {
            while let Some(event) = events.try_recv() {
                if let mqtt_sansio::ConnectionEvent::Disconnected(reason) = &*event {
                    if lost < 3 {
                        eprintln!("mqtt-tokio: a connection ended: {reason:?}");
                    }
                    lost += 1;
                }
            }
        }
        lost
    }

    pub(super) async fn run(port: u16, count: usize) -> Figures {
        let base = mqtt_suite::chaos::anonymous_rss_kib();
        let start = Instant::now();
        let mut clients =
            open_all(count, |i| open(port, format!("fleet-ours-{i}"), KEEP_ALIVE)).await;
        let connect = start.elapsed();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let idle_kib = mqtt_suite::chaos::anonymous_rss_kib().saturating_sub(base);

        let start = Instant::now();
        let mut publishing = tokio::task::JoinSet::new();
        for (client, _, _) in &clients {
            let client = client.clone();
            publishing.spawn(async move {
                client
                    .publish("fleet/up", QoS::AtLeastOnce, false, "hello")
                    .await
                    .is_ok()
            });
        }
        let mut complete = true;
        while let Some(done) = publishing.join_next().await {
            complete &= done.unwrap_or(false);
        }
        let publish = start.elapsed();
        if stop_after_publish() {
            return Figures::until_publish(connect, idle_kib, publish, complete);
        }

        let received = Arc::new(AtomicU64::new(0));
        // What each connection received, to say who falls short.
        let each: Arc<Vec<AtomicU64>> = Arc::new((0..count).map(|_| AtomicU64::new(0)).collect());
        let mut subscribing = tokio::task::JoinSet::new();
        let mut watched = Vec::with_capacity(count);
        for (n, (client, mut messages, events)) in clients.drain(..).enumerate() {
            watched.push(events);
            let (received, each) = (Arc::clone(&received), Arc::clone(&each));
            subscribing.spawn(async move {
                let granted = client.subscribe(TOPIC, QoS::AtMostOnce).await.is_ok();
                tokio::spawn(async move {
                    while messages.recv().await.is_some() {
                        received.fetch_add(1, Ordering::Relaxed);
                        if let Some(mine) = each.get(n) {
                            mine.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
                (client, granted)
            });
        }
        let mut handles = Vec::with_capacity(count);
        while let Some(subscribed) = subscribing.join_next().await {
            let (client, granted) = subscribed.expect("subscribed");
            complete &= granted;
            handles.push(client);
        }
        let (source, _, source_events) =
            open(port, "fleet-ours-source".to_owned(), SOURCE_KEEP_ALIVE).await;
        let start = Instant::now();
        for _ in 0..STREAM {
            source
                .publish(TOPIC, QoS::AtMostOnce, false, payload())
                .await
                .expect("published");
        }
        let streamed = reached(&received, STREAM * count as u64).await;
        complete &= streamed;
        let stream = start.elapsed();
        if !streamed {
            let short: Vec<u64> = each
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .filter(|&c| c < STREAM)
                .collect();
            eprintln!(
                "mqtt-tokio ×{count}: {} connections short of {STREAM} messages, {} missing, the fewest {}",
                short.len(),
                short.iter().map(|c| STREAM - c).sum::<u64>(),
                short.iter().min().copied().unwrap_or(STREAM),
            );
        }
        let traffic_kib = mqtt_suite::chaos::anonymous_rss_kib().saturating_sub(base);
        let source_lost = lost(&mut [source_events]);
        if source_lost > 0 {
            eprintln!("mqtt-tokio ×{count}: the source's connection ended {source_lost} times");
        }
        let lost = lost(&mut watched);
        if lost > 0 {
            eprintln!("mqtt-tokio ×{count}: {lost} connections ended");
        }
        Figures {
            connect,
            idle_kib,
            publish,
            stream,
            traffic_kib,
            complete,
        }
    }
}

mod theirs {
    use super::{
        Arc, AtomicU64, Duration, Figures, Instant, KEEP_ALIVE, Ordering, SOURCE_KEEP_ALIVE,
        STREAM, TOPIC, open_all, payload, reached, stop_after_publish,
    };
    use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};

    /// A connection whose event loop has seen CONNACK.
    async fn open(port: u16, id: String, keep_alive: Duration) -> (AsyncClient, EventLoop) {
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options.set_keep_alive(keep_alive);
        let (client, mut events) = AsyncClient::new(options, 10);
        loop {
            if let Event::Incoming(Packet::ConnAck(_)) = events.poll().await.expect("connected") {
                return (client, events);
            }
        }
    }

    pub(super) async fn run(port: u16, count: usize) -> Figures {
        let base = mqtt_suite::chaos::anonymous_rss_kib();
        let start = Instant::now();
        let clients = open_all(count, |i| {
            open(port, format!("fleet-rumqttc-{i}"), KEEP_ALIVE)
        })
        .await;
        let connect = start.elapsed();
        // Each event loop runs as a task from now on, counting what it receives.
        let acknowledged = Arc::new(AtomicU64::new(0));
        let subscribed = Arc::new(AtomicU64::new(0));
        let received = Arc::new(AtomicU64::new(0));
        let mut handles = Vec::with_capacity(count);
        for (client, mut events) in clients {
            let (acknowledged, subscribed, received) = (
                Arc::clone(&acknowledged),
                Arc::clone(&subscribed),
                Arc::clone(&received),
            );
            tokio::spawn(async move {
                loop {
                    let event = match events.poll().await {
                        Ok(event) => event,
                        Err(e) => {
                            eprintln!("rumqttc: a connection ended: {e}");
                            break;
                        }
                    };
                    match event {
                        Event::Incoming(Packet::PubAck(_)) => {
                            acknowledged.fetch_add(1, Ordering::Relaxed);
                        }
                        Event::Incoming(Packet::SubAck(_)) => {
                            subscribed.fetch_add(1, Ordering::Relaxed);
                        }
                        Event::Incoming(Packet::Publish(_)) => {
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {}
                    }
                }
            });
            handles.push(client);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let idle_kib = mqtt_suite::chaos::anonymous_rss_kib().saturating_sub(base);

        let start = Instant::now();
        for client in &handles {
            client
                .publish("fleet/up", QoS::AtLeastOnce, false, "hello")
                .await
                .expect("queued");
        }
        let mut complete = reached(&acknowledged, count as u64).await;
        let publish = start.elapsed();
        if stop_after_publish() {
            return Figures::until_publish(connect, idle_kib, publish, complete);
        }

        for client in &handles {
            client
                .subscribe(TOPIC, QoS::AtMostOnce)
                .await
                .expect("queued");
        }
        complete &= reached(&subscribed, count as u64).await;
        let (source, mut events) =
            open(port, "fleet-rumqttc-source".to_owned(), SOURCE_KEEP_ALIVE).await;
        tokio::spawn(async move { while events.poll().await.is_ok() {} });
        let start = Instant::now();
        for _ in 0..STREAM {
            source
                .publish_bytes(TOPIC, QoS::AtMostOnce, false, payload())
                .await
                .expect("queued");
        }
        complete &= reached(&received, STREAM * count as u64).await;
        let stream = start.elapsed();
        let traffic_kib = mqtt_suite::chaos::anonymous_rss_kib().saturating_sub(base);
        Figures {
            connect,
            idle_kib,
            publish,
            stream,
            traffic_kib,
            complete,
        }
    }
}
