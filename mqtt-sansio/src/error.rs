//! Local errors: what a command refuses to do. Peer misbehaviour is never an error here; it ends
//! the connection with a [`Disconnected`](crate::Event::Disconnected) event.

use mqtt_proto::{EncodeError, PacketId, QoS};

/// Why a command was refused. Nothing was queued or sent when a command fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The pending queue is full ([`Config::max_pending`](crate::Config::max_pending)).
    #[error("the queue of pending messages is full ({0} messages)")]
    QueueFull(usize),
    /// The messages waiting would pass
    /// [`Config::max_pending_bytes`](crate::Config::max_pending_bytes) (this many bytes).
    #[error("the queue of pending messages is full ({0} bytes)")]
    QueueBytesFull(usize),
    /// All 65,535 packet identifiers are in use.
    #[error("all packet identifiers are in use")]
    PacketIdsExhausted,
    /// The server's Maximum QoS is below the QoS asked for.
    #[error("the server supports QoS up to {maximum:?}, not {requested:?}")]
    QosNotSupported {
        /// The QoS asked for.
        requested: QoS,
        /// The server's maximum.
        maximum: QoS,
    },
    /// The server does not support retained messages.
    #[error("the server does not support retained messages")]
    RetainNotSupported,
    /// The packet is larger than the server's Maximum Packet Size.
    #[error("the packet is {size} bytes, the server accepts at most {maximum}")]
    PacketTooLarge {
        /// The packet's size in bytes.
        size: usize,
        /// The server's maximum.
        maximum: u32,
    },
    /// The Topic Alias is 0, above the server's Topic Alias Maximum, or stands for a topic this
    /// connection never set ([MQTT-3.3.2-8], [MQTT-3.3.2-9]).
    #[error("topic alias {alias} is not valid here (the server accepts 1 to {maximum})")]
    TopicAliasInvalid {
        /// The alias.
        alias: u16,
        /// The server's Topic Alias Maximum.
        maximum: u16,
    },
    /// The server does not support wildcard subscriptions.
    #[error("the server does not support wildcard subscriptions")]
    WildcardSubscriptionsNotSupported,
    /// The server does not support shared subscriptions.
    #[error("the server does not support shared subscriptions")]
    SharedSubscriptionsNotSupported,
    /// The server does not support subscription identifiers.
    #[error("the server does not support subscription identifiers")]
    SubscriptionIdentifiersNotSupported,
    /// The packet cannot be encoded for the protocol version.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// [`Client::ack`](crate::Client::ack) for an identifier with no message waiting.
    #[error("no received message with packet identifier {0} waits for an acknowledgement")]
    UnknownAck(PacketId),
    /// Acknowledgements are automatic ([`Config::manual_acks`](crate::Config::manual_acks) is off).
    #[error("acknowledgements are automatic; set manual_acks to acknowledge messages yourself")]
    AutomaticAcks,
    /// The connection ended before this QoS 0 message was handed to the transport; QoS 0 is
    /// not sent again.
    #[error("the connection ended before the QoS 0 message was sent")]
    Disconnected,
    /// The message's time to live (its MQTT 5.0 Message Expiry Interval, or
    /// [`Config::message_ttl`](crate::Config::message_ttl)) ended while it waited to be sent:
    /// it is not sent ([MQTT-3.3.2-5] asks the same of a server).
    #[error("the message expired before it could be sent")]
    Expired,
    /// The queue was full and this QoS 0 message, the oldest waiting, made room for a newer
    /// one ([`Config::when_full`](crate::Config::when_full)).
    #[error("dropped from the full queue to make room for a newer message")]
    Dropped,
    /// A new protocol version ([`Client::set_config`](crate::Client::set_config)) began a new
    /// session before this command was done: it was not sent (again).
    #[error("a new protocol version began a new session before this command was done")]
    SessionEnded,
    /// The server lost the session between its PUBREC and PUBCOMP for this QoS 2 message:
    /// whether it reached the subscribers depends on the server
    /// ([`Config::in_doubt`](crate::Config::in_doubt)).
    #[error(
        "the server lost the session after it acknowledged the QoS 2 message with PUBREC; whether it was delivered is unknown"
    )]
    InDoubt,
    /// The command needs MQTT 5.0 (AUTH, request/response).
    #[error("this needs MQTT 5.0")]
    NeedsV5,
    /// The command needs an open connection (AUTH), is not possible while closing, or (for
    /// [`Client::set_config`](crate::Client::set_config)) needs the connection closed.
    #[error("not possible in the current connection state")]
    InvalidState,
    /// [`Client::reauthenticate`](crate::Client::reauthenticate) needs an
    /// [`Authenticator`](crate::Authenticator); without one, the application sends AUTH itself
    /// with [`Client::auth`](crate::Client::auth).
    #[error(
        "re-authentication needs an authenticator; without one, send AUTH with Re-authenticate yourself"
    )]
    NoAuthenticator,
}
