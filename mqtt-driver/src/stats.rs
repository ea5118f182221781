//! The client's figures as the application reads them: the session's, and the connection
//! task's, published by the task after each of its turns.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// A snapshot of the client's figures ([`Client::stats`](crate::Client::stats)): the
/// session's counters (packets and bytes by type each way, round-trip times, refusals and
/// failures), what stands in the session (messages in flight and waiting), and the connection
/// task's own (since when it is connected, the reconnects, the state of the message stream and
/// of the command queue).
///
/// The connection task publishes it after each of its turns, so reading it takes a lock and a
/// copy, never a round trip to the task: cheap enough on every message.
///
/// ```
/// use mqtt_driver::Stats;
/// use mqtt_proto::PacketType;
///
/// fn report(stats: &Stats) -> String {
///     format!(
///         "{} PUBLISH out, {} in flight, PUBACK in {:?}, {} waiting for the application",
///         stats.session.sent.packets(PacketType::Publish),
///         stats.inflight_out,
///         stats.session.puback.smoothed(),
///         stats.messages_waiting,
///     )
/// }
/// assert!(report(&Stats::default()).starts_with("0 PUBLISH out"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// The session's counters.
    pub session: mqtt_sansio::Stats,
    /// Outbound QoS 1 and 2 messages sent and not yet acknowledged.
    pub inflight_out: usize,
    /// Inbound QoS 1 messages not yet acknowledged and QoS 2 messages before PUBCOMP.
    pub inflight_in: usize,
    /// Inbound QoS 2 messages acknowledged with PUBREC and waiting for PUBREL.
    pub awaiting_pubrel: usize,
    /// Messages waiting in the session for a connection or for room in the window.
    pub pending: usize,
    /// Their encoded size.
    pub pending_bytes: usize,
    /// SUBSCRIBE and UNSUBSCRIBE requests waiting for their acknowledgement.
    pub requests: usize,
    /// When the broker accepted the current connection; `None` while not connected.
    pub connected_since: Option<Instant>,
    /// Connections the broker accepted after the first.
    pub reconnects: u64,
    /// Whether the task has stopped reading the socket: the message stream is full, or the
    /// application paused reading.
    pub reading_paused: bool,
    /// Received messages the application has not taken: in the stream, and held behind it.
    pub messages_waiting: usize,
    /// Commands the handles sent that the task has not taken yet.
    pub commands_queued: usize,
    /// Bytes encoded or in the write buffer, not yet written to the socket.
    pub bytes_queued: usize,
}

/// What the connection task knows beside the session, for [`Stats`].
#[derive(Clone, Copy, Debug, Default)]
pub struct TaskFigures {
    /// Commands in the handles' queue.
    pub commands_queued: usize,
    /// Bytes in the write buffer.
    pub write_buffered: usize,
}

/// Where the task publishes [`Stats`] and the handles read them; the messages in the
/// application's stream are counted as they go in and out, so that a message taken shows at
/// once.
#[derive(Clone, Debug, Default)]
pub struct StatsCell {
    snapshot: Arc<Mutex<Stats>>,
    in_stream: Arc<AtomicUsize>,
}

impl StatsCell {
    /// The latest snapshot.
    #[must_use]
    pub fn get(&self) -> Stats {
        let mut stats = *self.snapshot.lock().unwrap_or_else(PoisonError::into_inner);
        stats.messages_waiting += self.in_stream.load(Ordering::Relaxed);
        stats
    }

    /// A message went into the application's stream.
    pub fn message_queued(&self) {
        self.in_stream.fetch_add(1, Ordering::Relaxed);
    }

    /// The application took a message from its stream.
    pub fn message_taken(&self) {
        self.in_stream.fetch_sub(1, Ordering::Relaxed);
    }

    /// Fills the snapshot in place, under its lock.
    pub(crate) fn update(&self, fill: impl FnOnce(&mut Stats)) {
        fill(&mut self.snapshot.lock().unwrap_or_else(PoisonError::into_inner));
    }
}
