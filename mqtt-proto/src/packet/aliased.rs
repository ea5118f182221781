//! A PUBLISH as a sender with topic aliases puts it on the wire (MQTT 5.0 section 3.3.2.3.4):
//! the message under a Topic Alias of the sender's choosing, with or without its topic name,
//! encoded from the message as it is, with nothing copied or allocated.

use core::num::NonZeroU16;

use bytes::BufMut;

use super::{Body, PacketType, Publish};
use crate::error::EncodeError;
use crate::limits::MAX_REMAINING_LENGTH;
use crate::property::PropertyId;
use crate::wire::{put_binary, put_vbi, vbi_len};

/// A [`Publish`] under a Topic Alias the sender chose ([`Publish::aliased`]): with its topic
/// name, which sets the alias for what follows on the connection, or with an empty one, which
/// uses it. MQTT 5.0 only: aliases do not exist before it.
///
/// ```
/// use core::num::NonZeroU16;
/// use bytes::BytesMut;
/// use mqtt_proto::{Limits, Packet, ProtocolVersion, Publish, QosPid, TopicName};
///
/// let publish = Publish::new(TopicName::new("plant/7/temperature").unwrap(), QosPid::AtMostOnce, "21.5");
/// let alias = NonZeroU16::new(3).unwrap();
/// let mut wire = BytesMut::new();
/// let set = publish.aliased(alias, true).encode(&mut wire).unwrap();
/// let used = publish.aliased(alias, false).encode(&mut wire).unwrap();
/// assert_eq!(used, set - "plant/7/temperature".len());
///
/// let Some(Packet::Publish(first)) = Packet::decode(ProtocolVersion::V5, &mut wire, &Limits::new()).unwrap() else { panic!() };
/// assert_eq!((first.topic(), first.properties.topic_alias), ("plant/7/temperature", Some(alias)));
/// let Some(Packet::Publish(second)) = Packet::decode(ProtocolVersion::V5, &mut wire, &Limits::new()).unwrap() else { panic!() };
/// assert_eq!((second.topic(), second.payload()), ("", &b"21.5"[..]));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Aliased<'a> {
    publish: &'a Publish,
    alias: NonZeroU16,
    with_topic: bool,
}

impl Publish {
    /// This message under Topic Alias `alias`: with its topic name when `with_topic`, with an
    /// empty one otherwise. A Topic Alias of its own is replaced.
    #[must_use]
    pub fn aliased(&self, alias: NonZeroU16, with_topic: bool) -> Aliased<'_> {
        Aliased {
            publish: self,
            alias,
            with_topic,
        }
    }
}

/// A Topic Alias property: its identifier and a two-byte integer.
const ALIAS_PROPERTY_LEN: usize = 3;

impl Aliased<'_> {
    /// The length of the properties: the message's own, its Topic Alias replaced.
    fn properties_len(&self) -> usize {
        let own = &self.publish.properties;
        let replaced = if own.topic_alias.is_some() {
            ALIAS_PROPERTY_LEN
        } else {
            0
        };
        own.encoded_len() - replaced + ALIAS_PROPERTY_LEN
    }

    fn topic(&self) -> &[u8] {
        if self.with_topic {
            self.publish.topic_bytes()
        } else {
            &[]
        }
    }

    fn body_len(&self) -> usize {
        let props = self.properties_len();
        let id = if self.publish.qos_pid.packet_id().is_some() {
            2
        } else {
            0
        };
        2 + self.topic().len() + id + vbi_len(props) + props + self.publish.payload().len()
    }

    /// Its size on the wire.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let body = self.body_len();
        1 + vbi_len(body) + body
    }

    /// Encodes it into `buf`; returns the number of bytes written.
    ///
    /// # Errors
    /// As [`Publish::encode`] for MQTT 5.0; nothing is written then.
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<usize, EncodeError> {
        let needed = self.encode_fixed_header(buf, 0)?;
        self.encode_variable_header(buf);
        buf.put_slice(self.publish.payload());
        Ok(needed)
    }

    /// Encodes it without its payload, as [`Publish::encode_head`] does; returns the number of
    /// bytes written.
    ///
    /// # Errors
    /// As [`encode`](Self::encode).
    pub fn encode_head(&self, buf: &mut impl BufMut) -> Result<usize, EncodeError> {
        let needed = self.encode_fixed_header(buf, self.publish.payload().len())?;
        self.encode_variable_header(buf);
        Ok(needed)
    }

    fn encode_fixed_header(
        &self,
        buf: &mut impl BufMut,
        held_back: usize,
    ) -> Result<usize, EncodeError> {
        // The rules of the message itself; its topic name may be empty here, the alias is set.
        if self.publish.dup && self.publish.qos_pid.packet_id().is_none() {
            return Err(EncodeError::DupWithQoS0);
        }
        self.publish.properties.check()?;
        let body = self.body_len();
        if body > MAX_REMAINING_LENGTH as usize {
            return Err(EncodeError::PacketTooLarge(body));
        }
        let needed = 1 + vbi_len(body) + body - held_back;
        if buf.remaining_mut() < needed {
            return Err(EncodeError::BufferTooSmall {
                needed,
                remaining: buf.remaining_mut(),
            });
        }
        buf.put_u8(((PacketType::Publish as u8) << 4) | self.publish.flags());
        put_vbi(buf, body);
        Ok(needed)
    }

    fn encode_variable_header(&self, buf: &mut impl BufMut) {
        put_binary(buf, self.topic());
        if let Some(id) = self.publish.qos_pid.packet_id() {
            buf.put_u16(id.get());
        }
        put_vbi(buf, self.properties_len());
        buf.put_u8(PropertyId::TopicAlias as u8);
        buf.put_u16(self.alias.get());
        let own = &self.publish.properties;
        if own.topic_alias.is_some() {
            // Rare: a message that came with an alias of its own; written without it.
            let mut others = (**own).clone();
            others.topic_alias = None;
            others.encode_fields(buf);
        } else {
            own.encode_fields(buf);
        }
    }
}
