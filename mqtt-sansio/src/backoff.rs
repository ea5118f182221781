//! Reconnect delays: exponential backoff with jitter the driver draws.

use core::time::Duration;

use mqtt_proto::ReasonCode;

/// Exponential backoff with full jitter, for reconnect attempts.
///
/// The ceiling for attempt `n` (counting from 0) is `min(cap, base × factorⁿ)`; the delay is a
/// point between zero and that ceiling picked by a random `jitter` the driver draws, so that
/// clients cut off together do not come back together. The core has no randomness of its own.
///
/// ```
/// use core::time::Duration;
/// use mqtt_sansio::Backoff;
///
/// let backoff = Backoff::default(); // 20 ms, factor 2, capped at 3 minutes
/// assert_eq!(backoff.ceiling(0), Duration::from_millis(20));
/// assert_eq!(backoff.ceiling(3), Duration::from_millis(160));
/// assert_eq!(backoff.ceiling(40), Duration::from_secs(180));
/// assert_eq!(backoff.delay(3, 0), Duration::ZERO);
/// assert_eq!(backoff.delay(3, u32::MAX), Duration::from_millis(160));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    factor: u32,
    cap: Duration,
}

impl Backoff {
    /// 20 ms, doubling, capped at 3 minutes.
    pub const DEFAULT: Self = Self {
        base: Duration::from_millis(20),
        factor: 2,
        cap: Duration::from_secs(180),
    };

    /// A backoff starting at `base`, multiplied by `factor` at each attempt, never above `cap`.
    /// A `factor` of 0 is taken as 1 (a constant delay).
    #[must_use]
    pub const fn new(base: Duration, factor: u32, cap: Duration) -> Self {
        let factor = if factor == 0 { 1 } else { factor };
        Self { base, factor, cap }
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

    /// The longest delay before attempt `attempt` (0 for the first retry).
    #[must_use]
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let growth = self.factor.checked_pow(attempt).unwrap_or(u32::MAX);
        self.base
            .checked_mul(growth)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// Full jitter: a delay in `[0, ceiling(attempt)]`, `jitter / u32::MAX` of the way up.
    ///
    /// Pass a fresh uniformly random `jitter` for every attempt.
    #[must_use]
    pub fn delay(&self, attempt: u32, jitter: u32) -> Duration {
        scale(self.ceiling(attempt), jitter)
    }

    /// For a server that asked the client to slow down ([`Retry::Throttle`]): at least half the
    /// ceiling, the other half jittered.
    #[must_use]
    pub fn throttled_delay(&self, attempt: u32, jitter: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        half + scale(ceiling.saturating_sub(half), jitter)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// `d × jitter / u32::MAX`, exact in nanoseconds.
fn scale(d: Duration, jitter: u32) -> Duration {
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
    /// Only what reconnecting cannot cure is fatal: a rejected authentication method, and a
    /// session taken over by another connection with the same client identifier (reconnecting
    /// would take it back, and the two clients would take turns forever).
    ///
    /// ```
    /// use mqtt_proto::ReasonCode;
    /// use mqtt_sansio::Retry;
    ///
    /// assert_eq!(Retry::after_disconnect(ReasonCode::SESSION_TAKEN_OVER), Retry::Fatal);
    /// assert_eq!(Retry::after_disconnect(ReasonCode::MESSAGE_RATE_TOO_HIGH), Retry::Throttle);
    /// assert_eq!(Retry::after_disconnect(ReasonCode::SERVER_SHUTTING_DOWN), Retry::Transient);
    /// ```
    #[must_use]
    pub const fn after_disconnect(code: ReasonCode) -> Self {
        match code {
            ReasonCode::BAD_AUTHENTICATION_METHOD | ReasonCode::SESSION_TAKEN_OVER => Self::Fatal,
            ReasonCode::SERVER_BUSY
            | ReasonCode::MESSAGE_RATE_TOO_HIGH
            | ReasonCode::QUOTA_EXCEEDED
            | ReasonCode::CONNECTION_RATE_EXCEEDED => Self::Throttle,
            _ => Self::Transient,
        }
    }
}
