//! Reconnect delays: exponential backoff with a floor and jitter the driver draws.

use core::time::Duration;

use mqtt_proto::ReasonCode;

/// Exponential backoff with jitter and a floor, for reconnect attempts.
///
/// The ceiling for attempt `n` (counting from 0) is `min(cap, base × factorⁿ)`; the delay is a
/// point between the floor and that ceiling picked by a random `jitter` the driver draws, so
/// that clients cut off together do not come back together, and never comes sooner than the
/// floor. The floor is half the base unless set with [`with_floor`](Self::with_floor). The core
/// has no randomness of its own.
///
/// ```
/// use core::time::Duration;
/// use mqtt_sansio::Backoff;
///
/// let backoff = Backoff::default(); // 100 ms, factor 2, capped at 2 minutes, floor 50 ms
/// assert_eq!(backoff.ceiling(0), Duration::from_millis(100));
/// assert_eq!(backoff.ceiling(3), Duration::from_millis(800));
/// assert_eq!(backoff.ceiling(40), Duration::from_secs(120));
/// assert_eq!(backoff.delay(3, 0), Duration::from_millis(50));
/// assert_eq!(backoff.delay(3, u32::MAX), Duration::from_millis(800));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    floor: Duration,
    base: Duration,
    factor: u32,
    cap: Duration,
}

/// How many steps further up the curve a throttled delay starts: a server that asked the client
/// to slow down gets eight times the usual ceiling (with the factor 2).
const THROTTLE_STEPS: u32 = 3;

impl Backoff {
    /// 100 ms, doubling, capped at 2 minutes; never less than 50 ms.
    pub const DEFAULT: Self = Self::new(Duration::from_millis(100), 2, Duration::from_secs(120));

    /// A backoff starting at `base`, multiplied by `factor` at each attempt, never above `cap`,
    /// with a floor of half the base. A `factor` of 0 is taken as 1 (a constant ceiling).
    #[must_use]
    pub const fn new(base: Duration, factor: u32, cap: Duration) -> Self {
        let factor = if factor == 0 { 1 } else { factor };
        Self {
            floor: Duration::from_nanos(0),
            base,
            factor,
            cap,
        }
        .with_floor(half(base))
    }

    /// The same backoff with another floor: no delay is shorter (a floor above the cap makes
    /// every delay the floor).
    #[must_use]
    pub const fn with_floor(mut self, floor: Duration) -> Self {
        self.floor = floor;
        self
    }

    /// The shortest delay.
    #[must_use]
    pub const fn floor(&self) -> Duration {
        self.floor
    }

    /// The first ceiling.
    #[must_use]
    pub const fn base(&self) -> Duration {
        self.base
    }

    /// The growth factor per attempt.
    #[must_use]
    pub const fn factor(&self) -> u32 {
        self.factor
    }

    /// The largest ceiling.
    #[must_use]
    pub const fn cap(&self) -> Duration {
        self.cap
    }

    /// The longest delay before attempt `attempt` (0 for the first retry): never below the
    /// floor.
    #[must_use]
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let growth = self.factor.checked_pow(attempt).unwrap_or(u32::MAX);
        let ceiling = self
            .base
            .checked_mul(growth)
            .map_or(self.cap, |d| d.min(self.cap));
        ceiling.max(self.floor)
    }

    /// A delay in `[floor, ceiling(attempt)]`, `jitter / u32::MAX` of the way up.
    ///
    /// Pass a fresh uniformly random `jitter` for every attempt.
    #[must_use]
    pub fn delay(&self, attempt: u32, jitter: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        self.floor + scale(ceiling.saturating_sub(self.floor), jitter)
    }

    /// For a server that asked the client to slow down ([`Retry::Throttle`]): the ceiling of
    /// three attempts later, at least half of it, the other half jittered.
    #[must_use]
    pub fn throttled_delay(&self, attempt: u32, jitter: u32) -> Duration {
        let ceiling = self.ceiling(attempt.saturating_add(THROTTLE_STEPS));
        let least = (ceiling / 2).max(self.floor);
        least + scale(ceiling.saturating_sub(least), jitter)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Half of `d`, in a `const` context.
const fn half(d: Duration) -> Duration {
    let odd = if d.as_secs() % 2 == 1 { 500_000_000 } else { 0 };
    Duration::new(d.as_secs() / 2, d.subsec_nanos() / 2 + odd)
}

/// `d × jitter / u32::MAX`, exact in nanoseconds.
pub(crate) fn scale(d: Duration, jitter: u32) -> Duration {
    let nanos = d.as_nanos() * u128::from(jitter) / u128::from(u32::MAX);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// What a reason code that ended (or refused) a connection says about trying again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Retry {
    /// Trying again unchanged fails the same way (bad credentials, not authorised, unsupported
    /// protocol version, banned, …): stop, unless something changed, such as refreshed
    /// credentials.
    Fatal,
    /// The server is overloaded or limiting the rate: retry, but slowly
    /// ([`Backoff::throttled_delay`]).
    Throttle,
    /// A passing condition: retry with the usual backoff ([`Backoff::delay`]).
    Transient,
    /// Another connection with the same client identifier took the session (DISCONNECT
    /// 0x8E): reconnecting would take it back, and the two clients would take turns forever.
    /// [`Policy::takeover`](crate::Policy::takeover) says what to do.
    TakenOver,
}

impl Retry {
    /// How to react to a CONNACK that refused the connection with `code` (an MQTT 3.x return code
    /// is first mapped to its reason code, as `mqtt_proto` does when decoding).
    ///
    /// ```
    /// use mqtt_proto::ReasonCode;
    /// use mqtt_sansio::Retry;
    ///
    /// assert_eq!(Retry::after_connack(ReasonCode::BAD_USER_NAME_OR_PASSWORD), Retry::Fatal);
    /// assert_eq!(Retry::after_connack(ReasonCode::SERVER_BUSY), Retry::Throttle);
    /// assert_eq!(Retry::after_connack(ReasonCode::SERVER_UNAVAILABLE), Retry::Transient);
    /// ```
    #[must_use]
    pub const fn after_connack(code: ReasonCode) -> Self {
        match code {
            // The same CONNECT would be refused again: it is malformed, or names something the
            // server does not accept (version, identifier, credentials, will, method, size).
            ReasonCode::MALFORMED_PACKET
            | ReasonCode::PROTOCOL_ERROR
            | ReasonCode::UNSUPPORTED_PROTOCOL_VERSION
            | ReasonCode::CLIENT_IDENTIFIER_NOT_VALID
            | ReasonCode::BAD_USER_NAME_OR_PASSWORD
            | ReasonCode::NOT_AUTHORIZED
            | ReasonCode::BANNED
            | ReasonCode::BAD_AUTHENTICATION_METHOD
            | ReasonCode::TOPIC_NAME_INVALID
            | ReasonCode::PACKET_TOO_LARGE
            | ReasonCode::PAYLOAD_FORMAT_INVALID
            | ReasonCode::RETAIN_NOT_SUPPORTED
            | ReasonCode::QOS_NOT_SUPPORTED => Self::Fatal,
            ReasonCode::SERVER_BUSY
            | ReasonCode::QUOTA_EXCEEDED
            | ReasonCode::CONNECTION_RATE_EXCEEDED => Self::Throttle,
            _ => Self::Transient,
        }
    }

    /// How to react to a DISCONNECT the server sent with `code`.
    ///
    /// Only what reconnecting cannot cure is fatal: a rejected authentication method. A
    /// session taken over by another connection with the same client identifier is a class of
    /// its own ([`Retry::TakenOver`]).
    ///
    /// ```
    /// use mqtt_proto::ReasonCode;
    /// use mqtt_sansio::Retry;
    ///
    /// assert_eq!(Retry::after_disconnect(ReasonCode::SESSION_TAKEN_OVER), Retry::TakenOver);
    /// assert_eq!(Retry::after_disconnect(ReasonCode::BAD_AUTHENTICATION_METHOD), Retry::Fatal);
    /// assert_eq!(Retry::after_disconnect(ReasonCode::MESSAGE_RATE_TOO_HIGH), Retry::Throttle);
    /// assert_eq!(Retry::after_disconnect(ReasonCode::SERVER_SHUTTING_DOWN), Retry::Transient);
    /// ```
    #[must_use]
    pub const fn after_disconnect(code: ReasonCode) -> Self {
        match code {
            ReasonCode::BAD_AUTHENTICATION_METHOD => Self::Fatal,
            ReasonCode::SESSION_TAKEN_OVER => Self::TakenOver,
            ReasonCode::SERVER_BUSY
            | ReasonCode::MESSAGE_RATE_TOO_HIGH
            | ReasonCode::QUOTA_EXCEEDED
            | ReasonCode::CONNECTION_RATE_EXCEEDED => Self::Throttle,
            _ => Self::Transient,
        }
    }
}
