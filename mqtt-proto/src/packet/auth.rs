//! AUTH (MQTT 5.0 section 3.15).

use bytes::{BufMut, Bytes};

use super::{Body, PacketType, packet_methods};
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::properties::{AuthProperties, PropertyBox};
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::{Reader, vbi_len};

/// AUTH: a step of enhanced authentication (MQTT 5.0 only).
///
/// Reason code 0x00 without properties encodes with a remaining length of 0 (section 3.15.2.1).
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{Auth, MqttString, ProtocolVersion, ReasonCode};
///
/// let mut auth = Auth::new(ReasonCode::CONTINUE_AUTHENTICATION);
/// auth.properties.authentication_method = Some(MqttString::new("SCRAM-SHA-1").unwrap());
/// let mut buf = BytesMut::new();
/// auth.encode(ProtocolVersion::V5, &mut buf).unwrap();
/// assert_eq!(&buf[..4], [0xf0, 0x10, 0x18, 0x0e]);
/// assert!(auth.encode(ProtocolVersion::V3_1_1, &mut buf).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Auth {
    /// Success, Continue authentication or Re-authenticate.
    pub reason_code: ReasonCode,
    /// The authentication method and data.
    pub properties: PropertyBox<AuthProperties>,
}

impl Auth {
    /// An AUTH with `reason_code` and no properties.
    #[must_use]
    pub fn new(reason_code: ReasonCode) -> Self {
        Self {
            reason_code,
            properties: PropertyBox::default(),
        }
    }
}

impl Body for Auth {
    const TYPE: PacketType = PacketType::Auth;

    #[inline]
    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError> {
        if !version.is_v5() {
            return Err(EncodeError::UnsupportedInVersion {
                what: "AUTH",
                version,
            });
        }
        if !self.reason_code.is_valid_for(Self::TYPE) {
            return Err(EncodeError::InvalidReasonCode {
                packet_type: Self::TYPE,
                code: self.reason_code,
            });
        }
        self.properties.check()?;
        // Section 3.15.2.2.2: the method may only be left out with the whole body (Success
        // without properties).
        let short_form = self.reason_code == ReasonCode::SUCCESS && self.properties.is_empty();
        if self.properties.authentication_data.is_some()
            && self.properties.authentication_method.is_none()
        {
            return Err(EncodeError::AuthDataWithoutMethod);
        }
        if !short_form && self.properties.authentication_method.is_none() {
            return Err(EncodeError::MissingAuthenticationMethod);
        }
        Ok(())
    }

    #[inline]
    fn body_len(&self, _version: ProtocolVersion) -> usize {
        if self.reason_code == ReasonCode::SUCCESS && self.properties.is_empty() {
            return 0;
        }
        let props = self.properties.encoded_len();
        1 + vbi_len(props) + props
    }

    #[inline]
    fn encode_body(&self, _version: ProtocolVersion, buf: &mut impl BufMut) {
        if self.reason_code == ReasonCode::SUCCESS && self.properties.is_empty() {
            return;
        }
        buf.put_u8(self.reason_code.0);
        self.properties.encode(self.properties.encoded_len(), buf);
    }

    fn decode_body(
        _version: ProtocolVersion,
        _flags: u8,
        body: Bytes,
        start: usize,
        limits: &Limits,
    ) -> Result<Self, DecodeError> {
        let mut r = Reader::at(&body, start);
        let mut packet = Self::default();
        let short_form = r.is_empty();
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
            packet.properties = AuthProperties::decode(&mut r, Self::TYPE, limits)?.into();
        }
        r.finish()?;
        if packet.properties.authentication_data.is_some()
            && packet.properties.authentication_method.is_none()
        {
            return Err(DecodeError::AuthDataWithoutMethod);
        }
        // Section 3.15.2.2.2: only the empty AUTH (Success) may leave out the method.
        if !short_form && packet.properties.authentication_method.is_none() {
            return Err(DecodeError::MissingAuthenticationMethod);
        }
        Ok(packet)
    }
}

packet_methods!(Auth);
