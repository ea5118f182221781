//! Keep alive and the session's timers: the CONNACK deadline, PINGREQ when nothing was sent for
//! a keep alive interval, and the PINGRESP deadline, which counts from when the PINGREQ leaves.

use core::time::Duration;

use bytes::Bytes;
use mqtt_proto::PacketType;

use super::{Client, Phase};
use crate::event::DisconnectReason;
use crate::time::Instant;

impl Client {
    /// Why [`poll_timeout`](Self::poll_timeout) is what it is.
    #[must_use]
    pub fn timer(&self) -> Option<Timer> {
        match (self.session_timeout(), self.expiry_sweep) {
            (None, Some(_)) => return Some(Timer::Expiry),
            (Some(session), Some(expiry)) if expiry < session => return Some(Timer::Expiry),
            _ => {}
        }
        match self.phase {
            Phase::Connecting { .. } => Some(Timer::ConnAck),
            Phase::Connected
                if self.ping_queued.is_some() || (self.reading && self.ping_deadline.is_some()) =>
            {
                Some(Timer::PingResp)
            }
            Phase::Connected if !self.keep_alive.is_zero() => Some(Timer::KeepAlive),
            _ => None,
        }
    }

    /// Time has come for [`poll_timeout`](Self::poll_timeout): checks the CONNACK and PINGRESP
    /// deadlines and sends PINGREQ when the keep alive has passed without sending.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.journal.keep(|| crate::journal::Entry::Timeout(now));
        self.clock = self.clock.max(now);
        if self.expiry_sweep.is_some_and(|t| now >= t) {
            self.expire_pending();
        }
        match self.phase {
            Phase::Connecting { deadline } if now >= deadline => {
                self.close(DisconnectReason::ConnAckTimeout);
            }
            Phase::Connected => {
                if let Some(queued) = self.ping_queued {
                    if now >= self.stall_deadline(queued) {
                        // The PINGREQ could not even be written: nothing left for a ping
                        // timeout, the server stopped reading.
                        self.close(DisconnectReason::KeepAliveTimeout);
                    }
                } else if self.reading && self.ping_deadline.is_some_and(|d| now >= d) {
                    // No PINGRESP: half-open, or a stuck server.
                    self.close(DisconnectReason::KeepAliveTimeout);
                } else if (self.ping_deadline.is_none() || !self.reading)
                    && !self.keep_alive.is_zero()
                    && now >= self.last_sent + self.keep_alive
                {
                    // While reading is paused the answers to earlier pings are unread: keep
                    // pinging, so the server keeps the connection, without waiting for them.
                    // [MQTT-3.1.2-23]: a control packet within every keep alive interval.
                    // It goes before whatever else waits for the driver, and its PINGRESP
                    // deadline starts when the driver takes it: a PINGREQ behind a large
                    // PUBLISH on a slow link is not a missing PINGRESP.
                    self.chunks.push_front(Bytes::from_static(&PINGREQ));
                    self.meter.sent(PacketType::PingReq, None, PINGREQ.len());
                    self.ping_queued = Some(now);
                    self.ping_deadline = None;
                }
            }
            _ => {}
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due; `None` when no timer runs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.session_timeout(), self.expiry_sweep) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The connection's deadline: CONNACK, PINGRESP, or the next PINGREQ.
    fn session_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Connecting { deadline } => Some(deadline),
            Phase::Connected => match self.ping_deadline {
                _ if self.ping_queued.is_some() => self.ping_queued.map(|q| self.stall_deadline(q)),
                Some(deadline) if self.reading => Some(deadline),
                _ if self.keep_alive.is_zero() => None,
                // No ping outstanding, or reading paused: the next PINGREQ.
                _ => Some(self.last_sent + self.keep_alive),
            },
            Phase::Closing | Phase::Closed => None,
        }
    }

    /// When a PINGREQ queued at `queued` and not yet taken by the driver means a stalled link:
    /// a ping timeout after the later of its queueing and the driver's last progress.
    pub(super) fn stall_deadline(&self, queued: Instant) -> Instant {
        queued.max(self.write_progress) + self.ping_timeout()
    }

    pub(super) fn ping_timeout(&self) -> Duration {
        self.config
            .ping_timeout
            .unwrap_or_else(|| self.keep_alive.min(Duration::from_secs(10)))
    }
}

/// A PINGREQ packet.
const PINGREQ: [u8; 2] = [0xC0, 0x00];

/// The timer behind [`Client::poll_timeout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timer {
    /// Waiting for CONNACK.
    ConnAck,
    /// The next PINGREQ is due when nothing was sent for a keep alive interval.
    KeepAlive,
    /// Waiting for PINGRESP.
    PingResp,
    /// A message waiting to be sent reaches the end of its time to live
    /// ([`Config::message_ttl`](crate::Config::message_ttl), or its Message Expiry Interval).
    Expiry,
}
