//! PUBLISH (section 3.3 of both specifications).

use bytes::{BufMut, Bytes};

use super::{Body, PacketType, packet_methods, read_packet_id};
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::properties::PublishProperties;
use crate::qos::{QoS, QosPid};
use crate::topic::{TopicError, TopicName};
use crate::version::ProtocolVersion;
use crate::wire::{Reader, put_binary, vbi_len};

/// PUBLISH: an application message.
///
/// Decoded topic and payload are slices of the received frame: no copy is made.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{Limits, Packet, PacketId, ProtocolVersion, Publish, QosPid, TopicName};
///
/// let id = PacketId::new(10).unwrap();
/// let publish = Publish::new(TopicName::new("a/b").unwrap(), QosPid::AtLeastOnce(id), "hi");
/// let mut buf = BytesMut::new();
/// publish.encode(ProtocolVersion::V5, &mut buf).unwrap();
/// assert_eq!(&buf[..], b"\x32\x0a\x00\x03a/b\x00\x0a\x00hi");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Publish {
    /// DUP: this may be a redelivery; never set at QoS 0 (\[MQTT-3.3.1-2\]).
    pub dup: bool,
    /// The QoS and, for QoS 1 and 2, the packet identifier.
    pub qos_pid: QosPid,
    /// RETAIN.
    pub retain: bool,
    /// The topic name; empty only in an MQTT 5.0 PUBLISH that carries a Topic Alias.
    pub topic: TopicName,
    /// The application message.
    pub payload: Bytes,
    /// MQTT 5.0 properties; not written for 3.x.
    pub properties: PublishProperties,
}

impl Publish {
    /// A PUBLISH without DUP, RETAIN or properties.
    #[must_use]
    pub fn new(topic: TopicName, qos_pid: QosPid, payload: impl Into<Bytes>) -> Self {
        Self {
            dup: false,
            qos_pid,
            retain: false,
            topic,
            payload: payload.into(),
            properties: PublishProperties::default(),
        }
    }

    /// The QoS.
    #[must_use]
    pub fn qos(&self) -> QoS {
        self.qos_pid.qos()
    }
}

impl Body for Publish {
    const TYPE: PacketType = PacketType::Publish;

    fn flags(&self) -> u8 {
        (u8::from(self.dup) << 3) | ((self.qos_pid.qos() as u8) << 1) | u8::from(self.retain)
    }

    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError> {
        if self.dup && self.qos_pid == QosPid::AtMostOnce {
            return Err(EncodeError::DupWithQoS0);
        }
        if version.is_v5() {
            if self.topic.is_empty() && self.properties.topic_alias.is_none() {
                return Err(EncodeError::EmptyTopicWithoutAlias);
            }
            self.properties.check()?;
        } else if self.topic.is_empty() {
            return Err(EncodeError::EmptyTopicWithoutAlias);
        }
        Ok(())
    }

    fn body_len(&self, version: ProtocolVersion) -> usize {
        let mut len = 2 + self.topic.len() + self.payload.len();
        if self.qos_pid.packet_id().is_some() {
            len += 2;
        }
        if version.is_v5() {
            let props = self.properties.encoded_len();
            len += vbi_len(props) + props;
        }
        len
    }

    fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        put_binary(buf, self.topic.as_bytes());
        if let Some(id) = self.qos_pid.packet_id() {
            buf.put_u16(id.get());
        }
        if version.is_v5() {
            self.properties.encode(self.properties.encoded_len(), buf);
        }
        buf.put_slice(&self.payload);
    }

    fn decode_body(
        version: ProtocolVersion,
        flags: u8,
        mut r: Reader,
        limits: &Limits,
    ) -> Result<Self, DecodeError> {
        let dup = flags & 0b1000 != 0;
        let retain = flags & 0b0001 != 0;
        // [MQTT-3.3.1-4]
        let qos = QoS::try_from((flags >> 1) & 0b11).map_err(|_| DecodeError::InvalidQoS)?;
        // [MQTT-3.3.1-2]
        if dup && qos == QoS::AtMostOnce {
            return Err(DecodeError::DupWithQoS0);
        }
        // [MQTT-3.3.2-2]: no wildcards; checked by `TopicName`.
        let topic = r.topic_name()?;
        let qos_pid = match qos {
            QoS::AtMostOnce => QosPid::AtMostOnce,
            QoS::AtLeastOnce => QosPid::AtLeastOnce(read_packet_id(&mut r)?),
            QoS::ExactlyOnce => QosPid::ExactlyOnce(read_packet_id(&mut r)?),
        };
        let properties = if version.is_v5() {
            let properties = PublishProperties::decode(&mut r, PacketType::Publish, limits)?;
            // Section 3.3.2.1: an empty topic name needs a Topic Alias.
            if topic.is_empty() && properties.topic_alias.is_none() {
                return Err(DecodeError::EmptyTopicWithoutAlias);
            }
            properties
        } else {
            // [MQTT-4.7.3-1]
            if topic.is_empty() {
                return Err(DecodeError::InvalidTopic(TopicError::Empty));
            }
            PublishProperties::default()
        };
        let payload = r.rest();
        Ok(Self {
            dup,
            qos_pid,
            retain,
            topic,
            payload,
            properties,
        })
    }
}

packet_methods!(Publish);
