//! What can go wrong, each with what to do about it.

use mqtt_proto::{ReasonCode, TopicError};
use mqtt_sansio::ClientError;

/// An error of a client of any adapter (`mqtt-tokio`, `mqtt-async-std`, `mqtt-blocking`). Its
/// message says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A broker address is not valid.
    #[error("invalid broker address {address:?}: {reason}")]
    InvalidAddress {
        /// The address given.
        address: String,
        /// What is wrong with it.
        reason: crate::AddressError,
    },
    /// A proxy URL (set, or read from the environment) is not valid.
    #[error("invalid proxy {address:?}: {reason}")]
    InvalidProxy {
        /// The URL given.
        address: String,
        /// What is wrong with it.
        reason: crate::AddressError,
    },
    /// The proxy did not open a tunnel to the broker.
    #[error("proxy {proxy}: {error}")]
    Proxy {
        /// The proxy, without its password.
        proxy: String,
        /// Why.
        error: crate::ProxyError,
    },
    /// The WebSocket upgrade was refused, or the WebSocket broke.
    #[error(transparent)]
    WebSocket(#[from] crate::WebSocketError),
    /// A certificate or key file is missing or unusable.
    #[error("certificate {path:?}: {reason}")]
    Certificate {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// TLS failed: the configuration, or the handshake (an untrusted or mismatched server
    /// certificate, say), or a name TLS cannot verify.
    #[error("TLS: {0}")]
    Tls(#[source] rustls::Error),
    /// A topic name or filter is not valid.
    #[error("invalid topic: {0}")]
    InvalidTopic(#[from] TopicError),
    /// The connection failed at the socket level.
    #[error("connection to the broker failed: {0}")]
    Io(#[from] std::io::Error),
    /// The broker did not accept the TCP connection and CONNECT in time.
    #[error("no answer from the broker within the connect timeout")]
    ConnectTimeout,
    /// The broker refused the connection; the reason code says why (bad credentials, not
    /// authorised, …).
    #[error("the broker refused the connection: {0}")]
    Refused(ReasonCode),
    /// The session state machine refused a command (queue full, QoS not supported, …).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The broker answered a publish, subscribe or unsubscribe with a failure reason code.
    #[error("the broker answered with {0}")]
    Failed(ReasonCode),
    /// The connection ended: the first one before it was accepted (a protocol violation, a
    /// CONNACK timeout, …), or one that took a QoS 0 message down before it was written (QoS 0
    /// is not sent again).
    #[error("the connection ended: {0:?}")]
    Disconnected(mqtt_sansio::DisconnectReason),
    /// The client was closed: `disconnect` was called, or it gave up reconnecting.
    #[error("the client is closed")]
    Closed,
    /// The recording file ([`Options::record`](crate::Options::record)) could not be created.
    #[error(transparent)]
    Recording(#[from] crate::record::RecordingError),
    /// The session store ([`Options::store`](crate::Options::store)) could not be opened, read
    /// or written: the client does not start over a session it could not read, and stops
    /// rather than send what it could not keep.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// No response came to a request within its timeout.
    #[error("no response within {0:?}")]
    RequestTimeout(std::time::Duration),
    /// The client could not subscribe to the topic responses come on.
    #[error("the response topic could not be subscribed to: {0}")]
    ResponseTopic(String),
    /// `respond` was given a message without a Response Topic: nobody waits for an answer.
    #[error("the message has no Response Topic to answer on")]
    NoResponseTopic,
}

impl From<mqtt_sansio::Failure> for Error {
    fn from(failure: mqtt_sansio::Failure) -> Self {
        match failure {
            mqtt_sansio::Failure::Client(e) => Self::Client(e),
            mqtt_sansio::Failure::Failed(code) => Self::Failed(code),
            mqtt_sansio::Failure::Disconnected(reason) => Self::Disconnected(reason),
            mqtt_sansio::Failure::Closed => Self::Closed,
        }
    }
}

impl Error {
    /// What the caller of `connect` gets when the first connection ended with `end`;
    /// `unreachable` is why the transport could not be opened, for [`End::Unreachable`].
    ///
    /// [`End::Unreachable`]: mqtt_sansio::End::Unreachable
    #[must_use]
    pub fn first_connection(end: mqtt_sansio::End, unreachable: Option<Self>) -> Self {
        use mqtt_sansio::{DisconnectReason, End};
        match end {
            End::Unreachable => unreachable.unwrap_or(Self::Closed),
            End::Reason(DisconnectReason::Refused(connack)) => Self::Refused(connack.reason_code),
            End::Reason(DisconnectReason::ConnAckTimeout) => Self::ConnectTimeout,
            End::Reason(reason) => Self::Disconnected(reason),
            End::Stop => Self::Closed,
        }
    }
}
