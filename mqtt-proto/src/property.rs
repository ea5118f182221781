//! MQTT 5.0 properties (section 2.2.2): identifiers, value types and the generated per-packet lists.

use core::num::{NonZeroU16, NonZeroU32};

use bytes::{BufMut, Bytes};

use crate::error::{DecodeError, EncodeError};
use crate::qos::QoS;
use crate::string::MqttString;
use crate::topic::TopicName;
use crate::wire::{MAX_VARIABLE_BYTE_INTEGER, Reader, check_binary, put_binary, put_vbi, vbi_len};

macro_rules! property_ids {
    ($($(#[$doc:meta])* $name:ident = $value:literal,)*) => {
        /// A property identifier (section 2.2.2.2).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        #[repr(u8)]
        pub enum PropertyId {
            $($(#[$doc])* $name = $value,)*
        }

        impl PropertyId {
            /// The property with identifier `id`, if MQTT 5.0 defines one.
            #[must_use]
            pub const fn from_u32(id: u32) -> Option<Self> {
                match id {
                    $($value => Some(Self::$name),)*
                    _ => None,
                }
            }
        }
    };
}

property_ids! {
    /// 0x01 Payload Format Indicator: byte; PUBLISH, will.
    PayloadFormatIndicator = 0x01,
    /// 0x02 Message Expiry Interval: four byte integer; PUBLISH, will.
    MessageExpiryInterval = 0x02,
    /// 0x03 Content Type: UTF-8 string; PUBLISH, will.
    ContentType = 0x03,
    /// 0x08 Response Topic: UTF-8 string (a topic name); PUBLISH, will.
    ResponseTopic = 0x08,
    /// 0x09 Correlation Data: binary data; PUBLISH, will.
    CorrelationData = 0x09,
    /// 0x0B Subscription Identifier: variable byte integer; PUBLISH, SUBSCRIBE.
    SubscriptionIdentifier = 0x0B,
    /// 0x11 Session Expiry Interval: four byte integer; CONNECT, CONNACK, DISCONNECT.
    SessionExpiryInterval = 0x11,
    /// 0x12 Assigned Client Identifier: UTF-8 string; CONNACK.
    AssignedClientIdentifier = 0x12,
    /// 0x13 Server Keep Alive: two byte integer; CONNACK.
    ServerKeepAlive = 0x13,
    /// 0x15 Authentication Method: UTF-8 string; CONNECT, CONNACK, AUTH.
    AuthenticationMethod = 0x15,
    /// 0x16 Authentication Data: binary data; CONNECT, CONNACK, AUTH.
    AuthenticationData = 0x16,
    /// 0x17 Request Problem Information: byte; CONNECT.
    RequestProblemInformation = 0x17,
    /// 0x18 Will Delay Interval: four byte integer; will.
    WillDelayInterval = 0x18,
    /// 0x19 Request Response Information: byte; CONNECT.
    RequestResponseInformation = 0x19,
    /// 0x1A Response Information: UTF-8 string; CONNACK.
    ResponseInformation = 0x1A,
    /// 0x1C Server Reference: UTF-8 string; CONNACK, DISCONNECT.
    ServerReference = 0x1C,
    /// 0x1F Reason String: UTF-8 string; CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK,
    /// UNSUBACK, DISCONNECT, AUTH.
    ReasonString = 0x1F,
    /// 0x21 Receive Maximum: two byte integer; CONNECT, CONNACK.
    ReceiveMaximum = 0x21,
    /// 0x22 Topic Alias Maximum: two byte integer; CONNECT, CONNACK.
    TopicAliasMaximum = 0x22,
    /// 0x23 Topic Alias: two byte integer; PUBLISH.
    TopicAlias = 0x23,
    /// 0x24 Maximum QoS: byte; CONNACK.
    MaximumQoS = 0x24,
    /// 0x25 Retain Available: byte; CONNACK.
    RetainAvailable = 0x25,
    /// 0x26 User Property: UTF-8 string pair; every packet with properties, and the will.
    UserProperty = 0x26,
    /// 0x27 Maximum Packet Size: four byte integer; CONNECT, CONNACK.
    MaximumPacketSize = 0x27,
    /// 0x28 Wildcard Subscription Available: byte; CONNACK.
    WildcardSubscriptionAvailable = 0x28,
    /// 0x29 Subscription Identifier Available: byte; CONNACK.
    SubscriptionIdentifierAvailable = 0x29,
    /// 0x2A Shared Subscription Available: byte; CONNACK.
    SharedSubscriptionAvailable = 0x2A,
}

/// The Payload Format Indicator of a PUBLISH or will (section 3.3.2.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PayloadFormat {
    /// 0: unspecified bytes.
    Unspecified = 0,
    /// 1: UTF-8 encoded character data.
    Utf8 = 1,
}

/// A Subscription Identifier: 1 to 268,435,455 (section 3.8.2.1.2).
///
/// ```
/// use mqtt_proto::SubscriptionId;
///
/// assert_eq!(SubscriptionId::new(42).map(SubscriptionId::get), Some(42));
/// assert_eq!(SubscriptionId::new(0), None);
/// assert_eq!(SubscriptionId::new(268_435_456), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriptionId(NonZeroU32);

impl SubscriptionId {
    /// The identifier `value`, or `None` outside 1..=268,435,455.
    #[must_use]
    pub const fn new(value: u32) -> Option<Self> {
        if value > MAX_VARIABLE_BYTE_INTEGER {
            return None;
        }
        match NonZeroU32::new(value) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// The identifier as a number.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

/// A User Property: a name and value pair, kept in the order received.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserProperty {
    /// The name.
    pub name: MqttString,
    /// The value.
    pub value: MqttString,
}

impl UserProperty {
    /// A user property from a name and a value.
    #[must_use]
    pub fn new(name: MqttString, value: MqttString) -> Self {
        Self { name, value }
    }
}

/// How one property value type is read, measured, checked and written.
pub(crate) trait PropertyValue: Sized {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError>;
    fn len(&self) -> usize;
    fn write(&self, buf: &mut impl BufMut);
    fn check(&self, _id: PropertyId) -> Result<(), EncodeError> {
        Ok(())
    }
}

fn flag(r: &mut Reader, id: PropertyId) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::InvalidPropertyValue(id)),
    }
}

impl PropertyValue for bool {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        flag(r, id)
    }
    fn len(&self) -> usize {
        1
    }
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u8(u8::from(*self));
    }
}

impl PropertyValue for PayloadFormat {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        Ok(if flag(r, id)? {
            Self::Utf8
        } else {
            Self::Unspecified
        })
    }
    fn len(&self) -> usize {
        1
    }
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u8(*self as u8);
    }
}

/// Maximum QoS: 0 or 1 only; a server that supports QoS 2 leaves the property out.
impl PropertyValue for QoS {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        Ok(if flag(r, id)? {
            Self::AtLeastOnce
        } else {
            Self::AtMostOnce
        })
    }
    fn len(&self) -> usize {
        1
    }
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u8(*self as u8);
    }
    fn check(&self, id: PropertyId) -> Result<(), EncodeError> {
        match self {
            Self::ExactlyOnce => Err(EncodeError::InvalidPropertyValue(id)),
            _ => Ok(()),
        }
    }
}

impl PropertyValue for u16 {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        r.u16()
    }
    fn len(&self) -> usize {
        2
    }
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u16(*self);
    }
}

impl PropertyValue for NonZeroU16 {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        NonZeroU16::new(r.u16()?).ok_or(DecodeError::InvalidPropertyValue(id))
    }
    fn len(&self) -> usize {
        2
    }
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u16(self.get());
    }
}

impl PropertyValue for u32 {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        r.u32()
    }
    fn len(&self) -> usize {
        4
    }
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u32(*self);
    }
}

impl PropertyValue for NonZeroU32 {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        NonZeroU32::new(r.u32()?).ok_or(DecodeError::InvalidPropertyValue(id))
    }
    fn len(&self) -> usize {
        4
    }
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u32(self.get());
    }
}

impl PropertyValue for SubscriptionId {
    fn read(r: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        Self::new(r.vbi()?).ok_or(DecodeError::InvalidPropertyValue(id))
    }
    fn len(&self) -> usize {
        vbi_len(self.get() as usize)
    }
    fn write(&self, buf: &mut impl BufMut) {
        put_vbi(buf, self.get() as usize);
    }
}

impl PropertyValue for MqttString {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        r.string()
    }
    fn len(&self) -> usize {
        2 + self.len()
    }
    fn write(&self, buf: &mut impl BufMut) {
        put_binary(buf, self.as_bytes());
    }
}

/// Response Topic: a topic name, so without wildcards (\[MQTT-3.3.2-14\]).
impl PropertyValue for TopicName {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        Ok(TopicName::from_bytes(r.binary()?)?)
    }
    fn len(&self) -> usize {
        2 + self.len()
    }
    fn write(&self, buf: &mut impl BufMut) {
        put_binary(buf, self.as_bytes());
    }
    fn check(&self, id: PropertyId) -> Result<(), EncodeError> {
        if self.is_empty() {
            return Err(EncodeError::InvalidPropertyValue(id));
        }
        Ok(())
    }
}

impl PropertyValue for Bytes {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        r.binary()
    }
    fn len(&self) -> usize {
        2 + <[u8]>::len(self)
    }
    fn write(&self, buf: &mut impl BufMut) {
        put_binary(buf, self);
    }
    fn check(&self, id: PropertyId) -> Result<(), EncodeError> {
        check_binary(
            match id {
                PropertyId::CorrelationData => "correlation data",
                _ => "authentication data",
            },
            self,
        )
    }
}

impl PropertyValue for UserProperty {
    fn read(r: &mut Reader, _: PropertyId) -> Result<Self, DecodeError> {
        Ok(Self {
            name: r.string()?,
            value: r.string()?,
        })
    }
    fn len(&self) -> usize {
        4 + self.name.len() + self.value.len()
    }
    fn write(&self, buf: &mut impl BufMut) {
        put_binary(buf, self.name.as_bytes());
        put_binary(buf, self.value.as_bytes());
    }
}

/// Defines a property list: the struct, and its decoding, measuring, checking and encoding.
///
/// Single properties are `Option`s and decoding a second one is a Protocol Error; repeated ones
/// are `Vec`s in wire order, bounded by a field of [`Limits`](crate::Limits).
macro_rules! property_list {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fdoc:meta])* $field:ident: $ty:ty = $id:ident,)*
        }
        repeated {
            $($(#[$rdoc:meta])* $rfield:ident: $rty:ty = $rid:ident, max $limit:ident,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            $($(#[$fdoc])* pub $field: Option<$ty>,)*
            $($(#[$rdoc])* pub $rfield: alloc::vec::Vec<$rty>,)*
        }

        impl $crate::properties::PropertyList for $name {
            fn empty() -> &'static Self {
                static EMPTY: $name = $name {
                    $($field: None,)*
                    $($rfield: alloc::vec::Vec::new(),)*
                };
                &EMPTY
            }

            fn is_empty(&self) -> bool {
                $name::is_empty(self)
            }
        }

        impl $crate::properties::private::Sealed for $name {}

        impl $name {
            /// Whether no property is set.
            #[inline]
            #[must_use]
            pub fn is_empty(&self) -> bool {
                true $(&& self.$field.is_none())* $(&& self.$rfield.is_empty())*
            }

            /// The encoded length of the properties, without the property length prefix.
            #[inline]
            pub(crate) fn encoded_len(&self) -> usize {
                let mut len = 0;
                $(if let Some(v) = &self.$field {
                    len += 1 + $crate::property::PropertyValue::len(v);
                })*
                $(for v in &self.$rfield {
                    len += 1 + $crate::property::PropertyValue::len(v);
                })*
                len
            }

            /// Checks every value before anything is written.
            #[inline]
            pub(crate) fn check(&self) -> Result<(), $crate::error::EncodeError> {
                $(if let Some(v) = &self.$field {
                    $crate::property::PropertyValue::check(v, $crate::property::PropertyId::$id)?;
                })*
                $(for v in &self.$rfield {
                    $crate::property::PropertyValue::check(v, $crate::property::PropertyId::$rid)?;
                })*
                Ok(())
            }

            /// Writes the property length and the properties; `len` is [`Self::encoded_len`].
            pub(crate) fn encode(&self, len: usize, buf: &mut impl bytes::BufMut) {
                $crate::wire::put_vbi(buf, len);
                self.encode_fields(buf);
            }

            /// Writes the properties without their length prefix.
            #[inline]
            pub(crate) fn encode_fields(&self, buf: &mut impl bytes::BufMut) {
                $(if let Some(v) = &self.$field {
                    buf.put_u8($crate::property::PropertyId::$id as u8);
                    $crate::property::PropertyValue::write(v, buf);
                })*
                $(for v in &self.$rfield {
                    buf.put_u8($crate::property::PropertyId::$rid as u8);
                    $crate::property::PropertyValue::write(v, buf);
                })*
            }

            /// Reads the property length and the properties of a packet of type `packet_type`.
            pub(crate) fn decode(
                r: &mut $crate::wire::Reader,
                packet_type: $crate::packet::PacketType,
                limits: &$crate::limits::Limits,
            ) -> Result<Self, $crate::error::DecodeError> {
                use $crate::error::DecodeError;
                use $crate::property::{PropertyId, PropertyValue};

                let len = r.vbi()? as usize;
                let mut props = Self::default();
                if len == 0 {
                    return Ok(props);
                }
                let mut r = r.sub(len)?;
                while !r.is_empty() {
                    let raw = r.vbi()?;
                    let id = PropertyId::from_u32(raw).ok_or(DecodeError::UnknownProperty(raw))?;
                    match id {
                        $(PropertyId::$id => {
                            if props.$field.is_some() {
                                return Err(DecodeError::DuplicateProperty(id));
                            }
                            props.$field = Some(<$ty as PropertyValue>::read(&mut r, id)?);
                        })*
                        $(PropertyId::$rid => {
                            if props.$rfield.len() >= limits.$limit {
                                return Err(DecodeError::TooManyProperties {
                                    property: id,
                                    max: limits.$limit,
                                });
                            }
                            props.$rfield.push(<$rty as PropertyValue>::read(&mut r, id)?);
                        })*
                        _ => return Err(DecodeError::PropertyNotAllowed { property: id, packet_type }),
                    }
                }
                Ok(props)
            }
        }
    };
}

pub(crate) use property_list;
