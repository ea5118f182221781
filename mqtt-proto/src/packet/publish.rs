//! PUBLISH (section 3.3 of both specifications).

use bytes::{BufMut, Bytes};

use super::{Body, PacketType, packet_methods, read_packet_id};
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::properties::{PropertyBox, PublishProperties};
use crate::qos::{QoS, QosPid};
use crate::topic::{TopicError, TopicName, validate_name};
use crate::version::ProtocolVersion;
use crate::wire::{Reader, put_binary, vbi_len};

/// PUBLISH: an application message.
///
/// A decoded PUBLISH keeps its frame as one shared buffer: the topic and the payload are views
/// into it, and taking them out ([`topic_name`](Self::topic_name),
/// [`payload_bytes`](Self::payload_bytes), [`into_parts`](Self::into_parts)) slices that buffer
/// without copying.
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
///
/// let Some(Packet::Publish(decoded)) = Packet::decode(ProtocolVersion::V5, &mut buf, &Limits::new()).unwrap()
/// else { panic!() };
/// assert_eq!(decoded.topic(), "a/b");
/// assert_eq!(decoded.payload(), b"hi");
/// assert_eq!(decoded, publish);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Publish {
    /// DUP: this may be a redelivery; never set at QoS 0 (\[MQTT-3.3.1-2\]).
    pub dup: bool,
    /// The QoS and, for QoS 1 and 2, the packet identifier.
    pub qos_pid: QosPid,
    /// RETAIN.
    pub retain: bool,
    /// MQTT 5.0 properties; not written for 3.x.
    pub properties: PropertyBox<PublishProperties>,
    content: Content,
}

/// Where the topic and the payload live.
#[derive(Clone)]
enum Content {
    /// Given separately, as when the application builds a message.
    Parts { topic: TopicName, payload: Bytes },
    /// One received frame: `[topic_start..topic_end]` is the validated topic name and
    /// `[payload_start..]` the payload. A frame is at most 268,435,460 bytes: `u32` offsets do.
    Frame {
        frame: Bytes,
        topic_start: u32,
        topic_end: u32,
        payload_start: u32,
    },
}

impl Publish {
    /// A PUBLISH without DUP, RETAIN or properties.
    #[must_use]
    pub fn new(topic: TopicName, qos_pid: QosPid, payload: impl Into<Bytes>) -> Self {
        Self {
            dup: false,
            qos_pid,
            retain: false,
            properties: PropertyBox::default(),
            content: Content::Parts {
                topic,
                payload: payload.into(),
            },
        }
    }

    /// The QoS.
    #[must_use]
    pub fn qos(&self) -> QoS {
        self.qos_pid.qos()
    }

    /// The topic name; empty only in an MQTT 5.0 PUBLISH that names its topic by a Topic Alias.
    #[must_use]
    pub fn topic(&self) -> &str {
        // Validated when decoded or built; the fallback is never taken.
        core::str::from_utf8(self.topic_bytes()).unwrap_or_default()
    }

    /// The topic name as UTF-8 bytes.
    #[inline]
    #[must_use]
    pub fn topic_bytes(&self) -> &[u8] {
        match &self.content {
            Content::Parts { topic, .. } => topic.as_bytes(),
            Content::Frame {
                frame,
                topic_start,
                topic_end,
                ..
            } => frame
                .get(*topic_start as usize..*topic_end as usize)
                .unwrap_or_default(),
        }
    }

    /// The topic name, sharing the received buffer.
    #[must_use]
    pub fn topic_name(&self) -> TopicName {
        match &self.content {
            Content::Parts { topic, .. } => topic.clone(),
            Content::Frame {
                frame,
                topic_start,
                topic_end,
                ..
            } => TopicName::from_validated(frame.slice(*topic_start as usize..*topic_end as usize)),
        }
    }

    /// The application message.
    #[inline]
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        match &self.content {
            Content::Parts { payload, .. } => payload,
            Content::Frame {
                frame,
                payload_start,
                ..
            } => frame.get(*payload_start as usize..).unwrap_or_default(),
        }
    }

    /// The application message, sharing the received buffer.
    #[must_use]
    pub fn payload_bytes(&self) -> Bytes {
        match &self.content {
            Content::Parts { payload, .. } => payload.clone(),
            Content::Frame {
                frame,
                payload_start,
                ..
            } => frame.slice(*payload_start as usize..),
        }
    }

    /// The topic name and the payload, sharing the received buffer.
    #[must_use]
    pub fn into_parts(self) -> (TopicName, Bytes) {
        match self.content {
            Content::Parts { topic, payload } => (topic, payload),
            Content::Frame {
                mut frame,
                topic_start,
                topic_end,
                payload_start,
            } => {
                let payload = frame.split_off(payload_start as usize);
                frame.truncate(topic_end as usize);
                bytes::Buf::advance(&mut frame, topic_start as usize);
                (TopicName::from_validated(frame), payload)
            }
        }
    }

    /// Replaces the topic name, as a client does when it resolves a Topic Alias.
    pub fn set_topic(&mut self, topic: TopicName) {
        let payload = self.payload_bytes();
        self.content = Content::Parts { topic, payload };
    }

    /// Replaces the payload.
    pub fn set_payload(&mut self, payload: impl Into<Bytes>) {
        let topic = self.topic_name();
        self.content = Content::Parts {
            topic,
            payload: payload.into(),
        };
    }

    /// Encodes the packet for `version` without its payload: the fixed header (whose remaining
    /// length counts the payload) and the variable header. The payload's bytes,
    /// [`payload_bytes`](Self::payload_bytes), complete the packet; a vectored write can send
    /// them from where they are instead of copying them. Returns the number of bytes written.
    ///
    /// # Errors
    /// As [`encode`](Self::encode); nothing is written then.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use mqtt_proto::{ProtocolVersion, Publish, QosPid, TopicName};
    ///
    /// let publish = Publish::new(TopicName::new("a/b").unwrap(), QosPid::AtMostOnce, "hi");
    /// let mut head = BytesMut::new();
    /// assert_eq!(publish.encode_head(ProtocolVersion::V3_1_1, &mut head).unwrap(), 7);
    /// head.extend_from_slice(&publish.payload_bytes());
    /// let mut whole = BytesMut::new();
    /// publish.encode(ProtocolVersion::V3_1_1, &mut whole).unwrap();
    /// assert_eq!(head, whole);
    /// ```
    pub fn encode_head(
        &self,
        version: ProtocolVersion,
        buf: &mut impl BufMut,
    ) -> Result<usize, EncodeError> {
        let needed = super::encode_fixed_header(self, version, buf, self.payload().len())?;
        self.encode_variable_header(version, buf);
        Ok(needed)
    }

    /// The topic name, the packet identifier and the properties.
    #[inline]
    fn encode_variable_header(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        put_binary(buf, self.topic_bytes());
        if let Some(id) = self.qos_pid.packet_id() {
            buf.put_u16(id.get());
        }
        if version.is_v5() {
            self.properties.encode(self.properties.encoded_len(), buf);
        }
    }
}

impl PartialEq for Publish {
    fn eq(&self, other: &Self) -> bool {
        self.dup == other.dup
            && self.qos_pid == other.qos_pid
            && self.retain == other.retain
            && self.topic_bytes() == other.topic_bytes()
            && self.payload() == other.payload()
            && self.properties == other.properties
    }
}

impl Eq for Publish {}

/// Shows bytes as a byte string literal, as `Bytes` does.
struct ByteStr<'a>(&'a [u8]);

impl core::fmt::Debug for ByteStr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

#[expect(
    clippy::missing_fields_in_debug,
    reason = "the topic and payload are shown instead of the buffer they live in"
)]
impl core::fmt::Debug for Publish {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Publish")
            .field("dup", &self.dup)
            .field("qos_pid", &self.qos_pid)
            .field("retain", &self.retain)
            .field("topic", &self.topic())
            .field("payload", &ByteStr(self.payload()))
            .field("properties", &self.properties)
            .finish()
    }
}

impl Body for Publish {
    const TYPE: PacketType = PacketType::Publish;

    #[inline]
    fn flags(&self) -> u8 {
        (u8::from(self.dup) << 3) | ((self.qos_pid.qos() as u8) << 1) | u8::from(self.retain)
    }

    #[inline]
    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError> {
        if self.dup && self.qos_pid == QosPid::AtMostOnce {
            return Err(EncodeError::DupWithQoS0);
        }
        let empty = self.topic_bytes().is_empty();
        if version.is_v5() {
            if empty && self.properties.topic_alias.is_none() {
                return Err(EncodeError::EmptyTopicWithoutAlias);
            }
            self.properties.check()?;
        } else if empty {
            return Err(EncodeError::EmptyTopicWithoutAlias);
        }
        Ok(())
    }

    #[inline]
    fn body_len(&self, version: ProtocolVersion) -> usize {
        let mut len = 2 + self.topic_bytes().len() + self.payload().len();
        if self.qos_pid.packet_id().is_some() {
            len += 2;
        }
        if version.is_v5() {
            let props = self.properties.encoded_len();
            len += vbi_len(props) + props;
        }
        len
    }

    #[inline]
    fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        self.encode_variable_header(version, buf);
        buf.put_slice(self.payload());
    }

    #[inline]
    fn decode_body(
        version: ProtocolVersion,
        flags: u8,
        body: Bytes,
        start: usize,
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
        let mut r = Reader::at(&body, start);
        let topic_len = usize::from(r.u16()?);
        let topic_start = r.position();
        // [MQTT-3.3.2-2]: no wildcards, and the rules of every string.
        validate_name(r.skip(topic_len)?)?;
        let topic_end = r.position();
        let qos_pid = match qos {
            QoS::AtMostOnce => QosPid::AtMostOnce,
            QoS::AtLeastOnce => QosPid::AtLeastOnce(read_packet_id(&mut r)?),
            QoS::ExactlyOnce => QosPid::ExactlyOnce(read_packet_id(&mut r)?),
        };
        let properties = if version.is_v5() {
            let properties = PublishProperties::decode(&mut r, PacketType::Publish, limits)?;
            // Section 3.3.2.1: an empty topic name needs a Topic Alias.
            if topic_len == 0 && properties.topic_alias.is_none() {
                return Err(DecodeError::EmptyTopicWithoutAlias);
            }
            properties.into()
        } else {
            // [MQTT-4.7.3-1]
            if topic_len == 0 {
                return Err(DecodeError::InvalidTopic(TopicError::Empty));
            }
            PropertyBox::default()
        };
        let payload_start = r.position();
        // Offsets within a frame whose size came from a remaining length: they fit in `u32`.
        let content = Content::Frame {
            frame: body,
            topic_start: topic_start as u32,
            topic_end: topic_end as u32,
            payload_start: payload_start as u32,
        };
        Ok(Self {
            dup,
            qos_pid,
            retain,
            properties,
            content,
        })
    }
}

packet_methods!(Publish);
