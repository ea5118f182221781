//! CONNECT (section 3.1 of both specifications).

use bytes::{BufMut, Bytes};

use super::{Body, PacketType, packet_methods};
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::properties::{ConnectProperties, PropertyBox, WillProperties};
use crate::qos::QoS;
use crate::string::MqttString;
use crate::topic::TopicName;
use crate::version::ProtocolVersion;
use crate::wire::{Reader, check_binary, put_binary, vbi_len};

/// CONNECT: the first packet a client sends.
///
/// The protocol version is not a field: it is the `version` the packet is encoded or decoded with.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{Connect, MqttString, ProtocolVersion};
///
/// let mut connect = Connect::new(MqttString::new("client-1").unwrap());
/// connect.keep_alive = 30;
/// let mut buf = BytesMut::new();
/// connect.encode(ProtocolVersion::V3_1_1, &mut buf).unwrap();
/// assert_eq!(&buf[..10], b"\x10\x14\x00\x04MQTT\x04\x02");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connect {
    /// Clean Session (3.x) or Clean Start (5.0).
    pub clean_start: bool,
    /// Keep alive in seconds; 0 turns the mechanism off.
    pub keep_alive: u16,
    /// The client identifier; empty asks the server to assign one.
    pub client_id: MqttString,
    /// The will message.
    pub will: Option<LastWill>,
    /// The user name.
    pub username: Option<MqttString>,
    /// The password: binary data.
    pub password: Option<Bytes>,
    /// MQTT 5.0 properties; not written for 3.x.
    pub properties: PropertyBox<ConnectProperties>,
}

impl Connect {
    /// A CONNECT with Clean Start set, keep alive 60 seconds and nothing else.
    #[must_use]
    pub fn new(client_id: MqttString) -> Self {
        Self {
            clean_start: true,
            keep_alive: 60,
            client_id,
            will: None,
            username: None,
            password: None,
            properties: PropertyBox::default(),
        }
    }
}

/// The will message the server publishes when the connection ends abnormally.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LastWill {
    /// The topic the will is published to.
    pub topic: TopicName,
    /// The payload: binary data, at most 65,535 bytes.
    pub payload: Bytes,
    /// The QoS of the will.
    pub qos: QoS,
    /// Whether the will is retained.
    pub retain: bool,
    /// MQTT 5.0 will properties; not written for 3.x.
    pub properties: PropertyBox<WillProperties>,
}

impl LastWill {
    /// A will at QoS 0, not retained, without properties.
    #[must_use]
    pub fn new(topic: TopicName, payload: impl Into<Bytes>) -> Self {
        Self {
            topic,
            payload: payload.into(),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: PropertyBox::default(),
        }
    }
}

const USERNAME: u8 = 0x80;
const PASSWORD: u8 = 0x40;
const WILL_RETAIN: u8 = 0x20;
const WILL_QOS_SHIFT: u8 = 3;
const WILL_QOS: u8 = 0x18;
const WILL: u8 = 0x04;
const CLEAN_START: u8 = 0x02;
const RESERVED: u8 = 0x01;

impl Connect {
    #[inline]
    fn connect_flags(&self) -> u8 {
        let mut flags = 0;
        if self.username.is_some() {
            flags |= USERNAME;
        }
        if self.password.is_some() {
            flags |= PASSWORD;
        }
        if let Some(will) = &self.will {
            flags |= WILL | ((will.qos as u8) << WILL_QOS_SHIFT);
            if will.retain {
                flags |= WILL_RETAIN;
            }
        }
        if self.clean_start {
            flags |= CLEAN_START;
        }
        flags
    }
}

impl Body for Connect {
    const TYPE: PacketType = PacketType::Connect;

    #[inline]
    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError> {
        if !version.is_v5() && self.password.is_some() && self.username.is_none() {
            return Err(EncodeError::PasswordWithoutUsername);
        }
        if let Some(password) = &self.password {
            check_binary("password", password)?;
        }
        match version {
            // The 3.1 specification asks for 1 to 23 characters.
            ProtocolVersion::V3_1 if self.client_id.is_empty() || self.client_id.len() > 23 => {
                return Err(EncodeError::InvalidClientId("MQTT 3.1 needs 1 to 23 bytes"));
            }
            // [MQTT-3.1.3-7]
            ProtocolVersion::V3_1_1 if self.client_id.is_empty() && !self.clean_start => {
                return Err(EncodeError::InvalidClientId(
                    "an empty client identifier needs Clean Session in MQTT 3.1.1",
                ));
            }
            _ => {}
        }
        if let Some(will) = &self.will {
            if will.topic.is_empty() {
                return Err(EncodeError::EmptyWillTopic);
            }
            check_binary("will payload", &will.payload)?;
            if version.is_v5() {
                will.properties.check()?;
            }
        }
        if version.is_v5() {
            self.properties.check()?;
            if self.properties.authentication_data.is_some()
                && self.properties.authentication_method.is_none()
            {
                return Err(EncodeError::AuthDataWithoutMethod);
            }
        }
        Ok(())
    }

    #[inline]
    fn body_len(&self, version: ProtocolVersion) -> usize {
        let mut len = 2 + version.protocol_name().len() + 1 + 1 + 2 + 2 + self.client_id.len();
        if version.is_v5() {
            let props = self.properties.encoded_len();
            len += vbi_len(props) + props;
        }
        if let Some(will) = &self.will {
            if version.is_v5() {
                let props = will.properties.encoded_len();
                len += vbi_len(props) + props;
            }
            len += 2 + will.topic.len() + 2 + will.payload.len();
        }
        if let Some(username) = &self.username {
            len += 2 + username.len();
        }
        if let Some(password) = &self.password {
            len += 2 + password.len();
        }
        len
    }

    #[inline]
    fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        put_binary(buf, version.protocol_name().as_bytes());
        buf.put_u8(version.level());
        buf.put_u8(self.connect_flags());
        buf.put_u16(self.keep_alive);
        if version.is_v5() {
            self.properties.encode(self.properties.encoded_len(), buf);
        }
        put_binary(buf, self.client_id.as_bytes());
        if let Some(will) = &self.will {
            if version.is_v5() {
                will.properties.encode(will.properties.encoded_len(), buf);
            }
            put_binary(buf, will.topic.as_bytes());
            put_binary(buf, &will.payload);
        }
        if let Some(username) = &self.username {
            put_binary(buf, username.as_bytes());
        }
        if let Some(password) = &self.password {
            put_binary(buf, password);
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
        let name = r.binary()?;
        let level = r.u8()?;
        let found = ProtocolVersion::check_name_and_level(&name, level)?;
        if found != version {
            return Err(DecodeError::UnsupportedProtocolVersion(level));
        }
        let flags = r.u8()?;
        // [MQTT-3.1.2-3]
        if flags & RESERVED != 0 {
            return Err(DecodeError::ReservedConnectFlag);
        }
        let has_will = flags & WILL != 0;
        let will_qos = (flags & WILL_QOS) >> WILL_QOS_SHIFT;
        // [MQTT-3.1.2-11], [MQTT-3.1.2-13] (5.0); [MQTT-3.1.2-13], [MQTT-3.1.2-15] (3.1.1)
        if !has_will && (will_qos != 0 || flags & WILL_RETAIN != 0) {
            return Err(DecodeError::InvalidWillFlags);
        }
        // [MQTT-3.1.2-12] (5.0), [MQTT-3.1.2-14] (3.1.1)
        let will_qos = QoS::try_from(will_qos).map_err(|_| DecodeError::InvalidQoS)?;
        let has_username = flags & USERNAME != 0;
        let has_password = flags & PASSWORD != 0;
        // [MQTT-3.1.2-22] (3.1.1); MQTT 5.0 allows a password alone.
        if !version.is_v5() && has_password && !has_username {
            return Err(DecodeError::PasswordWithoutUsername);
        }
        let keep_alive = r.u16()?;
        let properties = if version.is_v5() {
            let p = ConnectProperties::decode(&mut r, PacketType::Connect, limits)?;
            if p.authentication_data.is_some() && p.authentication_method.is_none() {
                return Err(DecodeError::AuthDataWithoutMethod);
            }
            p
        } else {
            ConnectProperties::default()
        };
        let client_id = r.string()?;
        let will = if has_will {
            let properties = if version.is_v5() {
                WillProperties::decode(&mut r, PacketType::Connect, limits)?
            } else {
                WillProperties::default()
            };
            let topic = TopicName::from_bytes(r.binary()?)?;
            let payload = r.binary()?;
            Some(LastWill {
                topic,
                payload,
                qos: will_qos,
                retain: flags & WILL_RETAIN != 0,
                properties: properties.into(),
            })
        } else {
            None
        };
        let username = if has_username {
            Some(r.string()?)
        } else {
            None
        };
        let password = if has_password {
            Some(r.binary()?)
        } else {
            None
        };
        r.finish()?;
        Ok(Self {
            clean_start: flags & CLEAN_START != 0,
            keep_alive,
            client_id,
            will,
            username,
            password,
            properties: properties.into(),
        })
    }
}

packet_methods!(Connect);
