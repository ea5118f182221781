//! `mqtt-test`'s scripted broker on a loopback port (one thread, one connection at a time), and
//! a runner for the probe binary.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mqtt_proto::Packet;
use mqtt_test::{BrokerConfig, FakeBroker};
use serde_json::Value;

pub struct Served {
    pub port: u16,
    broker: Arc<Mutex<FakeBroker>>,
    raw: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Served {
    pub fn start(config: BrokerConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let broker = Arc::new(Mutex::new(FakeBroker::new(config)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (broker, raw, stop) = (broker.clone(), raw.clone(), stop.clone());
            move || serve(&listener, &broker, &raw, &stop)
        });
        Self {
            port,
            broker,
            raw,
            stop,
            thread: Some(thread),
        }
    }

    pub fn broker(&self) -> MutexGuard<'_, FakeBroker> {
        self.broker.lock().unwrap()
    }

    pub fn received(&self) -> Vec<Packet> {
        self.broker().received().to_vec()
    }

    /// Every byte the client sent, across connections.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    listener: &TcpListener,
    broker: &Mutex<FakeBroker>,
    raw: &Mutex<Vec<u8>>,
    stop: &AtomicBool,
) {
    let mut first = true;
    let mut buf = vec![0; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let Ok((mut stream, _)) = listener.accept() else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        if !std::mem::take(&mut first) {
            broker.lock().unwrap().new_connection();
        }
        while !stop.load(Ordering::Relaxed) {
            let out = broker.lock().unwrap().poll_transmit();
            if let Some(bytes) = out {
                if stream.write_all(&bytes).is_err() {
                    break;
                }
            }
            if broker.lock().unwrap().is_closed() {
                break;
            }
            match stream.read(&mut buf) {
                Ok(0) => {
                    broker.lock().unwrap().connection_closed();
                    break;
                }
                Ok(n) => {
                    raw.lock().unwrap().extend_from_slice(&buf[..n]);
                    broker.lock().unwrap().handle_read(&buf[..n]);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => {
                    broker.lock().unwrap().connection_closed();
                    break;
                }
            }
        }
    }
}

/// What a probe run gave.
pub struct Run {
    pub status: ExitStatus,
    pub events: Vec<Value>,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// The events of `kind`, in order.
    pub fn of(&self, kind: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["event"] == kind).collect()
    }
}

/// Runs the probe with `args` on a script of JSON commands, within 20 s.
pub fn probe(args: &[&str], script: &[Value]) -> Run {
    let lines: Vec<String> = script.iter().map(ToString::to_string).collect();
    probe_lines(args, &lines)
}

/// Runs the probe with `args` on `lines` of standard input, within 20 s.
pub fn probe_lines(args: &[&str], lines: &[String]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mqtt-probe"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in lines {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the probe did not finish");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let events = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    Run { status, events }
}
