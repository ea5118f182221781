//! The reconnect decision: whether and when to connect again after a connection ended, the same
//! for every driver.
//!
//! The backoff grows with every attempt and comes back down only as a connection stays up: one
//! attempt off the count for every [`Policy::stable_after`] it stayed up, so a connection that
//! lasts long enough starts the backoff afresh. A CONNACK alone proves nothing: a broker that
//! accepts and then drops at once (server busy, quota exceeded, not authorised, a session
//! taken over) would otherwise be reconnected to at once, forever. And two clients that take
//! one session from each other without being told (MQTT 3.1.1, or a server that closes the
//! connection without DISCONNECT 0x8E) settle at about one takeover per stable period instead
//! of restarting the backoff from the bottom every few turns.

use core::time::Duration;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use mqtt_proto::ReasonCode;

use crate::backoff::scale;
use crate::{Backoff, DisconnectReason, Instant, Retry};

/// How a driver keeps the connection up and bounds what waits in it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// Whether to connect again after a connection ends for a reason that is not fatal.
    /// Default: `true`.
    pub reconnect: bool,
    /// Delays between attempts. Default: [`Backoff::DEFAULT`].
    pub backoff: Backoff,
    /// How long a connection must stay up to take one attempt off the backoff's count; until
    /// then every new attempt waits longer than the last, however the connection ended. A
    /// connection up for `n` times this long brings the count down by `n`: the backoff starts
    /// afresh once the connection lasted as many stable periods as attempts were made.
    /// Default: 20 s.
    pub stable_after: Duration,
    /// What to do when another connection with the same client identifier takes the session
    /// over. Default: [`Takeover::Stop`].
    pub takeover: Takeover,
    /// How long a draining disconnect waits for the messages in flight. Default: 5 s.
    pub disconnect_timeout: Duration,
    /// How many messages may wait for room in the window while connected before the driver
    /// stops taking commands, never more than [`Config::max_pending`] (without a connection,
    /// [`Config::max_pending`]). Default: 64.
    ///
    /// [`Config::max_pending`]: crate::Config::max_pending
    pub connected_pending: usize,
    /// How many bytes of messages may wait in the session before the driver stops taking
    /// commands. Default: 1 MiB.
    pub pending_bytes: usize,
    /// What to do when a server sends the client to another (MQTT 5.0 0x9C, 0x9D with a Server
    /// Reference). Default: [`Redirect::Report`].
    pub redirect: Redirect,
    /// "5.0, else 3.1.1": with [`Config::version`](crate::Config::version) 5.0, a broker that
    /// refuses it (CONNACK 0x84, a 3.1.1 CONNACK 0x01) or closes the connection before any
    /// CONNACK is tried again at once in 3.1.1, and spoken to in 3.1.1 from then on (each
    /// broker of a fleet for itself). [`ConnectionEvent::Connected`](crate::ConnectionEvent::Connected)
    /// says which version was agreed. Default: `false`.
    pub version_fallback: bool,
}

/// What to do when a server sends the client to another server (MQTT 5.0 section 4.11): a
/// CONNACK or DISCONNECT with 0x9C (Use another server) or 0x9D (Server moved) and a Server
/// Reference. The supervisor reports each one
/// ([`ConnectionEvent::Redirected`](crate::ConnectionEvent::Redirected)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Redirect {
    /// Only report it, and go on as after any passing refusal: the next broker, or the
    /// backoff. The default: a server cannot send the client where its options do not say.
    #[default]
    Report,
    /// Connect to the Server Reference at once: at most `max_hops` redirections in a row (an
    /// accepted connection starts the count afresh), and never twice to the same reference
    /// in a row of them (a loop). A failed attempt there, or a connection there that ends, goes
    /// back to the driver's own brokers.
    Follow {
        /// The most redirections followed in a row.
        max_hops: u8,
    },
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            reconnect: true,
            backoff: Backoff::DEFAULT,
            stable_after: Duration::from_secs(20),
            takeover: Takeover::Stop,
            disconnect_timeout: Duration::from_secs(5),
            connected_pending: 64,
            pending_bytes: 1024 * 1024,
            redirect: Redirect::Report,
            version_fallback: false,
        }
    }
}

/// What to do when the server ends the connection because another connection with the same
/// client identifier took the session over (MQTT 5.0 DISCONNECT 0x8E, Session taken over).
///
/// Two processes sharing a client identifier would otherwise take the session from each other
/// in a loop, each reconnect cutting the other off. MQTT 3.1.1 servers close the connection
/// without saying why: there a takeover looks like any lost connection, and only the backoff
/// (which does not start afresh before [`Policy::stable_after`]) slows the two down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Takeover {
    /// Stop: the newer connection keeps the session. The default.
    Stop,
    /// Connect again after this long (up to a quarter more, jittered): at most one takeover
    /// per period from this client.
    Reconnect(Duration),
}

/// How a connection ended, for [`Reconnect::next`].
///
/// Exhaustive on purpose: a new variant is a change every driver has to handle, so it breaks
/// their builds instead of reaching a wildcard arm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// The session ended it, for this reason.
    Reason(DisconnectReason),
    /// The transport could not be opened (refused, unreachable, TLS).
    Unreachable,
    /// `disconnect` or `abort` was called, or every handle is gone: the driver stops.
    Stop,
}

impl End {
    /// What the reason says about trying again; `None` for [`End::Stop`].
    #[must_use]
    pub fn retry(&self) -> Option<Retry> {
        Some(match self {
            Self::Stop => return None,
            Self::Reason(DisconnectReason::Refused(connack)) => {
                Retry::after_connack(connack.reason_code)
            }
            Self::Reason(DisconnectReason::ByServer(d)) => Retry::after_disconnect(d.reason_code),
            Self::Reason(
                DisconnectReason::InvalidConnect(_) | DisconnectReason::AuthenticationFailed(_),
            ) => Retry::Fatal,
            Self::Unreachable | Self::Reason(_) => Retry::Transient,
        })
    }

    /// The Server Reference of a redirection (CONNACK or DISCONNECT 0x9C Use another server,
    /// 0x9D Server moved), and whether it is permanent (0x9D).
    #[must_use]
    pub fn redirection(&self) -> Option<(&str, bool)> {
        let (code, reference) = match self {
            Self::Reason(DisconnectReason::Refused(connack)) => (
                connack.reason_code,
                connack.properties.server_reference.as_ref(),
            ),
            Self::Reason(DisconnectReason::ByServer(disconnect)) => (
                disconnect.reason_code,
                disconnect.properties.server_reference.as_ref(),
            ),
            _ => return None,
        };
        let permanent = match code {
            ReasonCode::USE_ANOTHER_SERVER => false,
            ReasonCode::SERVER_MOVED => true,
            _ => return None,
        };
        Some((reference?.as_str(), permanent))
    }

    /// Whether connecting again with the same CONNECT would fail the same way (a refusal for
    /// credentials, version, identifier, …): then only fresh credentials make another attempt
    /// worth it.
    #[must_use]
    pub fn is_fatal(&self) -> bool {
        self.retry() == Some(Retry::Fatal)
    }
}

/// What to do after a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Next {
    /// Connect again after this delay.
    Retry(Duration),
    /// Stop.
    Stop,
}

/// The reconnect decision across connections: the attempt count, how long the last
/// connection stayed up, and which of the driver's brokers to try next.
///
/// With several brokers ([`set_brokers`](Self::set_brokers)), a connection that ends or an
/// attempt that fails moves on to the next broker at once; the backoff applies per round:
/// only after as many failures in a row as there are brokers, and the attempt count grows once
/// per round. A first connection tries every broker once before it gives up. A fatal refusal
/// (credentials, say) and a session taken over are no reason to try another broker.
///
/// A driver on the session alone (without a [`Supervisor`](crate::Supervisor), which holds one)
/// calls [`handle_connected`](Self::handle_connected) on [`Event::Connected`] and
/// [`next`](Self::next) after [`Event::Disconnected`] or a transport that would not open.
///
/// [`Event::Connected`]: crate::Event::Connected
/// [`Event::Disconnected`]: crate::Event::Disconnected
///
/// ```
/// use core::time::Duration;
/// use mqtt_proto::{Disconnect, ReasonCode};
/// use mqtt_sansio::{DisconnectReason, End, Instant, Next, Policy, Reconnect};
///
/// let mut reconnect = Reconnect::new(&Policy::default());
/// let busy = End::Reason(DisconnectReason::ByServer(Disconnect::new(ReasonCode::SERVER_BUSY)));
/// let mut now = Instant::ZERO;
/// let mut delays = Vec::new();
/// for _ in 0..4 {
///     // Accepted, then dropped at once: the backoff keeps growing.
///     reconnect.handle_connected(now);
///     let Next::Retry(delay) = reconnect.next(now, &busy, false, false, u32::MAX) else {
///         unreachable!()
///     };
///     delays.push(delay.as_millis());
///     now = now + delay;
/// }
/// assert_eq!(delays, [800, 1600, 3200, 6400]);
///
/// // Each stable period (20 s) a connection stays up takes one attempt off.
/// reconnect.handle_connected(now);
/// let later = now + Duration::from_secs(45);
/// assert_eq!(reconnect.next(later, &busy, false, false, u32::MAX), Next::Retry(Duration::from_millis(3200)));
/// // Up long enough, it starts afresh.
/// reconnect.handle_connected(later);
/// let much_later = later + Duration::from_secs(600);
/// assert_eq!(reconnect.next(much_later, &busy, false, false, u32::MAX), Next::Retry(Duration::from_millis(800)));
/// ```
#[derive(Clone, Debug)]
pub struct Reconnect {
    policy: Policy,
    /// Attempts since the backoff last started afresh.
    attempt: u32,
    /// When the broker accepted the connection that is up (or ended last, until `next`).
    up_since: Option<Instant>,
    /// How many brokers the driver has (at least 1), and the index of the one to connect to.
    brokers: usize,
    broker: usize,
    /// Failures in a row in this round, since the last connection accepted or the last delay.
    failures: usize,
    /// The Server Reference the next attempt goes to, the redirections followed in a row, and
    /// their references (a loop is a reference seen again).
    target: Option<String>,
    hops: u8,
    visited: Vec<String>,
}

impl Reconnect {
    /// The decision under `policy`.
    #[must_use]
    pub fn new(policy: &Policy) -> Self {
        Self {
            policy: policy.clone(),
            attempt: 0,
            up_since: None,
            brokers: 1,
            broker: 0,
            failures: 0,
            target: None,
            hops: 0,
            visited: Vec::new(),
        }
    }

    /// The Server Reference the next attempt goes to, when the policy follows a redirection
    /// ([`Redirect::Follow`]); then [`broker`](Self::broker) does not apply.
    #[must_use]
    pub fn redirect(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// The driver has `count` brokers (at least 1) to connect to in turn; it connects to
    /// [`broker`](Self::broker) each time.
    pub fn set_brokers(&mut self, count: usize) {
        self.brokers = count.max(1);
        if self.broker >= self.brokers {
            self.broker = 0;
        }
    }

    /// The index of the broker to connect to (0 with one broker).
    #[must_use]
    pub fn broker(&self) -> usize {
        self.broker
    }

    /// The attempt count the next delay is based on: attempts made, less one for every stable
    /// period connections stayed up.
    #[must_use]
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The broker accepted a connection at `now`.
    pub fn handle_connected(&mut self, now: Instant) {
        self.up_since = Some(now);
        self.failures = 0;
        self.hops = 0;
        self.visited.clear();
    }

    /// Whether and when to connect again after `end`, at `now`. `first` says that no
    /// connection was accepted yet (whoever waits for the first one gets the failure instead of
    /// a retry); `fresh_credentials` that new credentials are at hand (a fatal refusal is then
    /// worth another attempt); `jitter` is a fresh uniformly random number.
    pub fn next(
        &mut self,
        now: Instant,
        end: &End,
        first: bool,
        fresh_credentials: bool,
        jitter: u32,
    ) -> Next {
        if let Some(since) = self.up_since.take() {
            let up = now.saturating_duration_since(since);
            let periods = match self.policy.stable_after.as_nanos() {
                0 => u32::MAX,
                stable => u32::try_from(up.as_nanos() / stable).unwrap_or(u32::MAX),
            };
            self.attempt = self.attempt.saturating_sub(periods);
        }
        let Some(retry) = end.retry() else {
            return Next::Stop;
        };
        // An attempt at a redirection's server ended: back to the driver's brokers.
        self.target = None;
        if let (Some((reference, _)), Redirect::Follow { max_hops }) =
            (end.redirection(), self.policy.redirect)
        {
            let seen = self.visited.iter().any(|r| r == reference);
            if self.hops < max_hops && !seen && (first || self.policy.reconnect) {
                self.hops += 1;
                self.visited.push(reference.to_string());
                self.target = Some(reference.to_string());
                return Next::Retry(Duration::ZERO);
            }
        }
        let fresh = retry == Retry::Fatal && fresh_credentials;
        if matches!(retry, Retry::Transient | Retry::Throttle) {
            // The next broker; at once while the round lasts, even for a first connection.
            self.broker = (self.broker + 1) % self.brokers;
            self.failures += 1;
            if self.failures < self.brokers && (first || self.policy.reconnect) {
                return Next::Retry(Duration::ZERO);
            }
            self.failures = 0;
        }
        if !self.policy.reconnect || ((first || retry == Retry::Fatal) && !fresh) {
            return Next::Stop;
        }
        let backoff = &self.policy.backoff;
        let delay = match retry {
            Retry::TakenOver => match self.policy.takeover {
                Takeover::Reconnect(after) => after + scale(after / 4, jitter),
                Takeover::Stop => return Next::Stop,
            },
            Retry::Throttle => backoff.throttled_delay(self.attempt, jitter),
            _ => backoff.delay(self.attempt, jitter),
        };
        self.attempt = self.attempt.saturating_add(1);
        Next::Retry(delay)
    }
}
