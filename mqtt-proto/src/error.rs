//! Decode and encode errors. Every decode error knows the reason code to send the peer.

use crate::packet::PacketType;
use crate::property::PropertyId;
use crate::reason::ReasonCode;
use crate::string::StringError;
use crate::topic::TopicError;
use crate::version::ProtocolVersion;

/// Why received bytes are not a valid packet.
///
/// Each variant is one rule of the specification; [`DecodeError::reason_code`] gives the reason
/// code an MQTT 5.0 peer closes the connection with (0x81 Malformed Packet, 0x82 Protocol Error,
/// 0x84 Unsupported Protocol Version, 0x95 Packet too large, 0x83 for local limits). After an error
/// the byte stream has lost its framing: close the connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The remaining length uses more than four bytes, or more bytes than needed (\[MQTT-1.5.5-1\]).
    #[error("malformed remaining length")]
    MalformedRemainingLength,
    /// A variable byte integer inside the packet uses more than four bytes or more than needed
    /// (\[MQTT-1.5.5-1\]).
    #[error("malformed variable byte integer")]
    MalformedVariableByteInteger,
    /// The packet is larger than [`Limits::max_packet_size`](crate::Limits::max_packet_size),
    /// counting its fixed header, as MQTT 5.0's Maximum Packet Size does (sections 3.1.2.11.4 and
    /// 3.2.2.3.6).
    #[error("packet of {size} bytes exceeds the maximum packet size of {max} bytes")]
    PacketTooLarge {
        /// The whole packet's size in bytes.
        size: usize,
        /// The limit in force.
        max: u32,
    },
    /// Packet type 0, or 15 (AUTH) before MQTT 5.0.
    #[error("reserved packet type {0}")]
    ReservedPacketType(u8),
    /// The fixed header flags are not those the packet type requires (\[MQTT-2.2.2-2\],
    /// \[MQTT-2.1.3-1\]).
    #[error("invalid fixed header flags {flags:#06b} for {packet_type:?}")]
    InvalidHeaderFlags {
        /// The packet type.
        packet_type: PacketType,
        /// The low four bits of the first byte.
        flags: u8,
    },
    /// A field runs past the end of the packet.
    #[error("packet ends in the middle of a field")]
    UnexpectedEof,
    /// Bytes are left after the last field of the packet.
    #[error("{0} unexpected bytes at the end of the packet")]
    TrailingBytes(usize),
    /// A UTF-8 encoded string breaks the string rules.
    #[error("invalid string: {0}")]
    InvalidString(#[from] StringError),
    /// A topic name or topic filter breaks the topic rules.
    #[error("invalid topic: {0}")]
    InvalidTopic(#[from] TopicError),
    /// A QoS of 3 (\[MQTT-3.3.1-4\], \[MQTT-3.1.2-12\], \[MQTT-3-8.3-4\] of 3.1.1).
    #[error("QoS 3 is reserved")]
    InvalidQoS,
    /// A Maximum QoS of 3 in MQTT 5.0 subscription options: a Protocol Error there, not a
    /// Malformed Packet (section 3.8.3.1).
    #[error("maximum QoS 3 in subscription options")]
    InvalidSubscriptionQoS,
    /// DUP is set on a QoS 0 PUBLISH (\[MQTT-3.3.1-2\]).
    #[error("DUP flag set on a QoS 0 message")]
    DupWithQoS0,
    /// A packet identifier of zero (\[MQTT-2.3.1-1\], \[MQTT-2.2.1-3\]).
    #[error("packet identifier 0")]
    ZeroPacketId,
    /// A CONNECT whose protocol name is neither `MQTT` nor `MQIsdp` (\[MQTT-3.1.2-1\]).
    #[error("unknown protocol name")]
    InvalidProtocolName,
    /// A CONNECT with a protocol level that is not the expected one (\[MQTT-3.1.2-2\]).
    #[error("unsupported protocol level {0}")]
    UnsupportedProtocolVersion(u8),
    /// The reserved bit of the CONNECT flags is set (\[MQTT-3.1.2-3\]).
    #[error("reserved CONNECT flag set")]
    ReservedConnectFlag,
    /// Will QoS or Will Retain set without the Will Flag (\[MQTT-3.1.2-11\], \[MQTT-3.1.2-13\]).
    #[error("will QoS or will retain set without a will")]
    InvalidWillFlags,
    /// A password without a user name before MQTT 5.0 (\[MQTT-3.1.2-22\] of 3.1.1).
    #[error("password flag set without user name flag")]
    PasswordWithoutUsername,
    /// Reserved CONNACK acknowledge flags set (\[MQTT-3.2.2-1\]).
    #[error("reserved CONNACK flags {0:#010b}")]
    InvalidConnAckFlags(u8),
    /// Session Present set in a refusing CONNACK (\[MQTT-3.2.2-4\] of 3.1.1, \[MQTT-3.2.2-6\]).
    #[error("session present set with a non-zero return code")]
    SessionPresentOnFailure,
    /// A reason or return code that this packet may not carry.
    #[error("reason code {code:?} is not valid in {packet_type:?}")]
    InvalidReasonCode {
        /// The packet type.
        packet_type: PacketType,
        /// The code received.
        code: ReasonCode,
    },
    /// Reserved bits set in subscription options (\[MQTT-3.8.3-5\], \[MQTT-3-8.3-4\] of 3.1.1).
    #[error("reserved subscription option bits set: {0:#010b}")]
    InvalidSubscriptionOptions(u8),
    /// Retain Handling of 3 (section 3.8.3.1).
    #[error("retain handling 3 is reserved")]
    InvalidRetainHandling,
    /// No Local set on a shared subscription (\[MQTT-3.8.3-4\]).
    #[error("no local set on a shared subscription")]
    NoLocalOnSharedSubscription,
    /// A SUBSCRIBE or UNSUBSCRIBE without topic filters, or a SUBACK or UNSUBACK without codes
    /// (\[MQTT-3.8.3-2\], \[MQTT-3.10.3-2\]).
    #[error("{0:?} has an empty payload")]
    EmptyPayload(PacketType),
    /// A PUBLISH with an empty topic name and no Topic Alias (\[MQTT-3.3.2-1\], \[MQTT-4.7.3-1\]).
    #[error("PUBLISH with an empty topic name and no topic alias")]
    EmptyTopicWithoutAlias,
    /// A property identifier that MQTT 5.0 does not define.
    #[error("unknown property identifier {0:#x}")]
    UnknownProperty(u32),
    /// A property in a packet that may not carry it (section 2.2.2.2).
    #[error("property {property:?} is not allowed in {packet_type:?}")]
    PropertyNotAllowed {
        /// The property.
        property: PropertyId,
        /// The packet (CONNECT for will properties).
        packet_type: PacketType,
    },
    /// A property included twice where it may appear only once.
    #[error("property {0:?} included more than once")]
    DuplicateProperty(PropertyId),
    /// A property value outside its range (a zero Receive Maximum, a Maximum QoS of 2, …).
    #[error("invalid value for property {0:?}")]
    InvalidPropertyValue(PropertyId),
    /// Authentication Data without an Authentication Method (section 3.1.2.11.10).
    #[error("authentication data without authentication method")]
    AuthDataWithoutMethod,
    /// An AUTH with a body but no Authentication Method (section 3.15.2.2.2).
    #[error("AUTH without an authentication method")]
    MissingAuthenticationMethod,
    /// More repetitions of a property than [`Limits`](crate::Limits) allow.
    #[error("more than {max} {property:?} properties")]
    TooManyProperties {
        /// The repeated property.
        property: PropertyId,
        /// The limit in force.
        max: usize,
    },
    /// More topic filters or codes than [`Limits::max_topic_filters`](crate::Limits) allows.
    #[error("more than {max} entries in {packet_type:?}")]
    TooManyEntries {
        /// The packet.
        packet_type: PacketType,
        /// The limit in force.
        max: usize,
    },
    /// [`ProtocolVersion::of_connect`] was given a packet that is not a CONNECT.
    #[error("expected CONNECT, found packet type {0}")]
    UnexpectedPacket(u8),
}

impl DecodeError {
    /// The reason code to close the connection with (MQTT 5.0 section 4.13).
    ///
    /// ```
    /// use mqtt_proto::{DecodeError, ReasonCode};
    ///
    /// assert_eq!(DecodeError::TrailingBytes(1).reason_code(), ReasonCode::MALFORMED_PACKET);
    /// assert_eq!(
    ///     DecodeError::PacketTooLarge { size: 300, max: 256 }.reason_code(),
    ///     ReasonCode::PACKET_TOO_LARGE
    /// );
    /// ```
    #[must_use]
    pub fn reason_code(&self) -> ReasonCode {
        match self {
            Self::PacketTooLarge { .. } => ReasonCode::PACKET_TOO_LARGE,
            Self::InvalidProtocolName | Self::UnsupportedProtocolVersion(_) => {
                ReasonCode::UNSUPPORTED_PROTOCOL_VERSION
            }
            // Section 3.3.2.3.4: a Topic Alias of 0 is answered with 0x94.
            Self::InvalidPropertyValue(PropertyId::TopicAlias) => ReasonCode::TOPIC_ALIAS_INVALID,
            Self::TooManyProperties { .. } | Self::TooManyEntries { .. } => {
                ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR
            }
            // Before the other topic errors: ill-formed UTF-8 or U+0000 is a Malformed Packet in a
            // topic as in any string (\[MQTT-1.5.4-1\], \[MQTT-1.5.4-2\]).
            Self::InvalidTopic(TopicError::String(_))
            | Self::MalformedRemainingLength
            | Self::MalformedVariableByteInteger
            | Self::ReservedPacketType(_)
            | Self::InvalidHeaderFlags { .. }
            | Self::UnexpectedEof
            | Self::TrailingBytes(_)
            | Self::InvalidString(_)
            | Self::InvalidQoS
            | Self::DupWithQoS0
            | Self::ZeroPacketId
            | Self::ReservedConnectFlag
            | Self::InvalidWillFlags
            | Self::PasswordWithoutUsername
            | Self::InvalidConnAckFlags(_)
            | Self::SessionPresentOnFailure
            | Self::InvalidReasonCode { .. }
            | Self::InvalidSubscriptionOptions(_)
            | Self::UnknownProperty(_)
            | Self::PropertyNotAllowed { .. } => ReasonCode::MALFORMED_PACKET,
            Self::InvalidTopic(_)
            | Self::InvalidSubscriptionQoS
            | Self::InvalidRetainHandling
            | Self::NoLocalOnSharedSubscription
            | Self::EmptyPayload(_)
            | Self::EmptyTopicWithoutAlias
            | Self::DuplicateProperty(_)
            | Self::InvalidPropertyValue(_)
            | Self::AuthDataWithoutMethod
            | Self::MissingAuthenticationMethod
            | Self::UnexpectedPacket(_) => ReasonCode::PROTOCOL_ERROR,
        }
    }
}

/// Why a packet cannot be encoded. Nothing is written when encoding fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The remaining length would exceed 268,435,455 bytes.
    #[error("packet body of {0} bytes exceeds the 268,435,455 MQTT allows")]
    PacketTooLarge(usize),
    /// The buffer has room for fewer bytes than the packet needs.
    #[error("buffer has room for {remaining} bytes, the packet needs {needed}")]
    BufferTooSmall {
        /// Bytes the packet needs.
        needed: usize,
        /// Bytes the buffer can take.
        remaining: usize,
    },
    /// Binary data longer than 65,535 bytes (a password, correlation or authentication data, a
    /// will payload).
    #[error("{field} is {len} bytes long, more than the 65,535 MQTT allows")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// Something this protocol version cannot express (AUTH before 5.0, a CONNACK reason code
    /// without a 3.x return code, Session Present in 3.1).
    #[error("{what} cannot be encoded in {version}")]
    UnsupportedInVersion {
        /// What cannot be expressed.
        what: &'static str,
        /// The version asked for.
        version: ProtocolVersion,
    },
    /// A reason code that this packet may not carry.
    #[error("reason code {code:?} is not valid in {packet_type:?}")]
    InvalidReasonCode {
        /// The packet type.
        packet_type: PacketType,
        /// The code.
        code: ReasonCode,
    },
    /// A PUBLISH with an empty topic name and no Topic Alias.
    #[error("PUBLISH with an empty topic name needs a topic alias")]
    EmptyTopicWithoutAlias,
    /// DUP set on a QoS 0 PUBLISH (\[MQTT-3.3.1-2\]).
    #[error("DUP flag set on a QoS 0 message")]
    DupWithQoS0,
    /// A SUBSCRIBE or UNSUBSCRIBE without topic filters, or a SUBACK or UNSUBACK without codes.
    #[error("{0:?} needs at least one entry")]
    EmptyPayload(PacketType),
    /// A property value outside its range.
    #[error("invalid value for property {0:?}")]
    InvalidPropertyValue(PropertyId),
    /// Authentication Data without an Authentication Method.
    #[error("authentication data without authentication method")]
    AuthDataWithoutMethod,
    /// An AUTH other than the empty Success without an Authentication Method (section
    /// 3.15.2.2.2).
    #[error("AUTH needs an authentication method")]
    MissingAuthenticationMethod,
    /// A client identifier the version forbids: empty in MQTT 3.1, or empty without Clean
    /// Session in 3.1.1 (\[MQTT-3.1.3-7\]), or longer than 23 bytes in MQTT 3.1.
    #[error("invalid client identifier: {0}")]
    InvalidClientId(&'static str),
    /// The will of a CONNECT has an empty topic name.
    #[error("the will topic is empty")]
    EmptyWillTopic,
    /// A password without a user name before MQTT 5.0 (\[MQTT-3.1.2-22\] of 3.1.1).
    #[error("a password needs a user name before MQTT 5.0")]
    PasswordWithoutUsername,
    /// Session Present set in a refusing CONNACK.
    #[error("session present set with a failure reason code")]
    SessionPresentOnFailure,
    /// No Local set on a shared subscription (\[MQTT-3.8.3-4\]).
    #[error("no local cannot be set on a shared subscription")]
    NoLocalOnSharedSubscription,
    /// A topic filter this version does not accept: in MQTT 5.0, one that starts with `$share/`
    /// without the form `$share/{ShareName}/{filter}` (\[MQTT-4.8.2-1\], \[MQTT-4.8.2-2\]).
    #[error("invalid topic filter: {0}")]
    InvalidTopic(#[from] TopicError),
}
