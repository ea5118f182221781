//! What a client did wrong, as the broker saw it.

use mqtt_proto::{DecodeError, PacketId, PacketType, ReasonCode};

/// A rule the client broke, recorded by the broker in the order seen.
///
/// Most close the connection (with a DISCONNECT carrying [`reason_code`](Self::reason_code) in
/// MQTT 5.0, or a refusing CONNACK while connecting); [`Violation::UnknownPacketId`] is only
/// recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// The bytes did not decode.
    Decode(DecodeError),
    /// A second CONNECT on one connection (\[MQTT-3.1.0-2\]).
    SecondConnect,
    /// A packet only a server sends.
    ServerPacket(PacketType),
    /// An acknowledgement for a packet identifier the broker has not got in flight in the state
    /// the acknowledgement answers.
    UnknownPacketId {
        /// The acknowledgement.
        packet_type: PacketType,
        /// Its packet identifier.
        packet_id: PacketId,
    },
    /// A PUBLISH above the Maximum QoS of the CONNACK (\[MQTT-3.2.2-11\]).
    QosNotSupported,
    /// A retained PUBLISH though the CONNACK said Retain Available 0 (\[MQTT-3.2.2-14\]).
    RetainNotSupported,
    /// More unacknowledged QoS 1 and 2 PUBLISH than the CONNACK's Receive Maximum
    /// (\[MQTT-3.3.4-7\]).
    ReceiveMaximumExceeded,
    /// A Topic Alias above the CONNACK's Topic Alias Maximum, or an unknown alias without a topic
    /// (\[MQTT-3.3.2-9\], \[MQTT-3.3.2-8\]).
    TopicAliasInvalid(u16),
    /// A CONNECT with an empty client identifier and Clean Session 0 under MQTT 3.x
    /// (\[MQTT-3.1.3-8\]).
    ClientIdRejected,
}

impl Violation {
    /// The reason code an MQTT 5.0 broker closes the connection with.
    #[must_use]
    pub fn reason_code(&self) -> ReasonCode {
        match self {
            Self::Decode(error) => error.reason_code(),
            Self::SecondConnect | Self::ServerPacket(_) | Self::UnknownPacketId { .. } => {
                ReasonCode::PROTOCOL_ERROR
            }
            Self::QosNotSupported => ReasonCode::QOS_NOT_SUPPORTED,
            Self::RetainNotSupported => ReasonCode::RETAIN_NOT_SUPPORTED,
            Self::ReceiveMaximumExceeded => ReasonCode::RECEIVE_MAXIMUM_EXCEEDED,
            Self::TopicAliasInvalid(_) => ReasonCode::TOPIC_ALIAS_INVALID,
            Self::ClientIdRejected => ReasonCode::CLIENT_IDENTIFIER_NOT_VALID,
        }
    }
}
