//! What the client tells its driver and application.

use alloc::vec::Vec;

use mqtt_proto::{
    AckProperties, AuthProperties, ConnAck, DecodeError, Disconnect, PacketId, Publish, QoS,
    ReasonCode, TopicFilter,
};

use crate::error::ClientError;

/// Something the application should know, taken with
/// [`Client::poll_event`](crate::Client::poll_event).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server accepted the connection.
    Connected(Connected),
    /// The server had no session for this client: what the client did to rebuild it.
    SessionReset(SessionReset),
    /// A message arrived. For QoS 1 and 2 in manual-ack mode, acknowledge it with
    /// [`Client::ack`](crate::Client::ack) and its packet identifier.
    Message(Publish),
    /// An outbound QoS 1 or 2 message ended: PUBACK, PUBCOMP, or a PUBREC with a failure code.
    Published {
        /// The identifier `publish` returned.
        packet_id: PacketId,
        /// The QoS it was sent with.
        qos: QoS,
        /// The server's reason code (MQTT 5.0); success for 3.x.
        reason_code: ReasonCode,
        /// The acknowledgement's properties.
        properties: AckProperties,
    },
    /// A SUBACK: one result per filter, in order.
    Subscribed {
        /// The identifier `subscribe` returned.
        packet_id: PacketId,
        /// Per filter: the granted QoS (0x00 to 0x02) or a failure reason code.
        reason_codes: Vec<ReasonCode>,
        /// The SUBACK's properties.
        properties: AckProperties,
    },
    /// An UNSUBACK: one result per filter in MQTT 5.0, none in 3.x.
    Unsubscribed {
        /// The identifier `unsubscribe` returned.
        packet_id: PacketId,
        /// Per filter (MQTT 5.0).
        reason_codes: Vec<ReasonCode>,
        /// The UNSUBACK's properties.
        properties: AckProperties,
    },
    /// An AUTH from the server (MQTT 5.0 enhanced authentication): answer with
    /// [`Client::auth`](crate::Client::auth) unless it reports success.
    Auth {
        /// Continue authentication, re-authenticate or success.
        reason_code: ReasonCode,
        /// Method and data.
        properties: AuthProperties,
    },
    /// A command the client had accepted was not carried out: a message that no longer fits
    /// the limits of the connection that was to carry it (the server lowered them when the
    /// client reconnected), a QoS 0 message whose connection ended before it was handed over, a
    /// QoS 2 message in doubt after the server lost the session
    /// ([`Config::in_doubt`](crate::Config::in_doubt)), a request too large for the server. Its
    /// packet identifier, if it had one, is free again.
    Failed {
        /// Which command.
        command: CommandId,
        /// Why.
        error: ClientError,
    },
    /// The server answered the subscriptions the client made again after it lost the session
    /// ([`SessionReset::resubscribed`]): one result per filter, a failure code for a filter it
    /// refused (the subscription is forgotten then). A filter the client could not send again
    /// has a code of the client's own: Packet too large (0x95: alone it is above the server's
    /// Maximum Packet Size) or Unspecified error (0x80: no packet identifier was free).
    Resubscribed {
        /// Each filter with the granted QoS (0x00 to 0x02) or a failure reason code.
        results: Vec<(TopicFilter, ReasonCode)>,
    },
    /// The duplicate guard held back a QoS 2 message the server sent again with DUP after it
    /// was completed ([`Config::duplicate_guard`](crate::Config::duplicate_guard)): it was
    /// acknowledged, not delivered.
    DuplicateSuppressed {
        /// The server's packet identifier.
        packet_id: PacketId,
    },
    /// The connection ended; always the last event of a connection. The driver closes the
    /// transport if it is still open.
    Disconnected(DisconnectReason),
}

/// A command the client accepted, as [`Event::Failed`] names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandId {
    /// A QoS 1 or 2 message, by the packet identifier `publish` returned.
    Publish(PacketId),
    /// A QoS 0 message, by its number ([`Client::qos0_accepted`](crate::Client::qos0_accepted)).
    Qos0(u64),
    /// A SUBSCRIBE, by the packet identifier `subscribe` returned.
    Subscribe(PacketId),
    /// An UNSUBSCRIBE, by the packet identifier `unsubscribe` returned.
    Unsubscribe(PacketId),
}

/// A message sent again as a new message after the server lost the session: it had one packet
/// identifier, it has another now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Renumbered {
    /// The identifier `publish` returned (or the last one it had).
    pub before: PacketId,
    /// The identifier its exchange goes on with, which [`Event::Published`] reports.
    pub after: PacketId,
}

/// The outcome of a successful CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connected {
    /// Whether the server resumed a session.
    pub session_present: bool,
    /// The server's limits in force for this connection.
    pub limits: ServerLimits,
    /// The CONNACK itself, with all its properties.
    pub connack: ConnAck,
}

/// What the client did when the server had no session: nothing is dropped silently.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionReset {
    /// Remembered subscriptions sent again, in the order they were first made; the server's
    /// answer comes as [`Event::Resubscribed`].
    pub resubscribed: Vec<TopicFilter>,
    /// Unacknowledged outbound messages queued again as new messages of the new session (DUP
    /// 0, a fresh packet identifier each), in their order.
    pub requeued: Vec<Renumbered>,
    /// QoS 2 messages the server had acknowledged with PUBREC, by their identifier before the
    /// reset: in doubt, queued again (in [`requeued`](Self::requeued)) or failed with
    /// [`ClientError::InDoubt`], as [`Config::in_doubt`](crate::Config::in_doubt) says.
    pub released: Vec<PacketId>,
}

/// The server's limits (MQTT 5.0 CONNACK properties; the defaults for 3.x).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each flag is a CONNACK property of its own, named as the specification names it"
)]
pub struct ServerLimits {
    /// How many unacknowledged QoS 1 and 2 messages the server accepts. Default 65,535.
    pub receive_maximum: u16,
    /// The highest QoS the server accepts. Default QoS 2.
    pub maximum_qos: QoS,
    /// Whether retained messages are supported. Default yes.
    pub retain_available: bool,
    /// The largest packet the server accepts. Default: no limit.
    pub maximum_packet_size: Option<u32>,
    /// How many topic aliases the server accepts from this client. Default 0.
    pub topic_alias_maximum: u16,
    /// Whether wildcard subscriptions are supported. Default yes.
    pub wildcard_subscription_available: bool,
    /// Whether subscription identifiers are supported. Default yes.
    pub subscription_identifiers_available: bool,
    /// Whether shared subscriptions are supported. Default yes.
    pub shared_subscription_available: bool,
    /// The keep alive in force, in seconds: the server's if it set one.
    pub keep_alive: u16,
}

impl ServerLimits {
    pub(crate) fn from_connack(connack: &ConnAck, keep_alive: u16) -> Self {
        let p = &connack.properties;
        Self {
            receive_maximum: p
                .receive_maximum
                .map_or(u16::MAX, core::num::NonZeroU16::get),
            maximum_qos: p.maximum_qos.unwrap_or(QoS::ExactlyOnce),
            retain_available: p.retain_available.unwrap_or(true),
            maximum_packet_size: p.maximum_packet_size.map(core::num::NonZeroU32::get),
            topic_alias_maximum: p.topic_alias_maximum.unwrap_or(0),
            wildcard_subscription_available: p.wildcard_subscription_available.unwrap_or(true),
            subscription_identifiers_available: p
                .subscription_identifiers_available
                .unwrap_or(true),
            shared_subscription_available: p.shared_subscription_available.unwrap_or(true),
            keep_alive: p.server_keep_alive.unwrap_or(keep_alive),
        }
    }
}

/// Why a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The server refused the connection; classify with
    /// [`Retry::after_connack`](crate::Retry::after_connack).
    Refused(ConnAck),
    /// The server sent DISCONNECT (MQTT 5.0); classify with
    /// [`Retry::after_disconnect`](crate::Retry::after_disconnect).
    ByServer(Disconnect),
    /// The client closed the connection with [`Client::disconnect`](crate::Client::disconnect).
    ByClient,
    /// The server broke the protocol; in MQTT 5.0 the client sent DISCONNECT with `reason_code`.
    ProtocolViolation {
        /// The reason code sent (or that would have been, in 3.x).
        reason_code: ReasonCode,
        /// The decoding error, when the bytes were not a valid packet.
        error: Option<DecodeError>,
    },
    /// No CONNACK within [`Config::connack_timeout`](crate::Config::connack_timeout).
    ConnAckTimeout,
    /// No PINGRESP within the ping timeout: the link is half-open or the server is stuck.
    KeepAliveTimeout,
    /// The transport closed ([`Client::handle_transport_closed`](crate::Client::handle_transport_closed)).
    TransportClosed,
    /// The [`Authenticator`](crate::Authenticator) gave up the enhanced authentication; the
    /// client sent DISCONNECT with Implementation Specific Error.
    AuthenticationFailed(crate::AuthFailed),
    /// The configuration makes a CONNECT the protocol version forbids (an empty client
    /// identifier without Clean Session in 3.1.1, say); nothing was sent.
    InvalidConnect(mqtt_proto::EncodeError),
}
