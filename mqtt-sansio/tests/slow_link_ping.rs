//! A PINGREQ queued behind a large PUBLISH on a slow link is not a missing PINGRESP: its
//! deadline counts from when it goes out, and while the driver keeps writing the link is alive.
//! A link on which nothing can be written for a ping timeout is dead.

use core::time::Duration;

use bytes::{Buf, Bytes};
use mqtt_proto::{MqttString, Packet, QoS, TopicName};
use mqtt_sansio::{Chunks, Client, Config, DisconnectReason, Event, Instant, Message};
use mqtt_test::{BrokerConfig, FakeBroker, Link, LinkConfig};

/// 16 MiB.
const PAYLOAD: usize = 16 * 1024 * 1024;
/// 100 KiB per second up: the payload takes about 164 s, more than two keep alive intervals.
const BANDWIDTH: u64 = 100 * 1024;
/// What the driver hands the socket at once (its send buffer).
const WRITE: usize = 64 * 1024;
const STEP: Duration = Duration::from_millis(20);

struct World {
    client: Client,
    broker: FakeBroker,
    up: Link,
    down: Link,
    /// Bytes the driver took from the client and has not written yet.
    pending: Chunks,
    now: Instant,
    events: Vec<(Duration, Event)>,
    /// Whether the socket accepts bytes (a stalled server stops reading).
    writable: bool,
}

impl World {
    fn new() -> Self {
        let config =
            Config::new(MqttString::from_static("slow")).with_keep_alive(Duration::from_secs(60));
        let ms = Duration::from_millis;
        let mut world = Self {
            client: Client::new(config),
            broker: FakeBroker::new(BrokerConfig::new()),
            up: Link::new(LinkConfig::new(ms(10)).with_bandwidth(BANDWIDTH)),
            down: Link::new(LinkConfig::new(ms(10))),
            pending: Chunks::new(),
            now: Instant::ZERO,
            events: Vec::new(),
            writable: true,
        };
        world.client.handle_transport_open(world.now);
        world.run_until(Duration::from_secs(1));
        assert!(world.client.is_connected());
        world
    }

    fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(Instant::ZERO)
    }

    /// One step of a driver on a socket with a small send buffer: it writes while the link has
    /// room, takes the client's next bytes only once it wrote the last, and reports progress.
    fn step(&mut self) {
        let now = self.elapsed();
        while self.writable && self.up.busy_until() <= now {
            if self.pending.is_empty()
                && !self
                    .client
                    .poll_transmit_chunks(self.now, &mut self.pending)
            {
                break;
            }
            let piece = self.pending.copy_to_bytes(self.pending.len().min(WRITE));
            self.up.send(now, &piece);
            self.client.handle_write_progress(self.now);
        }
        while let Some(bytes) = self.up.poll_deliver(now) {
            self.broker.handle_read(&bytes);
        }
        while let Some(bytes) = self.broker.poll_transmit() {
            self.down.send(now, &bytes);
        }
        while let Some(bytes) = self.down.poll_deliver(now) {
            self.client.handle_read(self.now, &bytes);
        }
        if self.client.poll_timeout().is_some_and(|t| t <= self.now) {
            self.client.handle_timeout(self.now);
        }
        while let Some(event) = self.client.poll_event() {
            self.events.push((now, event));
        }
    }

    fn run_until(&mut self, until: Duration) {
        while self.elapsed() < until {
            self.step();
            self.now = self.now + STEP;
        }
    }

    fn publish_16_mib(&mut self) {
        let payload = Bytes::from(vec![7; PAYLOAD]);
        let topic = TopicName::new("big").unwrap();
        self.client
            .publish(Message::new(topic, QoS::AtLeastOnce, payload))
            .unwrap();
    }

    fn disconnected(&self) -> Option<(Duration, &DisconnectReason)> {
        self.events.iter().find_map(|(at, e)| match e {
            Event::Disconnected(reason) => Some((*at, reason)),
            _ => None,
        })
    }
}

#[test]
fn a_pingreq_behind_16_mib_on_a_slow_link_is_not_a_timeout() {
    let mut w = World::new();
    w.publish_16_mib();
    w.run_until(Duration::from_secs(400));
    assert_eq!(w.disconnected(), None, "no false keep alive timeout");
    assert!(
        w.events
            .iter()
            .any(|(_, e)| matches!(e, Event::Published { .. })),
        "the PUBLISH went through: {:?}",
        w.events
    );
    // The PINGREQ due at 61 s went out after the PUBLISH, which took about 164 s.
    let received = w.broker.received();
    let publish = received
        .iter()
        .position(|p| matches!(p, Packet::Publish(_)))
        .unwrap();
    let ping = received
        .iter()
        .position(|p| matches!(p, Packet::PingReq))
        .expect("a PINGREQ");
    assert!(publish < ping, "{received:?}");
    assert!(w.client.is_connected());
}

#[test]
fn a_link_that_takes_nothing_for_a_ping_timeout_is_dead() {
    let mut w = World::new();
    w.publish_16_mib();
    w.run_until(Duration::from_secs(5));
    // The server stops reading: nothing more can be written.
    w.writable = false;
    w.run_until(Duration::from_secs(200));
    let (at, reason) = w.disconnected().expect("the stalled link ends");
    assert_eq!(reason, &DisconnectReason::KeepAliveTimeout);
    // The PINGREQ was queued at 61 s (keep alive after the last bytes taken, at 1 s), and the
    // last write was at 5 s: the ping timeout (10 s) runs from 61 s.
    assert!(
        at >= Duration::from_secs(71) && at < Duration::from_secs(72),
        "{at:?}"
    );
}
