//! A running `mqtt-probe` as one actor of a scenario.

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A running `mqtt-probe`, fed commands one at a time; its events are read as they come.
pub(crate) struct Actor {
    child: Child,
    stdin: Option<ChildStdin>,
    events: mpsc::Receiver<Value>,
    unread: Vec<Value>,
    port: u16,
}

pub(crate) type Step = Result<(), String>;

impl Actor {
    pub(crate) fn start(port: u16) -> Self {
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

    pub(crate) fn send(&mut self, cmd: &Value) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = writeln!(stdin, "{cmd}");
            let _ = stdin.flush();
        }
    }

    /// Connects (3.1.1) and waits for CONNACK; returns it.
    pub(crate) fn connect(&mut self, id: &str, extra: &Value) -> Result<Value, String> {
        let mut cmd = json!({"cmd": "connect", "port": self.port, "version": 4,
            "client_id": id, "clean": true});
        if let (Some(cmd), Some(extra)) = (cmd.as_object_mut(), extra.as_object()) {
            cmd.extend(extra.clone());
        }
        self.send(&cmd);
        self.next("connack", &json!({}), Duration::from_secs(5))
    }

    /// The next event of `kind` matching `pattern`, within `timeout`.
    pub(crate) fn next(
        &mut self,
        kind: &str,
        pattern: &Value,
        timeout: Duration,
    ) -> Result<Value, String> {
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
    pub(crate) fn none(&mut self, kind: &str, pattern: &Value, period: Duration) -> Step {
        match self.next(kind, pattern, period) {
            Ok(event) => Err(format!("unexpected {event}")),
            Err(_) => Ok(()),
        }
    }

    pub(crate) fn subscribe(&mut self, filter: &str, qos: u8) -> Result<Value, String> {
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

pub(crate) fn includes(event: &Value, pattern: &Value) -> bool {
    match (event, pattern) {
        (Value::Object(e), Value::Object(p)) => p
            .iter()
            .all(|(k, v)| e.get(k).is_some_and(|ev| includes(ev, v))),
        (Value::Number(e), Value::Number(p)) => e.as_f64() == p.as_f64(),
        (e, p) => e == p,
    }
}

pub(crate) const SHORT: Duration = Duration::from_secs(5);
pub(crate) const QUIET: Duration = Duration::from_millis(700);
