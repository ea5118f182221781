//! Bounds on what the decoder accepts, checked before anything is buffered or allocated.

/// The largest packet MQTT can express: a 1-byte fixed header, a 4-byte remaining length and
/// 268,435,455 bytes of body.
pub const MAX_PACKET_SIZE: u32 = 1 + 4 + MAX_REMAINING_LENGTH;

/// The largest remaining length a 4-byte variable byte integer holds.
pub const MAX_REMAINING_LENGTH: u32 = 268_435_455;

/// Bounds on decoded packets.
///
/// The packet size is checked from the fixed header, before the body is buffered; the list
/// bounds are checked before each element is stored, so memory stays proportional to them.
///
/// ```
/// use mqtt_proto::Limits;
///
/// let limits = Limits::new().with_max_packet_size(64 * 1024);
/// assert_eq!(limits.max_packet_size, 64 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest packet accepted, in bytes, counting the fixed header as MQTT 5.0's Maximum
    /// Packet Size does. Default: the protocol's maximum, [`MAX_PACKET_SIZE`].
    pub max_packet_size: u32,
    /// The most User Properties in one property list. Default: 256.
    pub max_user_properties: usize,
    /// The most Subscription Identifiers in one PUBLISH. Default: 256.
    pub max_subscription_identifiers: usize,
    /// The most topic filters in one SUBSCRIBE or UNSUBSCRIBE, and codes in one SUBACK or
    /// UNSUBACK. Default: 4,096.
    pub max_topic_filters: usize,
}

impl Limits {
    /// The default limits.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_packet_size: MAX_PACKET_SIZE,
            max_user_properties: 256,
            max_subscription_identifiers: 256,
            max_topic_filters: 4096,
        }
    }

    /// Sets [`max_packet_size`](Self::max_packet_size).
    #[must_use]
    pub const fn with_max_packet_size(mut self, bytes: u32) -> Self {
        self.max_packet_size = bytes;
        self
    }

    /// Sets [`max_user_properties`](Self::max_user_properties).
    #[must_use]
    pub const fn with_max_user_properties(mut self, count: usize) -> Self {
        self.max_user_properties = count;
        self
    }

    /// Sets [`max_subscription_identifiers`](Self::max_subscription_identifiers).
    #[must_use]
    pub const fn with_max_subscription_identifiers(mut self, count: usize) -> Self {
        self.max_subscription_identifiers = count;
        self
    }

    /// Sets [`max_topic_filters`](Self::max_topic_filters).
    #[must_use]
    pub const fn with_max_topic_filters(mut self, count: usize) -> Self {
        self.max_topic_filters = count;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}
