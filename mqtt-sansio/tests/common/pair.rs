//! A client, the fake broker and a simulated link each way, on one virtual clock: the world the
//! session tests run in, driven as an adapter drives a socket (a send buffer, write progress,
//! timers), from one due moment to the next.

use core::time::Duration;

use bytes::Buf;
use mqtt_sansio::{Chunks, Client, Config, DisconnectReason, Event, Instant};
use mqtt_test::{BrokerConfig, FakeBroker, Link, LinkConfig};

pub struct Pair {
    pub client: Client,
    pub broker: FakeBroker,
    /// Client to broker.
    pub up: Link,
    /// Broker to client.
    pub down: Link,
    pub now: Duration,
    /// Every event of the client, with the moment it came out.
    pub events: Vec<(Duration, Event)>,
    /// Bytes taken from the client and not handed to the link yet: the driver's buffer.
    pending: Chunks,
    /// The most handed to the link at once (a socket's send buffer). Default: no limit.
    pub write_size: usize,
    /// Whether the link takes bytes; a server that stops reading stops it.
    pub writable: bool,
}

impl Pair {
    /// The transport is open (CONNECT is queued); nothing moves until [`run_until`].
    pub fn new(config: Config, broker: BrokerConfig, up: LinkConfig, down: LinkConfig) -> Self {
        let mut pair = Self {
            client: Client::new(config),
            broker: FakeBroker::new(broker),
            up: Link::new(up),
            down: Link::new(down),
            now: Duration::ZERO,
            events: Vec::new(),
            pending: Chunks::new(),
            write_size: usize::MAX,
            writable: true,
        };
        pair.client.handle_transport_open(pair.instant());
        pair
    }

    /// Links of `latency` each way, nothing else in the way.
    pub fn with_latency(config: Config, latency: Duration) -> Self {
        Self::new(
            config,
            BrokerConfig::new(),
            LinkConfig::new(latency),
            LinkConfig::new(latency),
        )
    }

    /// The client's clock.
    pub fn instant(&self) -> Instant {
        Instant::from_nanos(u64::try_from(self.now.as_nanos()).unwrap())
    }

    /// Everything due at the current moment: timers, writes while the link has room, deliveries
    /// both ways, events. Whether anything moved.
    pub fn step(&mut self) -> bool {
        let now = self.instant();
        let mut moved = false;
        if self.client.poll_timeout().is_some_and(|t| t <= now) {
            self.client.handle_timeout(now);
        }
        while self.writable && self.up.busy_until() <= self.now {
            if self.pending.is_empty() && !self.client.poll_transmit_chunks(now, &mut self.pending)
            {
                break;
            }
            let piece = self
                .pending
                .copy_to_bytes(self.pending.len().min(self.write_size));
            self.up.send(self.now, &piece);
            self.client.handle_write_progress(now);
            moved = true;
        }
        while let Some(bytes) = self.up.poll_deliver(self.now) {
            self.broker.handle_read(&bytes);
            moved = true;
        }
        while let Some(bytes) = self.broker.poll_transmit() {
            self.down.send(self.now, &bytes);
            moved = true;
        }
        while let Some(bytes) = self.down.poll_deliver(self.now) {
            self.client.handle_read(now, &bytes);
            moved = true;
        }
        while let Some(event) = self.client.poll_event() {
            self.events.push((self.now, event));
            moved = true;
        }
        moved
    }

    /// Runs the world until `until`, from one due moment to the next: the client's deadline,
    /// a delivery, the link's room for the next write.
    pub fn run_until(&mut self, until: Duration) {
        loop {
            while self.step() {}
            let next = [
                self.client
                    .poll_timeout()
                    .map(|t| Duration::from_nanos(t.as_nanos())),
                self.up.next_delivery(),
                self.down.next_delivery(),
                self.writable.then(|| self.up.busy_until()),
            ]
            .into_iter()
            .flatten()
            .filter(|t| *t > self.now)
            .min();
            match next {
                Some(t) if t <= until => self.now = t,
                _ => break,
            }
        }
        self.now = until;
    }

    /// The first disconnection, with its moment.
    pub fn disconnected(&self) -> Option<(Duration, &DisconnectReason)> {
        self.events.iter().find_map(|(at, e)| match e {
            Event::Disconnected(reason) => Some((*at, reason)),
            _ => None,
        })
    }

    /// The connection ended: a new one on mended links, as a driver reconnects.
    pub fn reconnect(&mut self) {
        self.client.handle_transport_closed(self.instant());
        self.broker.connection_closed();
        self.pending.clear();
        self.up.restore();
        self.down.restore();
        self.broker.new_connection();
        self.client.handle_transport_open(self.instant());
    }
}
