//! `mqtt-test`'s scripted broker served on a loopback port by a thread of its own, for every
//! adapter: behaviour no real broker can be made to show on demand, such as accepting a
//! connection and dropping it at once, forever.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mqtt_proto::{DisconnectProperties, ReasonCode};
use mqtt_test::{BrokerConfig, FakeBroker};

/// What the broker does right after it accepted a connection with CONNACK 0x00.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterConnack {
    /// Serves the connection.
    Serve,
    /// Sends DISCONNECT with this reason code (MQTT 5.0) and closes.
    Disconnect(ReasonCode),
    /// Closes the connection without a word.
    Close,
}

struct Shared {
    broker: Mutex<FakeBroker>,
    after_connack: Mutex<AfterConnack>,
    /// When each TCP connection was accepted.
    accepted: Mutex<Vec<Instant>>,
    /// Close the connection that is up.
    kick: AtomicBool,
    stop: AtomicBool,
}

/// A [`FakeBroker`] behind a TCP listener, one connection at a time; stopped when dropped.
pub struct Scripted {
    pub port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Scripted {
    pub fn start(config: BrokerConfig, after_connack: AfterConnack) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            broker: Mutex::new(FakeBroker::new(config)),
            after_connack: Mutex::new(after_connack),
            accepted: Mutex::new(Vec::new()),
            kick: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let thread = std::thread::spawn({
            let shared = shared.clone();
            move || serve(&listener, &shared)
        });
        Self {
            port,
            shared,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// The broker's state.
    pub fn broker(&self) -> MutexGuard<'_, FakeBroker> {
        self.shared.broker.lock().unwrap()
    }

    pub fn set_after_connack(&self, after: AfterConnack) {
        *self.shared.after_connack.lock().unwrap() = after;
    }

    /// Closes the connection that is up, without a word.
    pub fn kick(&self) {
        self.shared.kick.store(true, Ordering::SeqCst);
    }

    /// When each connection was accepted, in order.
    pub fn accepted(&self) -> Vec<Instant> {
        self.shared.accepted.lock().unwrap().clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: &TcpListener, shared: &Shared) {
    let mut first = true;
    while !shared.stop.load(Ordering::Relaxed) {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            Err(_) => return,
        };
        shared.accepted.lock().unwrap().push(Instant::now());
        if !std::mem::take(&mut first) {
            shared.broker.lock().unwrap().new_connection();
        }
        connection(stream, shared);
    }
}

/// Serves one connection until either side closes it.
fn connection(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(5)));
    let mut buf = vec![0; 64 * 1024];
    let mut accepted = false;
    while !shared.stop.load(Ordering::Relaxed) {
        if shared.kick.swap(false, Ordering::SeqCst) {
            shared.broker.lock().unwrap().connection_closed();
            return;
        }
        let mut broker = shared.broker.lock().unwrap();
        let mut close = false;
        if !accepted && broker.is_connected() {
            accepted = true;
            match *shared.after_connack.lock().unwrap() {
                AfterConnack::Serve => {}
                AfterConnack::Disconnect(code) => {
                    broker.send_disconnect(code, DisconnectProperties::default());
                }
                AfterConnack::Close => close = true,
            }
        }
        if let Some(bytes) = broker.poll_transmit() {
            drop(broker);
            if stream.write_all(&bytes).is_err() || close {
                shared.broker.lock().unwrap().connection_closed();
                return;
            }
            continue;
        }
        if broker.is_closed() {
            return;
        }
        drop(broker);
        match stream.read(&mut buf) {
            Ok(0) => {
                shared.broker.lock().unwrap().connection_closed();
                return;
            }
            Ok(n) => shared.broker.lock().unwrap().handle_read(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => {
                shared.broker.lock().unwrap().connection_closed();
                return;
            }
        }
    }
}
