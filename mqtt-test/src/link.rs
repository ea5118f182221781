//! A one-directional network pipe on a virtual clock: latency, chunking, cuts.

use core::time::Duration;
use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::rng::SplitMix64;

/// How a [`Link`] behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkConfig {
    /// How long bytes take from [`Link::send`] to [`Link::poll_deliver`].
    pub latency: Duration,
    /// The seed of the chunk sizes: the same seed gives the same chunks.
    pub seed: u64,
    /// The largest chunk delivered at once; 0 is taken as 1. `usize::MAX` delivers whatever is
    /// due in one piece.
    pub max_chunk: usize,
    /// How many bytes per second the link carries; `None`: as many as are sent. Bytes queue
    /// behind earlier bytes until the link has room for them.
    pub bandwidth: Option<u64>,
}

impl LinkConfig {
    /// A link with `latency`, seed 0 and no chunking.
    #[must_use]
    pub const fn new(latency: Duration) -> Self {
        Self {
            latency,
            seed: 0,
            max_chunk: usize::MAX,
            bandwidth: None,
        }
    }

    /// Sets [`seed`](Self::seed).
    #[must_use]
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets [`bandwidth`](Self::bandwidth), in bytes per second (0 is taken as 1).
    #[must_use]
    pub const fn with_bandwidth(mut self, bytes_per_second: u64) -> Self {
        self.bandwidth = Some(if bytes_per_second == 0 {
            1
        } else {
            bytes_per_second
        });
        self
    }

    /// Sets [`max_chunk`](Self::max_chunk).
    #[must_use]
    pub const fn with_max_chunk(mut self, max_chunk: usize) -> Self {
        self.max_chunk = max_chunk;
        self
    }
}

/// One direction of a simulated TCP connection, driven by a virtual clock.
///
/// Time is a [`Duration`] since the start of the test: the link never reads a clock. Bytes sent at
/// `now` become deliverable at `now + latency`, in order, split into pseudo-random chunks of 1 to
/// `max_chunk` bytes drawn from the seed; consecutive sends that are both due may be delivered in
/// one chunk, as TCP coalesces segments. Two links, one each way, make a duplex connection.
///
/// ```
/// use core::time::Duration;
/// use mqtt_test::{Link, LinkConfig};
///
/// let ms = Duration::from_millis;
/// let mut up = Link::new(LinkConfig::new(ms(20)).with_seed(1).with_max_chunk(3));
/// up.send(ms(0), b"hello");
/// assert_eq!(up.next_delivery(), Some(ms(20)));
/// assert_eq!(up.poll_deliver(ms(19)), None);
///
/// let mut received = Vec::new();
/// while let Some(chunk) = up.poll_deliver(ms(20)) {
///     assert!((1..=3).contains(&chunk.len()));
///     received.extend_from_slice(&chunk);
/// }
/// assert_eq!(received, b"hello");
/// assert_eq!(up.in_flight(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct Link {
    config: LinkConfig,
    rng: SplitMix64,
    /// Sent bytes with the time they become deliverable, in send order.
    queue: VecDeque<(Duration, Bytes)>,
    in_flight: usize,
    /// When the link has put on the wire everything sent so far (with a bandwidth).
    busy_until: Duration,
    cut: bool,
    dropped: usize,
    delivered: usize,
}

impl Link {
    /// A link with `config`, empty and not cut.
    #[must_use]
    pub fn new(config: LinkConfig) -> Self {
        Self {
            rng: SplitMix64::new(config.seed),
            config,
            queue: VecDeque::new(),
            in_flight: 0,
            busy_until: Duration::ZERO,
            cut: false,
            dropped: 0,
            delivered: 0,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// Changes the latency of bytes sent from now on. Order is kept: bytes are never delivered
    /// before bytes sent earlier.
    pub fn set_latency(&mut self, latency: Duration) {
        self.config.latency = latency;
    }

    /// Puts `bytes` on the wire at `now`; dropped while the link is [cut](Self::cut). With a
    /// bandwidth they leave once the bytes before them have, and arrive (all together) when
    /// the last of them has crossed.
    pub fn send(&mut self, now: Duration, bytes: impl AsRef<[u8]>) {
        let bytes = bytes.as_ref();
        if bytes.is_empty() {
            return;
        }
        if self.cut {
            self.dropped += bytes.len();
            return;
        }
        let mut due = now.saturating_add(self.config.latency);
        if let Some(rate) = self.config.bandwidth {
            let start = now.max(self.busy_until);
            let nanos = (bytes.len() as u128 * 1_000_000_000).div_ceil(u128::from(rate.max(1)));
            let crossing = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
            self.busy_until = start.saturating_add(crossing);
            due = self.busy_until.saturating_add(self.config.latency);
        }
        // Never overtake bytes already on the wire, even when `now` or the latency went back.
        if let Some(&(last, _)) = self.queue.back() {
            due = due.max(last);
        }
        self.in_flight += bytes.len();
        self.queue.push_back((due, Bytes::copy_from_slice(bytes)));
    }

    /// The next chunk whose delivery time is at or before `now`, or `None`.
    ///
    /// Call it until it returns `None` to drain everything due.
    #[must_use]
    pub fn poll_deliver(&mut self, now: Duration) -> Option<Bytes> {
        if self.queue.front().is_none_or(|&(due, _)| due > now) {
            return None;
        }
        let max = self.config.max_chunk.max(1);
        let want = if max == usize::MAX {
            usize::MAX
        } else {
            usize::try_from(self.rng.range_inclusive(1, max as u64)).unwrap_or(max)
        };
        let mut chunk = BytesMut::new();
        while chunk.len() < want {
            let Some((due, front)) = self.queue.front_mut() else {
                break;
            };
            if *due > now {
                break;
            }
            let take = (want - chunk.len()).min(front.len());
            chunk.extend_from_slice(&front.split_to(take));
            if front.is_empty() {
                self.queue.pop_front();
            }
        }
        self.in_flight -= chunk.len();
        self.delivered += chunk.len();
        Some(chunk.freeze())
    }

    /// When the next bytes become deliverable, or `None` when nothing is in flight.
    #[must_use]
    pub fn next_delivery(&self) -> Option<Duration> {
        self.queue.front().map(|&(due, _)| due)
    }

    /// When the link will have put on the wire everything sent so far: a sender whose send
    /// buffer is full waits until then before it writes more. `now` or earlier when it is idle.
    #[must_use]
    pub fn busy_until(&self) -> Duration {
        self.busy_until
    }

    /// The number of bytes sent and not yet delivered.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The number of bytes delivered so far.
    #[must_use]
    pub fn delivered(&self) -> usize {
        self.delivered
    }

    /// The number of bytes lost to [`cut`](Self::cut).
    #[must_use]
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Cuts the wire: everything in flight is lost, and so is everything sent until
    /// [`restore`](Self::restore).
    pub fn cut(&mut self) {
        self.cut = true;
        self.dropped += self.in_flight;
        self.in_flight = 0;
        self.queue.clear();
    }

    /// Mends the wire: bytes sent from now on are delivered again.
    pub fn restore(&mut self) {
        self.cut = false;
    }

    /// Whether the link is cut.
    #[must_use]
    pub fn is_cut(&self) -> bool {
        self.cut
    }
}
