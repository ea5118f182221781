//! DISCONNECT (section 3.14 of both specifications).

use bytes::{BufMut, Bytes};

use super::{Body, PacketType, packet_methods};
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::properties::{DisconnectProperties, PropertyBox};
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::{Reader, vbi_len};

/// DISCONNECT: the last packet of a connection, from either side in MQTT 5.0.
///
/// Reason code 0x00 without properties encodes as the two-byte form; a reason code without
/// properties leaves out the property length (section 3.14.2.2.1).
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{Disconnect, ProtocolVersion, ReasonCode};
///
/// let mut buf = BytesMut::new();
/// Disconnect::new(ReasonCode::NORMAL_DISCONNECTION).encode(ProtocolVersion::V5, &mut buf).unwrap();
/// assert_eq!(&buf[..], [0xe0, 0x00]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Disconnect {
    /// Why the connection ends (MQTT 5.0); [`ReasonCode::NORMAL_DISCONNECTION`] for 3.x.
    pub reason_code: ReasonCode,
    /// MQTT 5.0 properties; not written for 3.x.
    pub properties: PropertyBox<DisconnectProperties>,
}

impl Disconnect {
    /// A DISCONNECT with `reason_code` and no properties.
    #[must_use]
    pub fn new(reason_code: ReasonCode) -> Self {
        Self {
            reason_code,
            properties: PropertyBox::default(),
        }
    }
}

impl Body for Disconnect {
    const TYPE: PacketType = PacketType::Disconnect;

    #[inline]
    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError> {
        if version.is_v5() {
            if !self.reason_code.is_valid_for(Self::TYPE) {
                return Err(EncodeError::InvalidReasonCode {
                    packet_type: Self::TYPE,
                    code: self.reason_code,
                });
            }
            self.properties.check()?;
        }
        Ok(())
    }

    #[inline]
    fn body_len(&self, version: ProtocolVersion) -> usize {
        if !version.is_v5() {
            return 0;
        }
        if self.properties.is_empty() {
            return usize::from(self.reason_code != ReasonCode::NORMAL_DISCONNECTION);
        }
        let props = self.properties.encoded_len();
        1 + vbi_len(props) + props
    }

    #[inline]
    fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        if !version.is_v5() {
            return;
        }
        if self.properties.is_empty() {
            if self.reason_code != ReasonCode::NORMAL_DISCONNECTION {
                buf.put_u8(self.reason_code.0);
            }
            return;
        }
        buf.put_u8(self.reason_code.0);
        self.properties.encode(self.properties.encoded_len(), buf);
    }

    fn decode_body(
        version: ProtocolVersion,
        _flags: u8,
        body: Bytes,
        start: usize,
        limits: &Limits,
    ) -> Result<Self, DecodeError> {
        let mut r = Reader::at(&body, start);
        let mut packet = Self::default();
        if version.is_v5() {
            if !r.is_empty() {
                packet.reason_code = ReasonCode(r.u8()?);
                if !packet.reason_code.is_valid_for(Self::TYPE) {
                    return Err(DecodeError::InvalidReasonCode {
                        packet_type: Self::TYPE,
                        code: packet.reason_code,
                    });
                }
            }
            if !r.is_empty() {
                packet.properties =
                    DisconnectProperties::decode(&mut r, Self::TYPE, limits)?.into();
            }
        }
        r.finish()?;
        Ok(packet)
    }
}

packet_methods!(Disconnect);
