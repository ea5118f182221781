//! The interop matrix: one list of MQTT 3.1.1 scenarios run through `mqtt-probe` against real
//! brokers, each started on a free loopback port and stopped by its process id. Prints the
//! matrix (scenario × broker: pass / FAIL / n/a) and checks each cell against what is known of
//! the broker, so that a change in this client, or in a broker, shows.
//!
//! Brokers: Mosquitto (Debian's package) and rumqttd (the `rumqttd` example of this crate) by
//! default; `INTEROP_BROKERS=all` adds aedes (from npm) and amqtt (from the Python package index),
//! installed on first use under
//! `target/interop/`. `INTEROP_BROKERS=mosquitto,aedes` picks some. Run the whole matrix with
//! `mqtt-probe/interop.sh`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

// ---- brokers ----

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Broker {
    Mosquitto,
    Rumqttd,
    Aedes,
    Amqtt,
}

impl Broker {
    fn name(self) -> &'static str {
        match self {
            Self::Mosquitto => "mosquitto",
            Self::Rumqttd => "rumqttd",
            Self::Aedes => "aedes",
            Self::Amqtt => "amqtt",
        }
    }
}

/// A broker process, killed on drop.
/// A broker process, stopped on drop: Mosquitto through the workspace's harness, the others
/// here.
enum Running {
    Mosquitto(mqtt_suite::Mosquitto),
    Process {
        child: Child,
        port: u16,
        dir: PathBuf,
    },
}

impl Running {
    fn port(&self) -> u16 {
        match self {
            Self::Mosquitto(m) => m.port,
            Self::Process { port, .. } => *port,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Self::Process { child, dir, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `target/` of this build (the test runs from `target/<profile>/deps/`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

fn run(command: &mut Command, what: &str) {
    let status = command.status().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(status.success(), "{what} failed");
}

fn rumqttd(port: u16) -> Command {
    let binary = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/rumqttd");
    assert!(
        binary.exists(),
        "{} is missing: cargo test builds it (or cargo build -p mqtt-probe --examples)",
        binary.display()
    );
    let mut c = Command::new(binary);
    c.arg(port.to_string());
    c
}

fn aedes(port: u16) -> Command {
    let home = target_dir().join("interop/aedes");
    if !home.join("node_modules/aedes").exists() {
        std::fs::create_dir_all(&home).unwrap();
        run(
            Command::new("npm")
                .args(["install", "--silent", "--no-audit", "--no-fund", "aedes@1"])
                .arg("--prefix")
                .arg(&home),
            "npm install aedes",
        );
    }
    let script = home.join("server.mjs");
    std::fs::write(
        &script,
        "import { Aedes } from 'aedes';\n\
         import { createServer } from 'node:net';\n\
         const broker = await Aedes.createBroker();\n\
         createServer(broker.handle).listen(Number(process.argv[2]), '127.0.0.1');\n",
    )
    .unwrap();
    let mut c = Command::new("node");
    c.arg(script).arg(port.to_string()).current_dir(&home);
    c
}

fn amqtt(port: u16, dir: &Path) -> Command {
    let home = target_dir().join("interop/amqtt");
    let bin = home.join("venv/bin");
    if !bin.join("amqtt").exists() {
        std::fs::create_dir_all(&home).unwrap();
        run(
            Command::new("python3")
                .args(["-m", "venv"])
                .arg(home.join("venv")),
            "python3 -m venv",
        );
        run(
            Command::new(bin.join("pip")).args(["install", "--quiet", "amqtt"]),
            "pip install amqtt",
        );
    }
    std::fs::create_dir_all(dir).unwrap();
    let conf = dir.join("amqtt.yaml");
    std::fs::write(
        &conf,
        format!(
            "listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:{port}\n\
             plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n"
        ),
    )
    .unwrap();
    let mut c = Command::new(bin.join("amqtt"));
    c.arg("-c").arg(conf);
    c
}

fn start(broker: Broker) -> Running {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!(
        "mqtt-interop-{}-{}-{port}",
        broker.name(),
        std::process::id()
    ));
    let mut command = match broker {
        Broker::Mosquitto => return Running::Mosquitto(mqtt_suite::Mosquitto::start()),
        Broker::Rumqttd => rumqttd(port),
        Broker::Aedes => aedes(port),
        Broker::Amqtt => amqtt(port, &dir),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let child = command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("broker.log")).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", broker.name()));
    let running = Running::Process { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{} did not listen on {port}",
            broker.name()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    running
}

// ---- probes ----

/// A running `mqtt-probe`, fed commands one at a time; its events are read as they come.
struct Actor {
    child: Child,
    stdin: Option<ChildStdin>,
    events: mpsc::Receiver<Value>,
    unread: Vec<Value>,
    port: u16,
}

type Step = Result<(), String>;

impl Actor {
    fn start(port: u16) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mqtt-probe"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(event) = serde_json::from_str(&line) {
                    if tx.send(event).is_err() {
                        break;
                    }
                }
            }
        });
        Self {
            stdin: child.stdin.take(),
            child,
            events: rx,
            unread: Vec::new(),
            port,
        }
    }

    fn send(&mut self, cmd: &Value) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = writeln!(stdin, "{cmd}");
            let _ = stdin.flush();
        }
    }

    /// Connects (3.1.1) and waits for CONNACK; returns it.
    fn connect(&mut self, id: &str, extra: &Value) -> Result<Value, String> {
        let mut cmd = json!({"cmd": "connect", "port": self.port, "version": 4,
            "client_id": id, "clean": true});
        if let (Some(cmd), Some(extra)) = (cmd.as_object_mut(), extra.as_object()) {
            cmd.extend(extra.clone());
        }
        self.send(&cmd);
        self.next("connack", &json!({}), Duration::from_secs(5))
    }

    /// The next event of `kind` matching `pattern`, within `timeout`.
    fn next(&mut self, kind: &str, pattern: &Value, timeout: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self
                .unread
                .iter()
                .position(|e| e["event"] == kind && includes(e, pattern))
            {
                return Ok(self.unread.remove(i));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => self.unread.push(event),
                Err(_) => {
                    return Err(format!(
                        "no {kind} event matching {pattern} (got {})",
                        Value::Array(self.unread.clone())
                    ));
                }
            }
        }
    }

    /// No event of `kind` matching `pattern` for `period`.
    fn none(&mut self, kind: &str, pattern: &Value, period: Duration) -> Step {
        match self.next(kind, pattern, period) {
            Ok(event) => Err(format!("unexpected {event}")),
            Err(_) => Ok(()),
        }
    }

    fn subscribe(&mut self, filter: &str, qos: u8) -> Result<Value, String> {
        self.send(&json!({"cmd": "subscribe", "subs": [{"filter": filter, "qos": qos}]}));
        self.next("suback", &json!({}), Duration::from_secs(5))
    }
}

impl Drop for Actor {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn includes(event: &Value, pattern: &Value) -> bool {
    match (event, pattern) {
        (Value::Object(e), Value::Object(p)) => p
            .iter()
            .all(|(k, v)| e.get(k).is_some_and(|ev| includes(ev, v))),
        (Value::Number(e), Value::Number(p)) => e.as_f64() == p.as_f64(),
        (e, p) => e == p,
    }
}

const SHORT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(700);

// ---- scenarios ----

/// The outcome of a scenario on a broker.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail(String),
    /// The broker does not offer what the scenario needs (not a spec violation).
    NotSupported(String),
}

type Scenario = fn(u16, &str) -> Verdict;

fn verdict(step: Step) -> Verdict {
    step.map_or_else(Verdict::Fail, |()| Verdict::Pass)
}

fn connect(port: u16, ns: &str) -> Verdict {
    let mut a = Actor::start(port);
    verdict((|| {
        let connack = a.connect(&format!("{ns}-c"), &json!({}))?;
        if connack["reason"] != 0 {
            return Err(format!("refused: {connack}"));
        }
        a.send(&json!({"cmd": "disconnect"}));
        a.next("disconnected", &json!({"by_peer": false}), SHORT)?;
        Ok(())
    })())
}

/// [MQTT-3.1.2-2]: a 3.1.1 server answers an unsupported protocol level with CONNACK 0x01 (the
/// probe reports it as 5.0's 0x84, Unsupported Protocol Version, since it sent a 5.0 CONNECT);
/// a 5.0 server accepts it.
fn refused(port: u16, ns: &str) -> Verdict {
    let mut a = Actor::start(port);
    let connack = match a.connect(&format!("{ns}-v5"), &json!({"version": 5})) {
        Ok(c) => c,
        Err(e) => {
            return Verdict::Fail(format!(
                "[MQTT-3.1.2-2] no CONNACK for protocol level 5: {e}"
            ));
        }
    };
    match connack["reason"].as_u64() {
        Some(1 | 0x84) => verdict(
            a.next("disconnected", &json!({"by_peer": true}), SHORT)
                .map(|_| ()),
        ),
        Some(0) => Verdict::NotSupported("speaks MQTT 5.0: accepted protocol level 5".into()),
        _ => Verdict::Fail(format!(
            "[MQTT-3.1.2-2] CONNACK {connack} for level 5, not 0x01"
        )),
    }
}

fn round_trip(port: u16, ns: &str, qos: u8) -> Verdict {
    let (mut sub, mut publisher) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        sub.connect(&format!("{ns}-sub"), &json!({}))?;
        let topic = format!("interop/{ns}/q{qos}");
        let suback = sub.subscribe(&topic, qos)?;
        if suback["reasons"] != json!([qos]) {
            return Err(format!("SUBACK {suback}, expected QoS {qos} granted"));
        }
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(&json!({"cmd": "publish", "topic": topic, "payload": "hello", "qos": qos}));
        publisher.next("published", &json!({"qos": qos}), SHORT)?;
        let message = sub.next("message", &json!({"topic": topic}), SHORT)?;
        if message["qos"] != qos || message["payload_hex"] != "68656c6c6f" {
            return Err(format!("received {message}"));
        }
        if qos > 0 {
            sub.next("inbound_complete", &json!({}), SHORT)?;
        }
        Ok(())
    })())
}

fn qos0(port: u16, ns: &str) -> Verdict {
    round_trip(port, ns, 0)
}
fn qos1(port: u16, ns: &str) -> Verdict {
    round_trip(port, ns, 1)
}
fn qos2(port: u16, ns: &str) -> Verdict {
    round_trip(port, ns, 2)
}

/// [MQTT-3.3.1-6]: a new subscriber receives the retained message with RETAIN set; an empty
/// retained message clears it [MQTT-3.3.1-10].
fn retained(port: u16, ns: &str) -> Verdict {
    let (mut publisher, mut sub) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/retained");
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(
            &json!({"cmd": "publish", "topic": topic, "payload": "kept", "qos": 1, "retain": true}),
        );
        publisher.next("published", &json!({}), SHORT)?;
        sub.connect(&format!("{ns}-sub"), &json!({}))?;
        sub.subscribe(&topic, 1)?;
        let message = sub
            .next("message", &json!({"topic": topic}), SHORT)
            .map_err(|e| format!("[MQTT-3.3.1-6] {e}"))?;
        if message["retain"] != true {
            return Err(format!(
                "[MQTT-3.3.1-9] RETAIN not set on a retained message: {message}"
            ));
        }
        publisher.send(
            &json!({"cmd": "publish", "topic": topic, "payload": "", "qos": 1, "retain": true}),
        );
        publisher.next("published", &json!({"pkid": 2}), SHORT)?;
        let mut late = Actor::start(port);
        late.connect(&format!("{ns}-late"), &json!({}))?;
        late.subscribe(&topic, 1)?;
        late.none("message", &json!({"topic": topic}), QUIET)
            .map_err(|e| format!("[MQTT-3.3.1-10] an empty retained message did not clear it: {e}"))
    })())
}

/// [MQTT-3.1.2-8]: the will is published when the connection closes without DISCONNECT.
fn will(port: u16, ns: &str) -> Verdict {
    let (mut sub, mut mortal) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/will");
        sub.connect(&format!("{ns}-sub"), &json!({}))?;
        sub.subscribe(&topic, 1)?;
        mortal.connect(
            &format!("{ns}-mortal"),
            &json!({"will": {"topic": topic, "payload": "gone", "qos": 1}}),
        )?;
        mortal.send(&json!({"cmd": "drop"}));
        sub.next(
            "message",
            &json!({"topic": topic, "payload_hex": "676f6e65"}),
            SHORT,
        )
        .map_err(|e| format!("[MQTT-3.1.2-8] {e}"))?;
        Ok(())
    })())
}

/// [MQTT-3.1.2-4], [MQTT-3.2.2-2]: a persistent session is resumed (Session Present) with the
/// QoS 1 messages published while the client was away.
fn offline(port: u16, ns: &str) -> Verdict {
    let (mut sub, mut publisher) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/offline");
        let id = format!("{ns}-sub");
        sub.connect(&id, &json!({"clean": false}))?;
        sub.subscribe(&topic, 1)?;
        sub.send(&json!({"cmd": "disconnect"}));
        sub.next("disconnected", &json!({}), SHORT)?;
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher
            .send(&json!({"cmd": "publish", "topic": topic, "payload": "while away", "qos": 1}));
        publisher.next("published", &json!({}), SHORT)?;
        let connack = sub.connect(&id, &json!({"clean": false}))?;
        if connack["session_present"] != true {
            return Err(format!("[MQTT-3.2.2-2] Session Present not set: {connack}"));
        }
        sub.next("message", &json!({"topic": topic}), SHORT)
            .map_err(|e| format!("[MQTT-3.1.2-5] offline message not delivered: {e}"))?;
        // Clean up the session.
        sub.send(&json!({"cmd": "disconnect"}));
        Ok(())
    })())
}

/// [MQTT-3.10.4-6]: UNSUBACK, and no more messages for the filter.
fn unsubscribe(port: u16, ns: &str) -> Verdict {
    let (mut sub, mut publisher) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/unsub");
        sub.connect(&format!("{ns}-sub"), &json!({}))?;
        sub.subscribe(&topic, 1)?;
        sub.send(&json!({"cmd": "unsubscribe", "filters": [topic]}));
        sub.next("unsuback", &json!({}), SHORT)
            .map_err(|e| format!("[MQTT-3.10.4-4] {e}"))?;
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(&json!({"cmd": "publish", "topic": topic, "payload": "x", "qos": 1}));
        publisher.next("published", &json!({}), SHORT)?;
        sub.none("message", &json!({"topic": topic}), QUIET)
            .map_err(|e| format!("[MQTT-3.10.4-1] delivered after UNSUBSCRIBE: {e}"))
    })())
}

/// [MQTT-3.3.5-1]: overlapping subscriptions deliver at the highest QoS granted (one copy, or
/// one per subscription, either is allowed).
fn overlapping(port: u16, ns: &str) -> Verdict {
    let (mut sub, mut publisher) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/a/b");
        sub.connect(&format!("{ns}-sub"), &json!({}))?;
        sub.subscribe(&format!("interop/{ns}/#"), 1)?;
        sub.subscribe(&topic, 2)?;
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(&json!({"cmd": "publish", "topic": topic, "payload": "x", "qos": 2}));
        publisher.next("published", &json!({}), SHORT)?;
        let first = sub.next("message", &json!({"topic": topic}), SHORT)?;
        let second = sub.next("message", &json!({"topic": topic}), QUIET).ok();
        let qos: Vec<_> = [Some(&first), second.as_ref()]
            .into_iter()
            .flatten()
            .map(|m| m["qos"].as_u64().unwrap_or(0))
            .collect();
        if qos.contains(&2) {
            Ok(())
        } else {
            Err(format!(
                "[MQTT-3.3.5-1] delivered at QoS {qos:?}, not at the maximum granted (2)"
            ))
        }
    })())
}

/// [MQTT-4.7.2-1]: `#` does not match topics starting with `$`.
fn dollar(port: u16, ns: &str) -> Verdict {
    let (mut all, mut dollar, mut publisher) =
        (Actor::start(port), Actor::start(port), Actor::start(port));
    let matched_nothing = (|| {
        all.connect(&format!("{ns}-all"), &json!({}))?;
        all.subscribe("#", 0)?;
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(&json!({"cmd": "publish", "topic": "$interop/x", "payload": "x", "qos": 0}));
        all.none("message", &json!({"topic": "$interop/x"}), QUIET)
            .map_err(|e| format!("[MQTT-4.7.2-1] # matched a $-topic: {e}"))?;
        // Mosquitto publishes $SYS topics: none may reach `#` either.
        all.none("message", &json!({}), Duration::from_millis(10))
            .map_err(|e| format!("[MQTT-4.7.2-1] # received {e}"))
    })();
    if let Err(e) = matched_nothing {
        return Verdict::Fail(e);
    }
    // Whether the publication reached the broker at all: a subscriber to `$interop/#`.
    if let Err(e) = dollar
        .connect(&format!("{ns}-dollar"), &json!({}))
        .and_then(|_| dollar.subscribe("$interop/#", 0))
    {
        return Verdict::NotSupported(format!(
            "# matched nothing, but SUBSCRIBE to $interop/# got no SUBACK ([MQTT-3.8.4-1]): {e}"
        ));
    }
    publisher.send(&json!({"cmd": "publish", "topic": "$interop/x", "payload": "y", "qos": 0}));
    if dollar
        .next("message", &json!({"topic": "$interop/x"}), QUIET)
        .is_err()
    {
        return Verdict::NotSupported(
            "# matched nothing; clients cannot publish to $-topics".into(),
        );
    }
    verdict(
        all.none("message", &json!({"topic": "$interop/x"}), QUIET)
            .map_err(|e| format!("[MQTT-4.7.2-1] # matched a $-topic: {e}")),
    )
}

/// [MQTT-3.1.2-24]: a server closes a connection silent for 1.5 × keep alive; PINGREQ keeps it
/// open [MQTT-3.12.4-1].
fn keepalive(port: u16, ns: &str) -> Verdict {
    let (mut pinging, mut silent) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        pinging.connect(&format!("{ns}-ping"), &json!({"keepalive": 1}))?;
        silent.connect(
            &format!("{ns}-silent"),
            &json!({"keepalive": 1, "suppress_pings": true}),
        )?;
        let start = Instant::now();
        silent
            .next(
                "disconnected",
                &json!({"by_peer": true}),
                Duration::from_secs(10),
            )
            .map_err(|e| format!("[MQTT-3.1.2-24] a silent client was not disconnected: {e}"))?;
        let after = start.elapsed();
        pinging
            .none("disconnected", &json!({}), Duration::from_millis(500))
            .map_err(|e| format!("[MQTT-3.12.4-1] a pinging client was disconnected: {e}"))?;
        // 1.5 s, with half a second for scheduling.
        if after > Duration::from_secs(2) {
            return Err(format!(
                "[MQTT-3.1.2-24] a client silent for 1.5 × keep alive (1.5 s) was disconnected \
                 only after {:.1} s",
                after.as_secs_f64()
            ));
        }
        Ok(())
    })())
}

/// [MQTT-4.4.0-1]: an unacknowledged QoS 1 message is sent again, with DUP, when the session
/// resumes.
fn redelivery(port: u16, ns: &str) -> Verdict {
    let (mut sub, mut publisher) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/redelivery");
        let id = format!("{ns}-sub");
        sub.connect(&id, &json!({"clean": false, "manual_acks": true}))?;
        sub.subscribe(&topic, 1)?;
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(&json!({"cmd": "publish", "topic": topic, "payload": "again", "qos": 1}));
        sub.next("message", &json!({"topic": topic}), SHORT)?;
        sub.send(&json!({"cmd": "drop"}));
        sub.next("disconnected", &json!({}), SHORT)?;
        sub.connect(&id, &json!({"clean": false, "manual_acks": true}))?;
        let again = sub
            .next("message", &json!({"topic": topic}), SHORT)
            .map_err(|e| format!("[MQTT-4.4.0-1] not sent again: {e}"))?;
        if again["dup"] != true {
            return Err(format!("[MQTT-3.3.1-1] sent again without DUP: {again}"));
        }
        let pkid = again["pkid"].clone();
        sub.send(&json!({"cmd": "ack", "pkid": pkid}));
        sub.next("inbound_complete", &json!({}), SHORT)?;
        sub.send(&json!({"cmd": "disconnect"}));
        Ok(())
    })())
}

const SCENARIOS: &[(&str, Scenario)] = &[
    ("connect", connect),
    ("refused (protocol level 5)", refused),
    ("QoS 0 both ways", qos0),
    ("QoS 1 both ways", qos1),
    ("QoS 2 both ways", qos2),
    ("retained messages", retained),
    ("will", will),
    ("persistent session, offline messages", offline),
    ("unsubscribe", unsubscribe),
    ("overlapping subscriptions", overlapping),
    ("$-topics not matched by #", dollar),
    ("keepalive", keepalive),
    ("redelivery on reconnect", redelivery),
];

/// What each broker is known to do where it is not a plain pass: the cell's possible prefixes.
fn expected(broker: Broker, scenario: &str) -> &'static [&'static str] {
    match (broker, scenario) {
        // A 5.0 broker accepts protocol level 5; rumqttd 0.20 closes the connection on
        // SUBSCRIBE to a $-filter; amqtt 0.12 takes no client publications to $-topics.
        (Broker::Mosquitto, "refused (protocol level 5)")
        | (Broker::Rumqttd | Broker::Amqtt, "$-topics not matched by #") => &["n/a"],
        // Mosquitto 2.0.11 checks keep alive every few seconds: 2 to 5 s for a 1 s keep alive.
        (Broker::Mosquitto, "keepalive") => &["FAIL [MQTT-3.1.2-24]", "pass"],
        // rumqttd 0.20 closes the connection without CONNACK 0x01.
        (Broker::Rumqttd, "refused (protocol level 5)") => &["FAIL [MQTT-3.1.2-2]"],
        // rumqttd 0.20 and aedes 1.2 send an unacknowledged message again without DUP.
        (Broker::Rumqttd | Broker::Aedes, "redelivery on reconnect") => &["FAIL [MQTT-3.3.1-1]"],
        // amqtt 0.12: no offline messages for a resumed session, no keep alive enforcement,
        // no redelivery.
        (Broker::Amqtt, "persistent session, offline messages") => &["FAIL [MQTT-3.1.2-5]"],
        (Broker::Amqtt, "keepalive") => &["FAIL [MQTT-3.1.2-24]"],
        (Broker::Amqtt, "redelivery on reconnect") => &["FAIL [MQTT-4.4.0-1]"],
        _ => &["pass"],
    }
}

/// The short form of a verdict for the matrix: `pass`, `n/a`, or `FAIL` with the rule.
fn cell(v: &Verdict) -> String {
    match v {
        Verdict::Pass => "pass".into(),
        Verdict::NotSupported(_) => "n/a".into(),
        Verdict::Fail(why) => match why.split_once(']') {
            Some((rule, _)) if why.starts_with('[') => format!("FAIL {rule}]"),
            _ => "FAIL".into(),
        },
    }
}

fn detail(v: &Verdict) -> Option<&str> {
    match v {
        Verdict::Pass => None,
        Verdict::Fail(why) | Verdict::NotSupported(why) => Some(why),
    }
}

#[test]
fn interop_matrix() {
    let wanted = std::env::var("INTEROP_BROKERS").unwrap_or_default();
    let brokers: Vec<Broker> = [
        Broker::Mosquitto,
        Broker::Rumqttd,
        Broker::Aedes,
        Broker::Amqtt,
    ]
    .into_iter()
    .filter(|b| match wanted.as_str() {
        "" => matches!(b, Broker::Mosquitto | Broker::Rumqttd),
        "all" => true,
        list => list.split(',').any(|n| n.trim() == b.name()),
    })
    .collect();
    let mut results: BTreeMap<(usize, Broker), Verdict> = BTreeMap::new();
    for &broker in &brokers {
        let running = start(broker);
        for (i, (name, scenario)) in SCENARIOS.iter().enumerate() {
            let ns = format!("{}{i}", broker.name());
            let verdict = scenario(running.port(), &ns);
            eprintln!("{} / {name}: {}", broker.name(), cell(&verdict));
            results.insert((i, broker), verdict);
        }
    }
    // The matrix, as Markdown, with the details of every cell that is not a pass below it.
    let mut table = String::from("| scenario |");
    for b in &brokers {
        let _ = write!(table, " {} |", b.name());
    }
    table += "\n|---|";
    table += &"---|".repeat(brokers.len());
    table.push('\n');
    let mut notes = String::new();
    let mut surprises = Vec::new();
    for (i, (name, _)) in SCENARIOS.iter().enumerate() {
        let _ = write!(table, "| {name} |");
        for &b in &brokers {
            let verdict = &results[&(i, b)];
            let text = cell(verdict);
            let _ = write!(table, " {text} |");
            if let Some(why) = detail(verdict) {
                let _ = writeln!(notes, "- {} / {name}: {why}", b.name());
            }
            if !expected(b, name).iter().any(|e| text.starts_with(e)) {
                surprises.push(format!(
                    "{} / {name}: {text}: {}",
                    b.name(),
                    detail(verdict).unwrap_or("")
                ));
            }
        }
        table.push('\n');
    }
    println!("{table}\n{notes}");
    assert!(
        surprises.is_empty(),
        "unexpected cells:\n{}",
        surprises.join("\n")
    );
}
