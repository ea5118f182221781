//! MQTT 5.0 reason codes, the packets each may appear in, and the MQTT 3.x return codes they map to.

use crate::packet::PacketType;

/// A reason code (MQTT 5.0 section 2.4), or the return code of an MQTT 3.x CONNACK or SUBACK
/// mapped onto its MQTT 5.0 equivalent.
///
/// Values below 0x80 mean success, 0x80 and above failure. Codes are constants so they can be
/// matched on; [`ReasonCode::is_valid_for`] tells which packets may carry each one.
///
/// ```
/// use mqtt_proto::{PacketType, ReasonCode};
///
/// let code = ReasonCode::NOT_AUTHORIZED;
/// assert!(code.is_error());
/// assert_eq!(code.name(), Some("Not authorized"));
/// assert!(code.is_valid_for(PacketType::ConnAck));
/// assert!(!ReasonCode::NO_MATCHING_SUBSCRIBERS.is_valid_for(PacketType::ConnAck));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ReasonCode(pub u8);

macro_rules! reason_codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $text:literal;)*) => {
        impl ReasonCode {
            $($(#[$doc])* pub const $name: Self = Self($value);)*

            /// The name the specification gives this code, or `None` when it defines none.
            ///
            /// 0x00 has several names by packet; this returns "Success".
            #[must_use]
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

reason_codes! {
    /// 0x00 Success (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, AUTH).
    SUCCESS = 0x00, "Success";
    /// 0x01 Granted QoS 1 (SUBACK).
    GRANTED_QOS_1 = 0x01, "Granted QoS 1";
    /// 0x02 Granted QoS 2 (SUBACK).
    GRANTED_QOS_2 = 0x02, "Granted QoS 2";
    /// 0x04 Disconnect with Will Message (DISCONNECT).
    DISCONNECT_WITH_WILL_MESSAGE = 0x04, "Disconnect with Will Message";
    /// 0x10 No matching subscribers (PUBACK, PUBREC).
    NO_MATCHING_SUBSCRIBERS = 0x10, "No matching subscribers";
    /// 0x11 No subscription existed (UNSUBACK).
    NO_SUBSCRIPTION_EXISTED = 0x11, "No subscription existed";
    /// 0x18 Continue authentication (AUTH).
    CONTINUE_AUTHENTICATION = 0x18, "Continue authentication";
    /// 0x19 Re-authenticate (AUTH).
    RE_AUTHENTICATE = 0x19, "Re-authenticate";
    /// 0x80 Unspecified error.
    UNSPECIFIED_ERROR = 0x80, "Unspecified error";
    /// 0x81 Malformed Packet.
    MALFORMED_PACKET = 0x81, "Malformed Packet";
    /// 0x82 Protocol Error.
    PROTOCOL_ERROR = 0x82, "Protocol Error";
    /// 0x83 Implementation specific error.
    IMPLEMENTATION_SPECIFIC_ERROR = 0x83, "Implementation specific error";
    /// 0x84 Unsupported Protocol Version (CONNACK).
    UNSUPPORTED_PROTOCOL_VERSION = 0x84, "Unsupported Protocol Version";
    /// 0x85 Client Identifier not valid (CONNACK).
    CLIENT_IDENTIFIER_NOT_VALID = 0x85, "Client Identifier not valid";
    /// 0x86 Bad User Name or Password (CONNACK).
    BAD_USER_NAME_OR_PASSWORD = 0x86, "Bad User Name or Password";
    /// 0x87 Not authorized.
    NOT_AUTHORIZED = 0x87, "Not authorized";
    /// 0x88 Server unavailable (CONNACK).
    SERVER_UNAVAILABLE = 0x88, "Server unavailable";
    /// 0x89 Server busy.
    SERVER_BUSY = 0x89, "Server busy";
    /// 0x8A Banned (CONNACK).
    BANNED = 0x8A, "Banned";
    /// 0x8B Server shutting down (DISCONNECT).
    SERVER_SHUTTING_DOWN = 0x8B, "Server shutting down";
    /// 0x8C Bad authentication method.
    BAD_AUTHENTICATION_METHOD = 0x8C, "Bad authentication method";
    /// 0x8D Keep Alive timeout (DISCONNECT).
    KEEP_ALIVE_TIMEOUT = 0x8D, "Keep Alive timeout";
    /// 0x8E Session taken over (DISCONNECT).
    SESSION_TAKEN_OVER = 0x8E, "Session taken over";
    /// 0x8F Topic Filter invalid.
    TOPIC_FILTER_INVALID = 0x8F, "Topic Filter invalid";
    /// 0x90 Topic Name invalid.
    TOPIC_NAME_INVALID = 0x90, "Topic Name invalid";
    /// 0x91 Packet Identifier in use.
    PACKET_IDENTIFIER_IN_USE = 0x91, "Packet Identifier in use";
    /// 0x92 Packet Identifier not found (PUBREL, PUBCOMP).
    PACKET_IDENTIFIER_NOT_FOUND = 0x92, "Packet Identifier not found";
    /// 0x93 Receive Maximum exceeded (DISCONNECT).
    RECEIVE_MAXIMUM_EXCEEDED = 0x93, "Receive Maximum exceeded";
    /// 0x94 Topic Alias invalid (DISCONNECT).
    TOPIC_ALIAS_INVALID = 0x94, "Topic Alias invalid";
    /// 0x95 Packet too large.
    PACKET_TOO_LARGE = 0x95, "Packet too large";
    /// 0x96 Message rate too high (DISCONNECT).
    MESSAGE_RATE_TOO_HIGH = 0x96, "Message rate too high";
    /// 0x97 Quota exceeded.
    QUOTA_EXCEEDED = 0x97, "Quota exceeded";
    /// 0x98 Administrative action (DISCONNECT).
    ADMINISTRATIVE_ACTION = 0x98, "Administrative action";
    /// 0x99 Payload format invalid.
    PAYLOAD_FORMAT_INVALID = 0x99, "Payload format invalid";
    /// 0x9A Retain not supported.
    RETAIN_NOT_SUPPORTED = 0x9A, "Retain not supported";
    /// 0x9B QoS not supported.
    QOS_NOT_SUPPORTED = 0x9B, "QoS not supported";
    /// 0x9C Use another server.
    USE_ANOTHER_SERVER = 0x9C, "Use another server";
    /// 0x9D Server moved.
    SERVER_MOVED = 0x9D, "Server moved";
    /// 0x9E Shared Subscriptions not supported.
    SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9E, "Shared Subscriptions not supported";
    /// 0x9F Connection rate exceeded.
    CONNECTION_RATE_EXCEEDED = 0x9F, "Connection rate exceeded";
    /// 0xA0 Maximum connect time (DISCONNECT).
    MAXIMUM_CONNECT_TIME = 0xA0, "Maximum connect time";
    /// 0xA1 Subscription Identifiers not supported.
    SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED = 0xA1, "Subscription Identifiers not supported";
    /// 0xA2 Wildcard Subscriptions not supported.
    WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED = 0xA2, "Wildcard Subscriptions not supported";
}

impl ReasonCode {
    /// 0x00 Normal disconnection (DISCONNECT): the same value as [`ReasonCode::SUCCESS`].
    pub const NORMAL_DISCONNECTION: Self = Self(0x00);
    /// 0x00 Granted QoS 0 (SUBACK): the same value as [`ReasonCode::SUCCESS`].
    pub const GRANTED_QOS_0: Self = Self(0x00);

    /// Whether the code reports a failure (0x80 and above).
    #[must_use]
    pub const fn is_error(self) -> bool {
        self.0 >= 0x80
    }

    /// Whether the code reports success (below 0x80).
    #[must_use]
    pub const fn is_success(self) -> bool {
        self.0 < 0x80
    }

    /// Whether MQTT 5.0 allows this code in a packet of type `packet`.
    ///
    /// Packets without a reason code (CONNECT, PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, PINGRESP)
    /// allow none.
    #[must_use]
    pub const fn is_valid_for(self, packet: PacketType) -> bool {
        let set = match packet {
            PacketType::ConnAck => &CONNACK,
            PacketType::PubAck | PacketType::PubRec => &PUBACK,
            PacketType::PubRel | PacketType::PubComp => &PUBREL,
            PacketType::SubAck => &SUBACK,
            PacketType::UnsubAck => &UNSUBACK,
            PacketType::Disconnect => &DISCONNECT,
            PacketType::Auth => &AUTH,
            _ => return false,
        };
        set.contains(self.0)
    }

    /// The MQTT 3.1 / 3.1.1 CONNACK return code of this reason code, if it has one.
    ///
    /// | return code | reason code |
    /// | --- | --- |
    /// | 0 accepted | 0x00 Success |
    /// | 1 unacceptable protocol version | 0x84 Unsupported Protocol Version |
    /// | 2 identifier rejected | 0x85 Client Identifier not valid |
    /// | 3 server unavailable | 0x88 Server unavailable |
    /// | 4 bad user name or password | 0x86 Bad User Name or Password |
    /// | 5 not authorized | 0x87 Not authorized |
    #[must_use]
    pub const fn to_v3_connack(self) -> Option<u8> {
        match self {
            Self::SUCCESS => Some(0),
            Self::UNSUPPORTED_PROTOCOL_VERSION => Some(1),
            Self::CLIENT_IDENTIFIER_NOT_VALID => Some(2),
            Self::SERVER_UNAVAILABLE => Some(3),
            Self::BAD_USER_NAME_OR_PASSWORD => Some(4),
            Self::NOT_AUTHORIZED => Some(5),
            _ => None,
        }
    }

    /// The reason code of an MQTT 3.1 / 3.1.1 CONNACK return code (the table of
    /// [`to_v3_connack`](Self::to_v3_connack)), `None` for the reserved values 6–255.
    #[must_use]
    pub const fn from_v3_connack(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::SUCCESS),
            1 => Some(Self::UNSUPPORTED_PROTOCOL_VERSION),
            2 => Some(Self::CLIENT_IDENTIFIER_NOT_VALID),
            3 => Some(Self::SERVER_UNAVAILABLE),
            4 => Some(Self::BAD_USER_NAME_OR_PASSWORD),
            5 => Some(Self::NOT_AUTHORIZED),
            _ => None,
        }
    }
}

impl core::fmt::Debug for ReasonCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(name) => write!(f, "ReasonCode(0x{:02X} {name})", self.0),
            None => write!(f, "ReasonCode(0x{:02X})", self.0),
        }
    }
}

impl core::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(name) => write!(f, "0x{:02X} {name}", self.0),
            None => write!(f, "0x{:02X}", self.0),
        }
    }
}

impl From<u8> for ReasonCode {
    fn from(value: u8) -> Self {
        Self(value)
    }
}

impl From<ReasonCode> for u8 {
    fn from(value: ReasonCode) -> Self {
        value.0
    }
}

/// A set of byte values.
struct CodeSet([u64; 4]);

#[expect(
    clippy::indexing_slicing,
    reason = "a byte divided by 64 indexes four words; in `of` a bad index fails the build"
)]
impl CodeSet {
    const fn of(codes: &[u8]) -> Self {
        let mut bits = [0u64; 4];
        let mut i = 0;
        while i < codes.len() {
            let c = codes[i] as usize;
            bits[c / 64] |= 1 << (c % 64);
            i += 1;
        }
        Self(bits)
    }

    const fn contains(&self, code: u8) -> bool {
        let c = code as usize;
        self.0[c / 64] & (1 << (c % 64)) != 0
    }
}

// The tables of sections 3.2.2.2, 3.4.2.1, 3.6.2.1, 3.9.3, 3.11.3, 3.14.2.1 and 3.15.2.1.
const CONNACK: CodeSet = CodeSet::of(&[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
    0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
]);
const PUBACK: CodeSet = CodeSet::of(&[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);
const PUBREL: CodeSet = CodeSet::of(&[0x00, 0x92]);
const SUBACK: CodeSet = CodeSet::of(&[
    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
]);
const UNSUBACK: CodeSet = CodeSet::of(&[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91]);
const DISCONNECT: CodeSet = CodeSet::of(&[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
    0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
]);
const AUTH: CodeSet = CodeSet::of(&[0x00, 0x18, 0x19]);
