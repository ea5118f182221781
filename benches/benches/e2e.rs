//! End to end: `mqtt-tokio` and `rumqttc` back to back against the same local Mosquitto, and
//! the other adapters of the one driver beside them (`mqtt-async-std` under smol,
//! `mqtt-blocking` on threads).
//!
//! Run: `cargo bench -p mqtt-benches --bench e2e`. It starts Mosquitto (as the tests do, by
//! `mqtt_suite::Mosquitto`) on a free loopback port, then runs every row once per
//! client and repetition, each run in a child process of its own (this binary again), so that
//! the CPU time (user + sys, from `getrusage`) and the peak RSS are that client's alone (in
//! brackets: the anonymous part of the resident set at the end, heap and stacks, without the
//! code pages of the binary and the libraries). Both
//! clients run on a current-thread tokio runtime with MQTT 3.1.1, an in-flight window of
//! [`WINDOW`] and a request queue of [`QUEUE`].
//!
//! Rows: 200,000 messages of 16 B and 1 KiB and 10,000 of 64 KiB, at QoS 0, 1 and 2, either
//! publish-only (timed until the last PUBACK / PUBCOMP; at QoS 0 until the PUBACK of a QoS 1
//! message sent after them) or publisher → subscriber in the same process (timed until the
//! subscriber has every message).
//!
//! Publish rows have a third column: the raw ceiling, pre-encoded publishes written in large
//! batches on a plain socket with the same in-flight window (see [`raw`]), and each client's
//! ratio to it.
//!
//! `cargo bench -p mqtt-benches --bench e2e -- --quick` runs the whole comparison in a few
//! minutes: a tenth of the messages (`E2E_SCALE=0.1`) and 3 runs of each.
//!
//! Environment: `E2E_REPS` repetitions (default 3; the table shows medians), `E2E_SCALE`
//! multiplies the message counts (default 1, 0.1 with `--quick`), `E2E_ONLY` keeps the rows whose name contains it,
//! `E2E_ADAPTERS=0` leaves out the smol and blocking runs (and their table),
//! `E2E_BROKER_CONFIG` adds lines to Mosquitto's configuration, `E2E_WORK_NS` makes the
//! subscriber of the pub→sub rows busy for that many nanoseconds after each message (an
//! application slower than the stream). `E2E_STORES=1` runs instead the
//! table of the session store: `mqtt-tokio` publishing QoS 1 (16 B and 1 KiB) with no store and
//! with a file store under each durability, in the same run. The tables are
//! printed as Markdown, ready for `BENCHMARKS.md`: the first compares `mqtt-tokio` with
//! `rumqttc`, the second every adapter's rate with `rumqttc`'s. `E2E_TRANSPORTS=1` runs instead
//! the table of the transports: `mqtt-tokio` publishing QoS 1 to rumqttd over TCP, WebSocket,
//! and through HTTP `CONNECT` and SOCKS5 proxies (tinyproxy, microsocks), in the same run.
//! `E2E_FLUSH=1` runs instead the flush table: each adapter publishing 20,000 QoS 1 messages
//! with a `flush` after every 64 (`E2E_BATCH` sets the batch of any run), against Mosquitto as it
//! comes (Nagle's algorithm on).

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "counts and rates in a report: far below 2^52, never negative"
)]

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mqtt_proto::{QoS, TopicName};
use mqtt_sansio::Message;

/// The in-flight window of both clients.
const WINDOW: u16 = 100;
/// The request (command) queue of both clients.
const QUEUE: usize = 64;
/// The topic every row publishes to.
const TOPIC: &str = "bench/e2e";
/// How long a run may go without progress before it is reported as stalled.
const STALL: Duration = Duration::from_secs(20);

#[global_allocator]
static GLOBAL: mqtt_benches::Counting = mqtt_benches::Counting;

/// The CPU time of this process (user + sys) and its peak resident set, in KiB.
fn usage() -> (Duration, u64) {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` writes a `rusage` into the pointer it is given, which points at one.
    #[expect(
        unsafe_code,
        reason = "getrusage is the only source of the process's CPU time"
    )]
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.unsigned_abs())
            + Duration::from_micros(t.tv_usec.unsigned_abs())
    };
    (
        time(usage.ru_utime) + time(usage.ru_stime),
        usage.ru_maxrss.unsigned_abs(),
    )
}

/// The start of a measured interval.
struct Mark {
    wall: Instant,
    cpu: Duration,
    allocations: u64,
}

impl Mark {
    fn now() -> Self {
        Self {
            wall: Instant::now(),
            cpu: usage().0,
            allocations: mqtt_benches::allocations(),
        }
    }

    /// Prints the measurement of the interval for the parent: one `RESULT` line.
    fn report(&self, done: u64) {
        let wall = self.wall.elapsed();
        let (cpu, rss) = usage();
        let allocations = mqtt_benches::allocations() - self.allocations;
        println!(
            "RESULT {} {} {} {} {} {}",
            wall.as_nanos(),
            cpu.saturating_sub(self.cpu).as_nanos(),
            rss,
            allocations,
            done,
            mqtt_suite::chaos::anonymous_rss_kib(),
        );
    }
}

/// One row of the table.
#[derive(Clone, Copy)]
struct Row {
    count: u64,
    size: usize,
    qos: u8,
    subscribe: bool,
}

impl Row {
    fn name(&self) -> String {
        let size = if self.size >= 1024 {
            format!("{} KiB", self.size / 1024)
        } else {
            format!("{} B", self.size)
        };
        let mode = if self.subscribe {
            "pub→sub"
        } else {
            "publish"
        };
        format!("{mode} QoS {} {size} ×{}", self.qos, self.count)
    }

    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).expect(name);
        Self {
            count: var("E2E_COUNT").parse().expect("E2E_COUNT"),
            size: var("E2E_SIZE").parse().expect("E2E_SIZE"),
            qos: var("E2E_QOS").parse().expect("E2E_QOS"),
            subscribe: var("E2E_MODE") == "pubsub",
        }
    }
}

fn main() {
    match std::env::var("E2E_CHILD") {
        Ok(client) => child(&client),
        Err(_) => parent(),
    }
}

// ---- the parent: the broker, the runs, the table ----

/// Mosquitto for the e2e tables: the window of the clients, no limit on queued messages (a
/// subscriber that falls behind must lose nothing), and the lines of `E2E_BROKER_CONFIG`
/// (`set_tcp_nodelay true`, say).
fn broker() -> mqtt_suite::Mosquitto {
    let extra = std::env::var("E2E_BROKER_CONFIG").unwrap_or_default();
    mqtt_suite::Mosquitto::with_config(&format!(
        "max_inflight_messages {WINDOW}\nmax_queued_messages 0\n{extra}"
    ))
}

/// One run's measurement.
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    cpu: Duration,
    rss_kib: u64,
    allocations: u64,
    done: u64,
    anonymous_kib: u64,
}

/// One run of `client` on `row` against the broker on `port`, in a child process.
fn run(client: &str, port: u16, row: Row) -> Run {
    run_with(client, port, row, &[])
}

/// As [`run`], with more settings for the child: `E2E_STORE`, `E2E_URL`, `E2E_PROXY`.
fn run_with(client: &str, port: u16, row: Row, settings: &[(&str, &str)]) -> Run {
    let output = Command::new(std::env::current_exe().expect("this binary"))
        .envs(settings.iter().copied())
        .env("E2E_CHILD", client)
        .env("E2E_PORT", port.to_string())
        .env("E2E_COUNT", row.count.to_string())
        .env("E2E_SIZE", row.size.to_string())
        .env("E2E_QOS", row.qos.to_string())
        .env("E2E_MODE", if row.subscribe { "pubsub" } else { "publish" })
        .stderr(Stdio::inherit())
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("{client} {}: no result ({})", row.name(), output.status));
    let fields: Vec<u64> = line
        .split(' ')
        .map(|f| f.parse().expect("a number"))
        .collect();
    if std::env::var("E2E_VERBOSE").is_ok() {
        eprintln!(
            "{client} {}: {:.0} msg/s",
            row.name(),
            row.count as f64 / Duration::from_nanos(fields[0]).as_secs_f64()
        );
    }
    Run {
        wall: Duration::from_nanos(fields[0]),
        cpu: Duration::from_nanos(fields[1]),
        rss_kib: fields[2],
        allocations: fields[3],
        done: fields[4],
        anonymous_kib: fields[5],
    }
}

/// The medians of a client's runs of a row.
struct Summary {
    rate: f64,
    cpu_us: f64,
    rss_mib: f64,
    anonymous_mib: f64,
    allocations: f64,
    complete: bool,
}

fn summarise(runs: &[Run], row: Row) -> Summary {
    let count = row.count as f64;
    Summary {
        rate: mqtt_benches::median(runs.iter().map(|r| count / r.wall.as_secs_f64()).collect()),
        cpu_us: mqtt_benches::median(
            runs.iter()
                .map(|r| r.cpu.as_secs_f64() * 1e6 / count)
                .collect(),
        ),
        rss_mib: mqtt_benches::median(runs.iter().map(|r| r.rss_kib as f64 / 1024.0).collect()),
        anonymous_mib: mqtt_benches::median(
            runs.iter()
                .map(|r| r.anonymous_kib as f64 / 1024.0)
                .collect(),
        ),
        allocations: mqtt_benches::median(
            runs.iter().map(|r| r.allocations as f64 / count).collect(),
        ),
        complete: runs.iter().all(|r| r.done == row.count),
    }
}

fn parent() {
    // `-- --quick`: the whole comparison in a few minutes (a tenth of the messages, 3 runs).
    let quick = std::env::args().any(|a| a == "--quick");
    let env = |name: &str, default: f64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let reps = env("E2E_REPS", 3.0) as usize;
    let scale = env("E2E_SCALE", if quick { 0.1 } else { 1.0 });
    let only = std::env::var("E2E_ONLY").unwrap_or_default();
    let adapters = env("E2E_ADAPTERS", 1.0) > 0.0;
    if another_table(reps, scale) {
        return;
    }
    // Per row: the rates of tokio, smol, blocking, rumqttc and the raw ceiling (0: none).
    let mut rates: Vec<(String, [f64; 5])> = Vec::new();
    let broker = broker();
    let rows = rows(scale, &only);
    println!(
        "| row | mqtt-tokio msg/s | rumqttc msg/s | × | raw ceiling msg/s | mqtt-tokio ÷ raw | \
         mqtt-tokio CPU µs/msg | rumqttc CPU µs/msg | × | mqtt-tokio peak RSS MiB (anon) | \
         rumqttc peak RSS MiB (anon) | mqtt-tokio allocs/msg | rumqttc allocs/msg |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for row in rows {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let mut raw = Vec::new();
        for rep in 0..reps {
            // Alternate who goes first, so that neither always meets a warmer broker.
            if rep % 2 == 0 {
                ours.push(run("ours", broker.port, row));
                theirs.push(run("rumqttc", broker.port, row));
            } else {
                theirs.push(run("rumqttc", broker.port, row));
                ours.push(run("ours", broker.port, row));
            }
            if !row.subscribe {
                raw.push(run("raw", broker.port, row));
            }
        }
        let (a, b) = (summarise(&ours, row), summarise(&theirs, row));
        let ceiling = if raw.is_empty() {
            0.0
        } else {
            summarise(&raw, row).rate
        };
        if adapters {
            let smol: Vec<Run> = (0..reps).map(|_| run("smol", broker.port, row)).collect();
            let threads: Vec<Run> = (0..reps)
                .map(|_| run("blocking", broker.port, row))
                .collect();
            let (c, d) = (summarise(&smol, row), summarise(&threads, row));
            rates.push((row.name(), [a.rate, c.rate, d.rate, b.rate, ceiling]));
        }
        let flag = |s: &Summary| if s.complete { "" } else { " (incomplete)" };
        let (raw_rate, raw_ratio) = ratio_to(a.rate, ceiling);
        println!(
            "| {} | {:.0}{} | {:.0}{} | {:.2} | {raw_rate} | {raw_ratio} | {:.2} | {:.2} | {:.2} | {:.1} ({:.2}) | {:.1} ({:.2}) | {:.2} | {:.2} |",
            row.name(),
            a.rate,
            flag(&a),
            b.rate,
            flag(&b),
            a.rate / b.rate,
            a.cpu_us,
            b.cpu_us,
            a.cpu_us / b.cpu_us,
            a.rss_mib,
            a.anonymous_mib,
            b.rss_mib,
            b.anonymous_mib,
            a.allocations,
            b.allocations,
        );
        let _ = std::io::stdout().flush();
    }
    adapters_table(rates);
}

/// The main table's rows: publish, then publisher → subscriber, each size and QoS; those whose
/// name contains `only`.
fn rows(scale: f64, only: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for subscribe in [false, true] {
        for (count, size) in [(200_000_u64, 16), (200_000, 1024), (10_000, 65_536)] {
            for qos in 0..=2 {
                let count = ((count as f64 * scale) as u64).max(1);
                rows.push(Row {
                    count,
                    size,
                    qos,
                    subscribe,
                });
            }
        }
    }
    rows.retain(|row| row.name().contains(only));
    rows
}

/// The second table: every adapter's rate against rumqttc's and the raw ceiling.
fn adapters_table(rates: Vec<(String, [f64; 5])>) {
    if rates.is_empty() {
        return;
    }
    println!();
    println!(
        "| row | mqtt-tokio msg/s | mqtt-async-std (smol) msg/s | mqtt-blocking msg/s | rumqttc msg/s | \
         raw ceiling msg/s | tokio × | smol × | blocking × | tokio ÷ raw | smol ÷ raw | blocking ÷ raw |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (name, [tokio, smol, blocking, rumqttc, ceiling]) in rates {
        let raw = |rate: f64| ratio_to(rate, ceiling).1;
        println!(
            "| {name} | {tokio:.0} | {smol:.0} | {blocking:.0} | {rumqttc:.0} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
            ratio_to(0.0, ceiling).0,
            tokio / rumqttc,
            smol / rumqttc,
            blocking / rumqttc,
            raw(tokio),
            raw(smol),
            raw(blocking),
        );
    }
}

/// The raw ceiling's rate and `rate`'s ratio to it, as table cells ("–" for rows without one).
fn ratio_to(rate: f64, ceiling: f64) -> (String, String) {
    if ceiling > 0.0 {
        (format!("{ceiling:.0}"), format!("{:.2}", rate / ceiling))
    } else {
        ("–".to_owned(), "–".to_owned())
    }
}

/// Runs the table `E2E_STORES`, `E2E_TRANSPORTS` or `E2E_FLUSH` asks for instead of the main
/// ones; whether one ran.
fn another_table(reps: usize, scale: f64) -> bool {
    let on =
        |name: &str| std::env::var(name).is_ok_and(|v| v.parse::<f64>().is_ok_and(|v| v > 0.0));
    if on("E2E_STORES") {
        stores(reps, scale);
    } else if on("E2E_TRANSPORTS") {
        transports(reps, scale);
    } else if on("E2E_FLUSH") {
        flushes(reps, scale);
    } else {
        return false;
    }
    true
}

/// The session store's table: QoS 1 publishing with no store and under each durability.
fn stores(reps: usize, scale: f64) {
    const POLICIES: [&str; 4] = ["", "os", "batched", "every"];
    let broker = broker();
    println!(
        "| row | no store msg/s | OS-buffered msg/s | × | batched msg/s | × | every change msg/s | × |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|");
    for (count, size) in [(100_000_u64, 16), (100_000, 1024)] {
        let row = Row {
            count: ((count as f64 * scale) as u64).max(1),
            size,
            qos: 1,
            subscribe: false,
        };
        let mut runs: [Vec<Run>; 4] = Default::default();
        for rep in 0..reps {
            for i in 0..POLICIES.len() {
                // A different order each repetition: none always meets a warmer broker.
                let policy = (i + rep) % POLICIES.len();
                runs[policy].push(run_with(
                    "ours",
                    broker.port,
                    row,
                    &[("E2E_STORE", POLICIES[policy])],
                ));
            }
        }
        let rates: Vec<f64> = runs.iter().map(|r| summarise(r, row).rate).collect();
        println!(
            "| {} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} | {:.0} | {:.2} |",
            row.name(),
            rates[0],
            rates[1],
            rates[1] / rates[0],
            rates[2],
            rates[2] / rates[0],
            rates[3],
            rates[3] / rates[0],
        );
        let _ = std::io::stdout().flush();
    }
}

/// The transports' table: `mqtt-tokio` publishing QoS 1 to rumqttd (3.1.1; Mosquitto's Debian
/// build has no WebSocket listener, so every row has the same broker) over TCP, over
/// WebSocket, and through tinyproxy (HTTP `CONNECT`) and microsocks (SOCKS5), in the same run.
fn transports(reps: usize, scale: f64) {
    let tcp = mqtt_suite::rumqttd::v4_broker();
    let ws = mqtt_suite::rumqttd::websocket_broker();
    let http = mqtt_suite::ProxyServer::http(None);
    let socks = mqtt_suite::ProxyServer::socks5(None);
    let tcp_url = format!("mqtt://127.0.0.1:{tcp}");
    let ws_url = format!("ws://127.0.0.1:{ws}/mqtt");
    let routes: [(&str, &str); 5] = [
        (&tcp_url, ""),
        (&ws_url, ""),
        (&tcp_url, &http.url()),
        (&tcp_url, &socks.url()),
        (&ws_url, &http.url()),
    ];
    println!(
        "| row | TCP msg/s | WebSocket msg/s | × | TCP via HTTP CONNECT msg/s | × | TCP via SOCKS5 msg/s | × | WebSocket via HTTP CONNECT msg/s | × |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (count, size) in [(100_000_u64, 16), (100_000, 1024), (10_000, 65_536)] {
        let row = Row {
            count: ((count as f64 * scale) as u64).max(1),
            size,
            qos: 1,
            subscribe: false,
        };
        let mut runs: [Vec<Run>; 5] = Default::default();
        for rep in 0..reps {
            for i in 0..routes.len() {
                // A different order each repetition: none always meets a warmer broker.
                let route = (i + rep) % routes.len();
                let (url, proxy) = routes[route];
                runs[route].push(run_with(
                    "ours",
                    0,
                    row,
                    &[("E2E_URL", url), ("E2E_PROXY", proxy)],
                ));
            }
        }
        let rates: Vec<f64> = runs.iter().map(|r| summarise(r, row).rate).collect();
        print!("| {} | {:.0}", row.name(), rates[0]);
        for rate in &rates[1..] {
            print!(" | {rate:.0} | {:.2}", rate / rates[0]);
        }
        println!(" |");
        let _ = std::io::stdout().flush();
    }
}

/// The flush table: 20,000 QoS 1 messages of 16 B, a `flush` after every 64, against Mosquitto
/// as it comes (Nagle's algorithm on: no `set_tcp_nodelay`), for each adapter.
fn flushes(reps: usize, scale: f64) {
    const BATCH: u64 = 64;
    let broker = broker();
    let row = Row {
        count: ((20_000.0 * scale) as u64).max(BATCH),
        size: 16,
        qos: 1,
        subscribe: false,
    };
    println!("| client | msg/s | ms per flush of {BATCH} |");
    println!("|---|--:|--:|");
    for client in ["ours", "smol", "blocking"] {
        let runs: Vec<Run> = (0..reps)
            .map(|_| run_with(client, broker.port, row, &[("E2E_BATCH", "64")]))
            .collect();
        let summary = summarise(&runs, row);
        let flushes = row.count / BATCH;
        println!(
            "| {client} | {:.0} | {:.2} |",
            summary.rate,
            row.count as f64 / summary.rate / flushes as f64 * 1000.0
        );
        let _ = std::io::stdout().flush();
    }
}

// ---- the children: one client, one row ----

fn child(client: &str) {
    mqtt_benches::without_log_fallback();
    let row = Row::from_env();
    let port: u16 = std::env::var("E2E_PORT")
        .expect("E2E_PORT")
        .parse()
        .expect("a port");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match client {
        "ours" => runtime.block_on(ours::run(port, row)),
        "rumqttc" => runtime.block_on(theirs::run(port, row)),
        "smol" => on_smol::run(port, row),
        "blocking" => on_threads::run(port, row),
        "raw" => raw::run(port, row),
        other => panic!("unknown client {other}"),
    }
}

fn qos(level: u8) -> QoS {
    QoS::try_from(level).expect("a QoS level")
}

/// What the subscriber of a pub→sub row does with each message it receives: nothing, or
/// `E2E_WORK_NS` nanoseconds of busy work (an application slower than the stream).
fn consume() {
    static WORK: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    let work = *WORK.get_or_init(|| {
        Duration::from_nanos(
            std::env::var("E2E_WORK_NS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        )
    });
    if work.is_zero() {
        return;
    }
    let start = Instant::now();
    while start.elapsed() < work {
        std::hint::spin_loop();
    }
}

/// How many messages the publisher sends between flushes (`E2E_BATCH`; none by default).
fn batch() -> u64 {
    std::env::var("E2E_BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .filter(|&b| b > 0)
        .unwrap_or(u64::MAX)
}

/// Sends every message through the driver's client (the tokio and the smol runs share it),
/// then waits until all are acknowledged.
async fn publish(client: &mqtt_driver::Client, row: Row) {
    let topic = TopicName::new(TOPIC).expect("a topic");
    let payload = Bytes::from(vec![b'x'; row.size]);
    let batch = batch();
    for n in 1..=row.count {
        let message = Message::new(topic.clone(), qos(row.qos), payload.clone());
        client.send(message).await.expect("sent");
        if n % batch == 0 {
            client.flush().await.expect("the batch acknowledged");
        }
    }
    if row.qos == 0 && !row.subscribe {
        // The broker has read every QoS 0 message once it acknowledges a later QoS 1 one.
        let marker = Message::new(topic.clone(), QoS::AtLeastOnce, payload.clone());
        client.publish_message(marker).await.expect("acknowledged");
    }
    client.flush().await.expect("every message acknowledged");
}

mod ours {
    use super::{Mark, Row, STALL, TOPIC, WINDOW, publish, qos};
    use mqtt_tokio::store::Durability;
    use mqtt_tokio::{Client, Options, Proxy, ProxySetting, StoreOptions, connect};

    async fn client(port: u16, id: &str) -> (Client, mqtt_tokio::Messages) {
        let url = std::env::var("E2E_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| format!("mqtt://127.0.0.1:{port}"));
        let mut options = Options::new(&url, id).expect("valid options");
        if let Some(proxy) = std::env::var("E2E_PROXY").ok().filter(|p| !p.is_empty()) {
            options.proxy = ProxySetting::Through(Proxy::parse(&proxy).expect("a proxy URL"));
        }
        options.config = options.config.clone().with_max_inflight(WINDOW);
        options.command_capacity = super::QUEUE;
        let durability = match std::env::var("E2E_STORE").unwrap_or_default().as_str() {
            "os" => Some(Durability::OsBuffered),
            "batched" => Some(Durability::Batched),
            "every" => Some(Durability::EveryChange),
            _ => None,
        };
        if let Some(durability) = durability {
            // A new store each run, in the temporary directory (the disk the machine has).
            let _ = std::fs::remove_file(store_path(id));
            options.store = Some(StoreOptions::file(store_path(id)).with_durability(durability));
        }
        let (client, messages, _events) = connect(options).await.expect("connected");
        (client, messages)
    }

    /// The session store of the client `id` of this run.
    fn store_path(id: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("{id}-{}.session", std::process::id()))
    }

    pub(super) async fn run(port: u16, row: Row) {
        if !row.subscribe {
            let (client, _) = client(port, "e2e-ours-pub").await;
            let mark = Mark::now();
            // A task of its own, as for the other client.
            let client = tokio::spawn(async move {
                publish(&client, row).await;
                client
            })
            .await
            .expect("the publisher finished");
            mark.report(row.count);
            let _ = client.disconnect().await;
            let _ = std::fs::remove_file(store_path("e2e-ours-pub"));
            return;
        }
        let (subscriber, mut messages) = client(port, "e2e-ours-sub").await;
        subscriber
            .subscribe(TOPIC, qos(row.qos))
            .await
            .expect("subscribed");
        let (publisher, _) = client(port, "e2e-ours-pub").await;
        let mark = Mark::now();
        let sending = tokio::spawn(async move {
            publish(&publisher, row).await;
            publisher
        });
        let mut received = 0;
        while received < row.count {
            match tokio::time::timeout(STALL, messages.recv()).await {
                Ok(Some(_)) => {
                    received += 1;
                    super::consume();
                }
                _ => break,
            }
        }
        mark.report(received);
        if let Ok(publisher) = sending.await {
            let _ = publisher.disconnect().await;
        }
        let _ = subscriber.disconnect().await;
    }
}

mod theirs {
    use super::{Bytes, Mark, Row, STALL, TOPIC, WINDOW};
    use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};

    fn qos(level: u8) -> QoS {
        match level {
            0 => QoS::AtMostOnce,
            1 => QoS::AtLeastOnce,
            _ => QoS::ExactlyOnce,
        }
    }

    /// A connected client: its event loop has seen CONNACK.
    async fn client(port: u16, id: &str) -> (AsyncClient, EventLoop) {
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options
            .set_keep_alive(std::time::Duration::from_secs(60))
            .set_inflight(WINDOW)
            .set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut events) = AsyncClient::new(options, super::QUEUE);
        loop {
            if let Event::Incoming(Packet::ConnAck(_)) = events.poll().await.expect("connected") {
                return (client, events);
            }
        }
    }

    /// Queues every message from a task of its own.
    fn produce(client: AsyncClient, row: Row) -> tokio::task::JoinHandle<AsyncClient> {
        tokio::spawn(async move {
            let payload = Bytes::from(vec![b'x'; row.size]);
            for _ in 0..row.count {
                client
                    .publish_bytes(TOPIC, qos(row.qos), false, payload.clone())
                    .await
                    .expect("queued");
            }
            if row.qos == 0 && !row.subscribe {
                // As for the other client: a QoS 1 marker whose PUBACK ends the run.
                client
                    .publish_bytes(TOPIC, QoS::AtLeastOnce, false, payload)
                    .await
                    .expect("queued");
            }
            client
        })
    }

    pub(super) async fn run(port: u16, row: Row) {
        if !row.subscribe {
            let (client, mut events) = client(port, "e2e-rumqttc-pub").await;
            let mark = Mark::now();
            let producer = produce(client, row);
            let wanted = if row.qos == 0 { 1 } else { row.count };
            let mut acknowledged = 0;
            while acknowledged < wanted {
                match tokio::time::timeout(STALL, events.poll()).await {
                    Ok(Ok(Event::Incoming(Packet::PubAck(_) | Packet::PubComp(_)))) => {
                        acknowledged += 1;
                    }
                    Ok(Ok(_)) => {}
                    _ => break,
                }
            }
            mark.report(if acknowledged == wanted { row.count } else { 0 });
            if let Ok(client) = producer.await {
                let _ = client.disconnect().await;
                let _ = tokio::time::timeout(STALL, events.poll()).await;
            }
            return;
        }
        let (subscriber, mut inbound) = client(port, "e2e-rumqttc-sub").await;
        subscriber
            .subscribe(TOPIC, qos(row.qos))
            .await
            .expect("subscribed");
        loop {
            if let Event::Incoming(Packet::SubAck(_)) = inbound.poll().await.expect("subscribed") {
                break;
            }
        }
        let (publisher, mut outbound) = client(port, "e2e-rumqttc-pub").await;
        let mark = Mark::now();
        let producer = produce(publisher, row);
        let driver = tokio::spawn(async move { while outbound.poll().await.is_ok() {} });
        let mut received = 0;
        while received < row.count {
            match tokio::time::timeout(STALL, inbound.poll()).await {
                Ok(Ok(Event::Incoming(Packet::Publish(_)))) => {
                    received += 1;
                    super::consume();
                }
                Ok(Ok(_)) => {}
                _ => break,
            }
        }
        mark.report(received);
        producer.abort();
        driver.abort();
    }
}

/// `mqtt-async-std` under smol: the same publisher and subscriber as [`ours`].
mod on_smol {
    use futures_lite::future::FutureExt as _;
    use mqtt_async_std::{Client, Options, connect};

    use super::{Mark, Row, STALL, TOPIC, WINDOW, publish, qos};

    async fn client(port: u16, id: &str) -> (Client, mqtt_async_std::Messages) {
        let mut options =
            Options::new(&format!("mqtt://127.0.0.1:{port}"), id).expect("valid options");
        options.config = options.config.clone().with_max_inflight(WINDOW);
        options.command_capacity = super::QUEUE;
        let (client, messages, _events) = connect(options).await.expect("connected");
        (client, messages)
    }

    pub(super) fn run(port: u16, row: Row) {
        smol::block_on(async {
            if !row.subscribe {
                let (client, _) = client(port, "e2e-smol-pub").await;
                let mark = Mark::now();
                publish(&client, row).await;
                mark.report(row.count);
                let _ = client.disconnect().await;
                return;
            }
            let (subscriber, mut messages) = client(port, "e2e-smol-sub").await;
            subscriber
                .subscribe(TOPIC, qos(row.qos))
                .await
                .expect("subscribed");
            let (publisher, _) = client(port, "e2e-smol-pub").await;
            let mark = Mark::now();
            let sending = smol::spawn(async move {
                publish(&publisher, row).await;
                publisher
            });
            let mut received = 0;
            while received < row.count {
                let next = messages.recv().or(async {
                    async_io::Timer::after(STALL).await;
                    None
                });
                if next.await.is_none() {
                    break;
                }
                received += 1;
                super::consume();
            }
            mark.report(received);
            let publisher = sending.await;
            let _ = publisher.disconnect().await;
            let _ = subscriber.disconnect().await;
        });
    }
}

/// `mqtt-blocking` on threads: the same publisher and subscriber as [`ours`].
mod on_threads {
    use mqtt_blocking::{Client, Options, connect};

    use super::{Bytes, Mark, Message, QoS, Row, STALL, TOPIC, TopicName, WINDOW, qos};

    fn client(port: u16, id: &str) -> (Client, mqtt_blocking::Messages) {
        let mut options =
            Options::new(&format!("mqtt://127.0.0.1:{port}"), id).expect("valid options");
        options.config = options.config.clone().with_max_inflight(WINDOW);
        options.command_capacity = super::QUEUE;
        let (client, messages, _events) = connect(options).expect("connected");
        (client, messages)
    }

    fn publish(client: &Client, row: Row) {
        let topic = TopicName::new(TOPIC).expect("a topic");
        let payload = Bytes::from(vec![b'x'; row.size]);
        let batch = super::batch();
        for n in 1..=row.count {
            let message = Message::new(topic.clone(), qos(row.qos), payload.clone());
            client.send(message).expect("sent");
            if n % batch == 0 {
                client.flush().expect("the batch acknowledged");
            }
        }
        if row.qos == 0 && !row.subscribe {
            let marker = Message::new(topic.clone(), QoS::AtLeastOnce, payload.clone());
            client
                .publish_message(marker)
                .expect("queued")
                .wait()
                .expect("acknowledged");
        }
        client.flush().expect("every message acknowledged");
    }

    pub(super) fn run(port: u16, row: Row) {
        if !row.subscribe {
            let (client, _) = client(port, "e2e-blocking-pub");
            let mark = Mark::now();
            publish(&client, row);
            mark.report(row.count);
            let _ = client.disconnect();
            return;
        }
        let (subscriber, messages) = client(port, "e2e-blocking-sub");
        subscriber
            .subscribe(TOPIC, qos(row.qos))
            .expect("subscribed");
        let (publisher, _) = client(port, "e2e-blocking-pub");
        let mark = Mark::now();
        let sending = std::thread::spawn(move || {
            publish(&publisher, row);
            publisher
        });
        let mut received = 0;
        while received < row.count {
            if messages.recv_timeout(STALL).is_none() {
                break;
            }
            received += 1;
            super::consume();
        }
        mark.report(received);
        if let Ok(publisher) = sending.join() {
            let _ = publisher.disconnect();
        }
        let _ = subscriber.disconnect();
    }
}

/// The raw ceiling: pre-encoded MQTT 3.1.1 publishes written in large batches (up to 64 KiB,
/// and at QoS 1 and 2 as many as the same in-flight window of [`WINDOW`] allows) on a plain
/// socket, a second thread reading the acknowledgements (and answering PUBREC with PUBREL):
/// what the broker takes from a client that does nothing but write. Publish rows only.
mod raw {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::{Arc, Condvar, Mutex};

    use super::{Mark, Row, TOPIC, WINDOW};

    /// The largest batch written at once.
    const BATCH: usize = 64 * 1024;

    /// Whether to acknowledge every read at once (`TCP_QUICKACK`, as the clients do when they
    /// have nothing to write): on unless `E2E_RAW_QUICKACK=0`.
    fn quick_ack() -> bool {
        std::env::var("E2E_RAW_QUICKACK").map_or(true, |v| v != "0")
    }

    /// The in-flight window: `E2E_RAW_WINDOW` (0 for none), else the clients' [`WINDOW`].
    fn window() -> u64 {
        std::env::var("E2E_RAW_WINDOW")
            .ok()
            .and_then(|w| w.parse().ok())
            .unwrap_or(u64::from(WINDOW))
    }

    /// Appends MQTT's variable byte integer.
    fn length(out: &mut Vec<u8>, mut n: usize) {
        loop {
            let byte = (n % 128) as u8;
            n /= 128;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// A PUBLISH at `qos` with the packet identifier 0, and where the identifier goes.
    fn template(qos: u8, size: usize) -> (Vec<u8>, usize) {
        let mut packet = vec![0x30 | (qos << 1)];
        let id_len = if qos > 0 { 2 } else { 0 };
        length(&mut packet, 2 + TOPIC.len() + id_len + size);
        packet.extend_from_slice(&(TOPIC.len() as u16).to_be_bytes());
        packet.extend_from_slice(TOPIC.as_bytes());
        let at = packet.len();
        packet.extend(std::iter::repeat_n(0, id_len));
        packet.extend(std::iter::repeat_n(b'x', size));
        (packet, at)
    }

    /// What the reading thread has seen: the acknowledgements counted, and the end.
    #[derive(Default)]
    struct Acks {
        done: u64,
        closed: bool,
    }

    pub(super) fn run(port: u16, row: Row) {
        assert!(!row.subscribe, "the raw ceiling is for publish rows");
        let mut socket = TcpStream::connect(("127.0.0.1", port)).expect("connected");
        socket.set_nodelay(true).expect("TCP_NODELAY");
        // CONNECT 3.1.1, clean session, keep-alive 60 s, client identifier `e2e-raw-pub`.
        let id = b"e2e-raw-pub";
        let mut connect = vec![0x10, (10 + 2 + id.len()) as u8];
        connect.extend_from_slice(&[0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60, 0]);
        connect.push(id.len() as u8);
        connect.extend_from_slice(id);
        socket.write_all(&connect).expect("CONNECT");
        let mut connack = [0_u8; 4];
        socket.read_exact(&mut connack).expect("CONNACK");
        assert_eq!(connack, [0x20, 2, 0, 0], "accepted");

        let acks = Arc::new((Mutex::new(Acks::default()), Condvar::new()));
        let writer = Arc::new(Mutex::new(socket.try_clone().expect("a second handle")));
        // At QoS 0, a QoS 1 message after the others: its PUBACK says the broker read them all.
        let wanted = if row.qos == 0 { 1 } else { row.count };
        let mark = Mark::now();
        let reader = {
            let (acks, writer) = (Arc::clone(&acks), Arc::clone(&writer));
            std::thread::spawn(move || read_acks(&mut socket, &acks, &writer, wanted))
        };
        let (packet, at) = template(row.qos, row.size);
        let mut batch = Vec::with_capacity(BATCH + packet.len());
        let mut sent = 0_u64;
        while sent < row.count {
            // Room in the window (QoS 1 and 2).
            let room = if row.qos == 0 || window() == 0 {
                u64::MAX
            } else {
                let (lock, changed) = &*acks;
                let mut state = lock.lock().expect("the counts");
                while sent - state.done >= window() && !state.closed {
                    state = changed.wait(state).expect("the counts");
                }
                if state.closed {
                    break;
                }
                window() - (sent - state.done)
            };
            batch.clear();
            let mut taken = 0;
            while taken < room && sent < row.count && batch.len() < BATCH {
                let start = batch.len();
                batch.extend_from_slice(&packet);
                if row.qos > 0 {
                    let id = (sent % 65_535 + 1) as u16;
                    batch[start + at..start + at + 2].copy_from_slice(&id.to_be_bytes());
                }
                sent += 1;
                taken += 1;
            }
            writer
                .lock()
                .expect("the socket")
                .write_all(&batch)
                .expect("written");
        }
        if row.qos == 0 {
            let (mut marker, at) = template(1, row.size);
            marker[at + 1] = 1;
            writer
                .lock()
                .expect("the socket")
                .write_all(&marker)
                .expect("written");
        }
        let done = reader.join().expect("the reader");
        mark.report(if done == wanted { row.count } else { 0 });
        let _ = writer.lock().expect("the socket").write_all(&[0xe0, 0]);
    }

    /// Reads PUBACK and PUBCOMP (counted) and PUBREC (answered with PUBREL) until `wanted`
    /// are counted or the connection ends; the count.
    fn read_acks(
        socket: &mut TcpStream,
        acks: &(Mutex<Acks>, Condvar),
        writer: &Mutex<TcpStream>,
        wanted: u64,
    ) -> u64 {
        let (lock, changed) = acks;
        let mut buf = vec![0_u8; 64 * 1024];
        let mut held = 0;
        let mut releases = Vec::new();
        let mut done = 0;
        while done < wanted {
            let Ok(n) = socket.read(&mut buf[held..]) else {
                break;
            };
            if n == 0 {
                break;
            }
            if quick_ack() {
                let _ = mqtt_driver::acknowledge_now(socket);
            }
            held += n;
            // Every acknowledgement of 3.1.1 is four bytes.
            let whole = held - held % 4;
            let mut counted = 0;
            for packet in buf[..whole].chunks_exact(4) {
                match packet[0] {
                    0x40 | 0x70 => counted += 1,
                    0x50 => releases.extend_from_slice(&[0x62, 2, packet[2], packet[3]]),
                    other => panic!("unexpected packet {other:#x}"),
                }
            }
            buf.copy_within(whole..held, 0);
            held -= whole;
            if !releases.is_empty() {
                writer
                    .lock()
                    .expect("the socket")
                    .write_all(&releases)
                    .expect("PUBREL written");
                releases.clear();
            }
            if counted > 0 {
                done += counted;
                lock.lock().expect("the counts").done = done;
                changed.notify_one();
            }
        }
        lock.lock().expect("the counts").closed = true;
        changed.notify_one();
        done
    }
}
