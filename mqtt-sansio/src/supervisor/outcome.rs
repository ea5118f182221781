//! What the supervisor gives back: the outcome of each command with its tag, received
//! messages, and the connection's events.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use mqtt_proto::{
    AckProperties, AuthProperties, ConnAck, PacketId, ProtocolVersion, Publish, ReasonCode,
    TopicFilter,
};

use crate::{ClientError, DisconnectReason, ServerLimits, SessionReset};

/// What a finished publish reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// The packet identifier (QoS 1 and 2).
    pub packet_id: Option<PacketId>,
    /// The broker's reason code (MQTT 5.0); success for 3.x and QoS 0.
    pub reason_code: ReasonCode,
    /// The properties of the PUBACK or PUBCOMP (MQTT 5.0): a Reason String, User Properties.
    pub properties: AckProperties,
}

/// What a finished subscribe or unsubscribe reports: the SUBACK's or UNSUBACK's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Acked {
    /// One code per filter, in order: the granted QoS (0x00 to 0x02) or a failure. None for an
    /// UNSUBACK of MQTT 3.1.1, which has no codes.
    pub reason_codes: Vec<ReasonCode>,
    /// The acknowledgement's properties (MQTT 5.0): a Reason String, User Properties.
    pub properties: AckProperties,
}

/// Why a command did not succeed.
/// Exhaustive on purpose: a new variant is a change every driver has to handle, so it breaks
/// their builds instead of reaching a wildcard arm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The session refused it.
    Client(ClientError),
    /// The broker answered with a failure reason code.
    Failed(ReasonCode),
    /// The connection ended before a QoS 0 message was written (it is not sent again).
    Disconnected(DisconnectReason),
    /// The client stopped first.
    Closed,
}

/// The outcome of a command, with the tag it came with.
/// Exhaustive on purpose: a new variant is a change every driver has to handle, so it breaks
/// their builds instead of reaching a wildcard arm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    /// A publish: acknowledged (QoS 1, 2) or written (QoS 0).
    Published(Result<Published, Failure>),
    /// A subscribe or unsubscribe: one code per filter, and the acknowledgement's properties.
    Codes(Result<Acked, Failure>),
    /// A flush, a disconnect or an abort.
    Unit(Result<(), Failure>),
}

/// A change in the connection, for the application.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// Connected; whether the broker resumed the session, and its limits.
    Connected {
        /// Whether the broker had a session.
        session_present: bool,
        /// The broker's limits for this connection.
        limits: ServerLimits,
        /// The CONNACK, with every property (MQTT 5.0): an Assigned Client Identifier, Server
        /// Keep Alive, Response Information, a Reason String, User Properties, …
        connack: ConnAck,
        /// Which of the driver's brokers ([`Supervisor::set_brokers`](super::Supervisor::set_brokers)):
        /// an index into its list, 0 with one broker.
        broker: usize,
        /// The protocol version agreed ([`Policy::version_fallback`](crate::Policy::version_fallback)
        /// may have fallen back to 3.1.1).
        version: ProtocolVersion,
    },
    /// An AUTH from the broker while no [`Authenticator`](crate::Authenticator) is set (MQTT 5.0 enhanced
    /// authentication): the application answers with [`Supervisor::auth`](super::Supervisor::auth) unless it reports
    /// success.
    Auth {
        /// Continue Authentication, Re-authenticate or Success.
        reason_code: ReasonCode,
        /// The Authentication Method and Data, a Reason String, User Properties.
        properties: AuthProperties,
    },
    /// The broker had no session: what was subscribed again and queued again.
    SessionReset(SessionReset),
    /// The connection ended.
    Disconnected(DisconnectReason),
    /// The server answered the subscriptions made again after it lost the session: each
    /// filter with its granted QoS or failure code (see
    /// [`Event::Resubscribed`](crate::Event::Resubscribed)).
    Resubscribed(Vec<(TopicFilter, ReasonCode)>),
    /// The duplicate guard held back a QoS 2 message the broker sent again after it was
    /// completed (see [`Event::DuplicateSuppressed`](crate::Event::DuplicateSuppressed)).
    DuplicateSuppressed {
        /// The broker's packet identifier.
        packet_id: PacketId,
    },
    /// Another connection with the same client identifier took the session over (MQTT 5.0
    /// DISCONNECT 0x8E); [`Policy::takeover`](crate::Policy::takeover) says whether the client stops or comes back
    /// later (then [`Reconnecting`](Self::Reconnecting) follows).
    SessionTakenOver,
    /// Waiting before the next attempt.
    Reconnecting {
        /// The attempt that comes next, from 1: the backoff's count (with several brokers, one
        /// per round).
        attempt: u32,
        /// How long the client waits first: zero while a round of brokers goes on.
        delay: Duration,
        /// The broker the attempt goes to, an index into the driver's list.
        broker: usize,
    },
    /// The server sent the client to another server (MQTT 5.0 CONNACK or DISCONNECT 0x9C Use
    /// another server, 0x9D Server moved); [`Policy::redirect`](crate::Policy::redirect)
    /// says whether to follow. Comes before [`Reconnecting`](Self::Reconnecting).
    Redirected {
        /// The Server Reference, as the server sent it.
        server_reference: String,
        /// 0x9D: the server moved for good (use the new one from now on); otherwise for now.
        permanent: bool,
        /// Whether the next attempt goes there.
        followed: bool,
    },
    /// The client stopped: a fatal refusal, or `disconnect`.
    Stopped,
    /// The session of a previous process was taken back from a store
    /// ([`Supervisor::restore`](super::Supervisor::restore)), before the first connection.
    SessionRestored {
        /// Outbound QoS 1 and 2 messages not yet acknowledged: they go again.
        messages: usize,
        /// Of those, QoS 2 messages the broker had received (PUBREC): they are completed with
        /// PUBREL.
        released: usize,
        /// Inbound QoS 2 messages received and not completed: not delivered again.
        inbound: usize,
    },
    /// The driver's store could not keep the session's changes
    /// ([`Supervisor::store_failed`](super::Supervisor::store_failed)): the client stops.
    StoreFailed {
        /// What went wrong, as the store said it.
        reason: String,
    },
    /// A message of a previous process, restored from a store, is done: nobody waits for it
    /// any more, so its outcome is an event. Its packet identifier is the one it had in the
    /// store, or the one a [`SessionReset`](Self::SessionReset) gave it since.
    RestoredPublished {
        /// The message's packet identifier.
        packet_id: PacketId,
        /// Acknowledged, with the broker's reason code and properties, or why not.
        result: Result<Published, Failure>,
    },
    /// The application read events more slowly than they came: this many were dropped (the
    /// oldest) before the ones that follow. Made by the adapters' event queues, never by the
    /// supervisor.
    Lagged {
        /// How many events were dropped.
        missed: u64,
    },
}

/// What the driver takes from [`Supervisor::poll_output`](super::Supervisor::poll_output).
/// Exhaustive on purpose: a new variant is a change every driver has to handle, so it breaks
/// their builds instead of reaching a wildcard arm.
#[derive(Debug)]
pub enum Output<T> {
    /// A command finished: answer whoever `T` stands for.
    Done(T, Done),
    /// A received message for the application.
    Message(Publish),
    /// A change in the connection; after `Disconnected` the driver writes what is left (a
    /// DISCONNECT), closes the transport and calls
    /// [`Supervisor::handle_closed`](super::Supervisor::handle_closed).
    Event(ConnectionEvent),
}

/// Who waits for a message.
#[derive(Debug)]
pub(super) enum Waiter<T> {
    /// A publish with a tag.
    Tagged(T),
    /// A message given to `send`, by number.
    Sent(u64),
    /// A message of a previous process, restored from a store: its outcome is an event.
    Restored,
}

impl<T> Waiter<T> {
    pub(super) fn sent(&self) -> Option<u64> {
        match self {
            Self::Sent(number) => Some(*number),
            Self::Tagged(_) | Self::Restored => None,
        }
    }
}
