//! SUBSCRIBE and its subscription options (section 3.8 of both specifications).

use alloc::vec::Vec;

use bytes::{BufMut, Bytes};

use super::{Body, PacketType, packet_methods, read_packet_id};
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::properties::{PropertyBox, SubscribeProperties};
use crate::qos::{PacketId, QoS};
use crate::topic::TopicFilter;
use crate::version::ProtocolVersion;
use crate::wire::{Reader, put_binary, vbi_len};

/// When the server sends retained messages on subscribing (MQTT 5.0, section 3.8.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum RetainHandling {
    /// 0: send retained messages at the time of the subscribe.
    #[default]
    SendAtSubscribe = 0,
    /// 1: send them only if the subscription did not already exist.
    SendIfNew = 1,
    /// 2: do not send them.
    DoNotSend = 2,
}

/// The subscription options byte (section 3.8.3.1). Only the QoS exists before MQTT 5.0; the
/// other options are not written for 3.x.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct SubscribeOptions {
    /// The maximum QoS the server may deliver with.
    pub qos: QoS,
    /// Do not receive this client's own publications (not allowed on shared subscriptions).
    pub no_local: bool,
    /// Keep the RETAIN flag of forwarded messages as published.
    pub retain_as_published: bool,
    /// When to send retained messages.
    pub retain_handling: RetainHandling,
}

impl SubscribeOptions {
    /// Options with maximum QoS `qos` and the defaults of everything else.
    #[must_use]
    pub fn new(qos: QoS) -> Self {
        Self {
            qos,
            ..Self::default()
        }
    }

    #[inline]
    fn to_byte(self, version: ProtocolVersion) -> u8 {
        let mut b = self.qos as u8;
        if version.is_v5() {
            b |= u8::from(self.no_local) << 2;
            b |= u8::from(self.retain_as_published) << 3;
            b |= (self.retain_handling as u8) << 4;
        }
        b
    }

    fn from_byte(version: ProtocolVersion, b: u8) -> Result<Self, DecodeError> {
        // [MQTT-3.8.3-5] (5.0: bits 6 and 7), [MQTT-3-8.3-4] (3.1.1: bits 2 to 7)
        let reserved = if version.is_v5() {
            0b1100_0000
        } else {
            0b1111_1100
        };
        if b & reserved != 0 {
            return Err(DecodeError::InvalidSubscriptionOptions(b));
        }
        // [MQTT-3-8.3-4] (3.1.1: Malformed); section 3.8.3.1 (5.0: a Protocol Error)
        let qos = QoS::try_from(b & 0b11).map_err(|_| {
            if version.is_v5() {
                DecodeError::InvalidSubscriptionQoS
            } else {
                DecodeError::InvalidQoS
            }
        })?;
        let retain_handling = match (b >> 4) & 0b11 {
            0 => RetainHandling::SendAtSubscribe,
            1 => RetainHandling::SendIfNew,
            2 => RetainHandling::DoNotSend,
            _ => return Err(DecodeError::InvalidRetainHandling),
        };
        Ok(Self {
            qos,
            no_local: b & 0b0100 != 0,
            retain_as_published: b & 0b1000 != 0,
            retain_handling,
        })
    }
}

/// One topic filter of a SUBSCRIBE with its options.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Subscription {
    /// The topic filter.
    pub filter: TopicFilter,
    /// The options.
    pub options: SubscribeOptions,
}

impl Subscription {
    /// A subscription to `filter` with maximum QoS `qos`.
    #[must_use]
    pub fn new(filter: TopicFilter, qos: QoS) -> Self {
        Self {
            filter,
            options: SubscribeOptions::new(qos),
        }
    }
}

/// SUBSCRIBE: fixed header flags 0b0010 (\[MQTT-3.8.1-1\]), at least one filter.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{PacketId, ProtocolVersion, QoS, Subscribe, Subscription, TopicFilter};
///
/// let sub = Subscribe::new(
///     PacketId::new(1).unwrap(),
///     vec![Subscription::new(TopicFilter::new("a/#").unwrap(), QoS::AtLeastOnce)],
/// );
/// let mut buf = BytesMut::new();
/// sub.encode(ProtocolVersion::V3_1_1, &mut buf).unwrap();
/// assert_eq!(&buf[..], b"\x82\x08\x00\x01\x00\x03a/#\x01");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Subscribe {
    /// The packet identifier.
    pub packet_id: PacketId,
    /// The filters and their options, in order.
    pub subscriptions: Vec<Subscription>,
    /// MQTT 5.0 properties; not written for 3.x.
    pub properties: PropertyBox<SubscribeProperties>,
}

impl Subscribe {
    /// A SUBSCRIBE without properties.
    #[must_use]
    pub fn new(packet_id: PacketId, subscriptions: Vec<Subscription>) -> Self {
        Self {
            packet_id,
            subscriptions,
            properties: PropertyBox::default(),
        }
    }
}

impl Body for Subscribe {
    const TYPE: PacketType = PacketType::Subscribe;

    #[inline]
    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError> {
        if self.subscriptions.is_empty() {
            return Err(EncodeError::EmptyPayload(PacketType::Subscribe));
        }
        if version.is_v5() {
            for s in &self.subscriptions {
                // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
                s.filter.check_shared()?;
                // [MQTT-3.8.3-4]
                if s.options.no_local && s.filter.is_shared() {
                    return Err(EncodeError::NoLocalOnSharedSubscription);
                }
            }
            self.properties.check()?;
        }
        Ok(())
    }

    #[inline]
    fn body_len(&self, version: ProtocolVersion) -> usize {
        let mut len = 2;
        if version.is_v5() {
            let props = self.properties.encoded_len();
            len += vbi_len(props) + props;
        }
        len + self
            .subscriptions
            .iter()
            .map(|s| 3 + s.filter.len())
            .sum::<usize>()
    }

    #[inline]
    fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        buf.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.encode(self.properties.encoded_len(), buf);
        }
        for s in &self.subscriptions {
            put_binary(buf, s.filter.as_bytes());
            buf.put_u8(s.options.to_byte(version));
        }
    }

    fn decode_body(
        version: ProtocolVersion,
        _flags: u8,
        body: Bytes,
        start: usize,
        limits: &Limits,
    ) -> Result<Self, DecodeError> {
        let mut r = Reader::at(&body, start);
        let packet_id = read_packet_id(&mut r)?;
        let properties = if version.is_v5() {
            SubscribeProperties::decode(&mut r, PacketType::Subscribe, limits)?
        } else {
            SubscribeProperties::default()
        };
        // Each entry takes at least four bytes; a few slots avoid the first regrowths.
        let mut subscriptions = Vec::with_capacity((r.remaining() / 4).min(8));
        while !r.is_empty() {
            if subscriptions.len() >= limits.max_topic_filters {
                return Err(DecodeError::TooManyEntries {
                    packet_type: PacketType::Subscribe,
                    max: limits.max_topic_filters,
                });
            }
            let filter = r.topic_filter()?;
            if version.is_v5() {
                // [MQTT-4.8.2-1], [MQTT-4.8.2-2]; 3.x has no shared subscriptions.
                filter.check_shared()?;
            }
            let options = SubscribeOptions::from_byte(version, r.u8()?)?;
            // [MQTT-3.8.3-4]
            if version.is_v5() && options.no_local && filter.is_shared() {
                return Err(DecodeError::NoLocalOnSharedSubscription);
            }
            subscriptions.push(Subscription { filter, options });
        }
        // [MQTT-3.8.3-3] (3.1.1), section 3.8.3 (5.0)
        if subscriptions.is_empty() {
            return Err(DecodeError::EmptyPayload(PacketType::Subscribe));
        }
        Ok(Self {
            packet_id,
            subscriptions,
            properties: properties.into(),
        })
    }
}

packet_methods!(Subscribe);
