//! A TCP proxy between clients and a broker that cuts connections where it is told to, at a
//! seeded random byte offset, so that packets are cut in the middle of their frame.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use mqtt_test::SplitMix64;

/// No cut planned.
const NEVER: i64 = i64::MAX;

/// One client's connection through the proxy.
struct Pair {
    client: TcpStream,
    broker: TcpStream,
    /// Bytes each direction (client to broker, broker to client) may still carry before the
    /// cut: `NEVER` unless a cut is armed.
    budget: [AtomicI64; 2],
    cut: AtomicBool,
}

impl Pair {
    fn close(&self) {
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.broker.shutdown(Shutdown::Both);
    }
}

struct Shared {
    broker_port: u16,
    rng: Mutex<SplitMix64>,
    pairs: Mutex<Vec<Weak<Pair>>>,
    cuts: AtomicU64,
    stop: AtomicBool,
}

/// The proxy; stopped (with every connection through it) when dropped.
pub struct CuttingProxy {
    pub port: u16,
    shared: Arc<Shared>,
    accepting: Option<JoinHandle<()>>,
}

impl CuttingProxy {
    /// A proxy on a free loopback port to the broker on `broker_port`; `seed` draws the cut
    /// offsets.
    pub fn start(broker_port: u16, seed: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            broker_port,
            rng: Mutex::new(SplitMix64::new(seed)),
            pairs: Mutex::new(Vec::new()),
            cuts: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let accepting = std::thread::spawn({
            let shared = shared.clone();
            move || accept(&listener, &shared)
        });
        Self {
            port,
            shared,
            accepting: Some(accepting),
        }
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Arms a cut on every open connection: in one direction drawn at random, after 1 to
    /// `within` more bytes drawn at random. An idle connection is cut when bytes next flow.
    pub fn arm_cut(&self, within: u64) {
        let pairs: Vec<Arc<Pair>> = {
            let mut pairs = self.shared.pairs.lock().unwrap();
            pairs.retain(|p| p.strong_count() > 0);
            pairs.iter().filter_map(Weak::upgrade).collect()
        };
        let mut rng = self.shared.rng.lock().unwrap();
        for pair in pairs {
            let direction = usize::from(rng.next_u64() % 2 == 1);
            let offset = i64::try_from(rng.range_inclusive(1, within.max(1))).unwrap_or(1);
            let _ = pair.budget[direction].compare_exchange(
                NEVER,
                offset,
                Ordering::SeqCst,
                Ordering::SeqCst,
            );
        }
    }

    /// Arms a cut on every open connection after exactly `offset` more bytes from the client to
    /// the broker (`upstream`) or from the broker to the client.
    pub fn arm_exact(&self, upstream: bool, offset: u64) {
        let direction = usize::from(!upstream);
        for pair in self.shared.pairs.lock().unwrap().iter() {
            if let Some(pair) = pair.upgrade() {
                let offset = i64::try_from(offset).unwrap_or(NEVER);
                pair.budget[direction].store(offset, Ordering::SeqCst);
            }
        }
    }

    /// Cuts one connection: arms a cut ([`arm_cut`](Self::arm_cut)) and waits for it; when no
    /// byte flows for half a second, closes a connection outright (between frames, then).
    pub fn cut(&self, within: u64) {
        let before = self.cuts();
        self.arm_cut(within);
        let started = std::time::Instant::now();
        while self.cuts() == before {
            if started.elapsed() > Duration::from_millis(500) {
                let pair = self
                    .shared
                    .pairs
                    .lock()
                    .unwrap()
                    .iter()
                    .rev()
                    .find_map(Weak::upgrade);
                if let Some(pair) = pair {
                    if !pair.cut.swap(true, Ordering::SeqCst) {
                        self.shared.cuts.fetch_add(1, Ordering::SeqCst);
                    }
                    pair.close();
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// How many connections the proxy cut.
    pub fn cuts(&self) -> u64 {
        self.shared.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for pair in self.shared.pairs.lock().unwrap().iter() {
            if let Some(pair) = pair.upgrade() {
                pair.close();
            }
        }
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            Err(_) => return,
        };
        let _ = client.set_nonblocking(false);
        // A broker that is down: the client's connection closes at once, as a refusal would.
        let Ok(broker) = TcpStream::connect(("127.0.0.1", shared.broker_port)) else {
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = broker.set_nodelay(true);
        let pair = Arc::new(Pair {
            client,
            broker,
            budget: [AtomicI64::new(NEVER), AtomicI64::new(NEVER)],
            cut: AtomicBool::new(false),
        });
        shared.pairs.lock().unwrap().push(Arc::downgrade(&pair));
        for direction in 0..2 {
            let pair = pair.clone();
            let shared = shared.clone();
            std::thread::spawn(move || pump(&pair, direction, &shared));
        }
    }
}

/// Copies one direction until either side closes or the armed cut comes.
fn pump(pair: &Pair, direction: usize, shared: &Shared) {
    let (mut from, mut to) = match direction {
        0 => (&pair.client, &pair.broker),
        _ => (&pair.broker, &pair.client),
    };
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let budget = pair.budget[direction].load(Ordering::SeqCst);
        let len = i64::try_from(n).unwrap_or(i64::MAX);
        if budget != NEVER && budget <= len {
            // Forward up to the cut, which falls wherever it falls in a frame, then close.
            let keep = usize::try_from(budget).unwrap_or(0);
            let _ = to.write_all(&buf[..keep]);
            if !pair.cut.swap(true, Ordering::SeqCst) {
                shared.cuts.fetch_add(1, Ordering::SeqCst);
            }
            break;
        }
        if budget != NEVER {
            pair.budget[direction].fetch_sub(len, Ordering::SeqCst);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    pair.close();
}
