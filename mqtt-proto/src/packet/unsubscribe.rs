//! UNSUBSCRIBE (section 3.10 of both specifications).

use alloc::vec::Vec;

use bytes::{BufMut, Bytes};

use super::{Body, PacketType, packet_methods, read_packet_id};
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::properties::{PropertyBox, UnsubscribeProperties};
use crate::qos::PacketId;
use crate::topic::TopicFilter;
use crate::version::ProtocolVersion;
use crate::wire::{Reader, put_binary, vbi_len};

/// UNSUBSCRIBE: fixed header flags 0b0010 (\[MQTT-3.10.1-1\]), at least one filter
/// (\[MQTT-3.10.3-2\]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unsubscribe {
    /// The packet identifier.
    pub packet_id: PacketId,
    /// The filters to remove, in order.
    pub filters: Vec<TopicFilter>,
    /// MQTT 5.0 properties; not written for 3.x.
    pub properties: PropertyBox<UnsubscribeProperties>,
}

impl Unsubscribe {
    /// An UNSUBSCRIBE without properties.
    #[must_use]
    pub fn new(packet_id: PacketId, filters: Vec<TopicFilter>) -> Self {
        Self {
            packet_id,
            filters,
            properties: PropertyBox::default(),
        }
    }
}

impl Body for Unsubscribe {
    const TYPE: PacketType = PacketType::Unsubscribe;

    #[inline]
    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError> {
        if self.filters.is_empty() {
            return Err(EncodeError::EmptyPayload(PacketType::Unsubscribe));
        }
        if version.is_v5() {
            for f in &self.filters {
                // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
                f.check_shared()?;
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
        len + self.filters.iter().map(|f| 2 + f.len()).sum::<usize>()
    }

    #[inline]
    fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        buf.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.encode(self.properties.encoded_len(), buf);
        }
        for f in &self.filters {
            put_binary(buf, f.as_bytes());
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
            UnsubscribeProperties::decode(&mut r, PacketType::Unsubscribe, limits)?
        } else {
            UnsubscribeProperties::default()
        };
        let mut filters = Vec::new();
        while !r.is_empty() {
            if filters.len() >= limits.max_topic_filters {
                return Err(DecodeError::TooManyEntries {
                    packet_type: PacketType::Unsubscribe,
                    max: limits.max_topic_filters,
                });
            }
            let filter = r.topic_filter()?;
            if version.is_v5() {
                // [MQTT-4.8.2-1], [MQTT-4.8.2-2]; 3.x has no shared subscriptions.
                filter.check_shared()?;
            }
            filters.push(filter);
        }
        // [MQTT-3.10.3-2]
        if filters.is_empty() {
            return Err(DecodeError::EmptyPayload(PacketType::Unsubscribe));
        }
        Ok(Self {
            packet_id,
            filters,
            properties: properties.into(),
        })
    }
}

packet_methods!(Unsubscribe);
