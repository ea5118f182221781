//! CONNACK (section 3.2 of both specifications).

use bytes::{BufMut, Bytes};

use super::{Body, PacketType, packet_methods};
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::properties::{ConnAckProperties, PropertyBox};
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::{Reader, vbi_len};

/// CONNACK: the server's answer to CONNECT.
///
/// One model for every version: an MQTT 3.x return code is held as the equivalent reason code
/// (see [`ReasonCode::to_v3_connack`]).
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{ConnAck, ProtocolVersion, ReasonCode};
///
/// let refused = ConnAck::new(false, ReasonCode::NOT_AUTHORIZED);
/// let mut buf = BytesMut::new();
/// refused.encode(ProtocolVersion::V3_1_1, &mut buf).unwrap();
/// assert_eq!(&buf[..], [0x20, 0x02, 0x00, 0x05]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnAck {
    /// Whether the server resumed a session (not in MQTT 3.1).
    pub session_present: bool,
    /// The outcome; [`ReasonCode::SUCCESS`] when the connection is accepted.
    pub reason_code: ReasonCode,
    /// MQTT 5.0 properties; not written for 3.x.
    pub properties: PropertyBox<ConnAckProperties>,
}

impl ConnAck {
    /// A CONNACK without properties.
    #[must_use]
    pub fn new(session_present: bool, reason_code: ReasonCode) -> Self {
        Self {
            session_present,
            reason_code,
            properties: PropertyBox::default(),
        }
    }
}

impl Body for ConnAck {
    const TYPE: PacketType = PacketType::ConnAck;

    #[inline]
    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError> {
        if self.session_present && self.reason_code != ReasonCode::SUCCESS {
            return Err(EncodeError::SessionPresentOnFailure);
        }
        if version.is_v5() {
            if !self.reason_code.is_valid_for(PacketType::ConnAck) {
                return Err(EncodeError::InvalidReasonCode {
                    packet_type: PacketType::ConnAck,
                    code: self.reason_code,
                });
            }
            self.properties.check()?;
            if self.properties.authentication_data.is_some()
                && self.properties.authentication_method.is_none()
            {
                return Err(EncodeError::AuthDataWithoutMethod);
            }
        } else {
            if self.reason_code.to_v3_connack().is_none() {
                return Err(EncodeError::UnsupportedInVersion {
                    what: "this CONNACK reason code",
                    version,
                });
            }
            if version == ProtocolVersion::V3_1 && self.session_present {
                return Err(EncodeError::UnsupportedInVersion {
                    what: "session present",
                    version,
                });
            }
        }
        Ok(())
    }

    #[inline]
    fn body_len(&self, version: ProtocolVersion) -> usize {
        if version.is_v5() {
            let props = self.properties.encoded_len();
            2 + vbi_len(props) + props
        } else {
            2
        }
    }

    #[inline]
    fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        buf.put_u8(u8::from(self.session_present));
        if version.is_v5() {
            buf.put_u8(self.reason_code.0);
            self.properties.encode(self.properties.encoded_len(), buf);
        } else {
            buf.put_u8(self.reason_code.to_v3_connack().unwrap_or_default());
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
        let flags = r.u8()?;
        // [MQTT-3.2.2-1]; MQTT 3.1 has no Session Present flag: the whole byte is reserved.
        let reserved = if version == ProtocolVersion::V3_1 {
            0xff
        } else {
            0xfe
        };
        if flags & reserved != 0 {
            return Err(DecodeError::InvalidConnAckFlags(flags));
        }
        let session_present = flags & 1 != 0;
        let code = r.u8()?;
        let (reason_code, properties) = if version.is_v5() {
            let reason_code = ReasonCode(code);
            if !reason_code.is_valid_for(PacketType::ConnAck) {
                return Err(DecodeError::InvalidReasonCode {
                    packet_type: PacketType::ConnAck,
                    code: reason_code,
                });
            }
            let p = ConnAckProperties::decode(&mut r, PacketType::ConnAck, limits)?;
            if p.authentication_data.is_some() && p.authentication_method.is_none() {
                return Err(DecodeError::AuthDataWithoutMethod);
            }
            (reason_code, p)
        } else {
            let reason_code =
                ReasonCode::from_v3_connack(code).ok_or(DecodeError::InvalidReasonCode {
                    packet_type: PacketType::ConnAck,
                    code: ReasonCode(code),
                })?;
            (reason_code, ConnAckProperties::default())
        };
        // [MQTT-3.2.2-4] (3.1.1), [MQTT-3.2.2-6] (5.0)
        if session_present && reason_code != ReasonCode::SUCCESS {
            return Err(DecodeError::SessionPresentOnFailure);
        }
        r.finish()?;
        Ok(Self {
            session_present,
            reason_code,
            properties: properties.into(),
        })
    }
}

packet_methods!(ConnAck);
