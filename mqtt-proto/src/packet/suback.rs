//! SUBACK and UNSUBACK (sections 3.9 and 3.11 of both specifications).

use alloc::vec::Vec;

use bytes::{BufMut, Bytes};

use super::{Body, PacketType, packet_methods, read_packet_id};
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::properties::{AckProperties, PropertyBox};
use crate::qos::PacketId;
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::{Reader, vbi_len};

/// SUBACK: one code per topic filter of the SUBSCRIBE, in order.
///
/// Success codes are the granted QoS (0x00, 0x01, 0x02). MQTT 3.x return codes are 0x00, 0x01,
/// 0x02 and 0x80 (\[MQTT-3.9.3-2\] of 3.1.1), the same values as their MQTT 5.0 reason codes.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{PacketId, ProtocolVersion, ReasonCode, SubAck};
///
/// let ack = SubAck::new(
///     PacketId::new(1).unwrap(),
///     vec![ReasonCode::GRANTED_QOS_1, ReasonCode::UNSPECIFIED_ERROR],
/// );
/// let mut buf = BytesMut::new();
/// ack.encode(ProtocolVersion::V3_1_1, &mut buf).unwrap();
/// assert_eq!(&buf[..], [0x90, 0x04, 0x00, 0x01, 0x01, 0x80]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubAck {
    /// The identifier of the SUBSCRIBE this answers.
    pub packet_id: PacketId,
    /// One code per topic filter, in order.
    pub reason_codes: Vec<ReasonCode>,
    /// MQTT 5.0 properties; not written for 3.x.
    pub properties: PropertyBox<AckProperties>,
}

impl SubAck {
    /// A SUBACK without properties.
    #[must_use]
    pub fn new(packet_id: PacketId, reason_codes: Vec<ReasonCode>) -> Self {
        Self {
            packet_id,
            reason_codes,
            properties: PropertyBox::default(),
        }
    }
}

/// UNSUBACK: in MQTT 5.0 one reason code per topic filter of the UNSUBSCRIBE; in 3.x no codes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnsubAck {
    /// The identifier of the UNSUBSCRIBE this answers.
    pub packet_id: PacketId,
    /// One code per topic filter (MQTT 5.0); empty for 3.x.
    pub reason_codes: Vec<ReasonCode>,
    /// MQTT 5.0 properties; not written for 3.x.
    pub properties: PropertyBox<AckProperties>,
}

impl UnsubAck {
    /// An UNSUBACK without properties.
    #[must_use]
    pub fn new(packet_id: PacketId, reason_codes: Vec<ReasonCode>) -> Self {
        Self {
            packet_id,
            reason_codes,
            properties: PropertyBox::default(),
        }
    }
}

/// The MQTT 3.x SUBACK return codes.
fn is_v3_suback_code(code: ReasonCode) -> bool {
    matches!(code.0, 0x00 | 0x01 | 0x02 | 0x80)
}

fn check_codes(
    version: ProtocolVersion,
    packet_type: PacketType,
    codes: &[ReasonCode],
    properties: &AckProperties,
) -> Result<(), EncodeError> {
    if version.is_v5() {
        if codes.is_empty() {
            return Err(EncodeError::EmptyPayload(packet_type));
        }
        if let Some(&code) = codes.iter().find(|c| !c.is_valid_for(packet_type)) {
            return Err(EncodeError::InvalidReasonCode { packet_type, code });
        }
        properties.check()?;
    }
    Ok(())
}

fn decode_codes(
    version: ProtocolVersion,
    packet_type: PacketType,
    mut r: Reader<'_>,
    limits: &Limits,
) -> Result<(PacketId, Vec<ReasonCode>, AckProperties), DecodeError> {
    let packet_id = read_packet_id(&mut r)?;
    let properties = if version.is_v5() {
        AckProperties::decode(&mut r, packet_type, limits)?
    } else {
        AckProperties::default()
    };
    if r.remaining() > limits.max_topic_filters {
        return Err(DecodeError::TooManyEntries {
            packet_type,
            max: limits.max_topic_filters,
        });
    }
    let mut codes = Vec::with_capacity(r.remaining());
    while !r.is_empty() {
        let code = ReasonCode(r.u8()?);
        let valid = if version.is_v5() {
            code.is_valid_for(packet_type)
        } else {
            is_v3_suback_code(code)
        };
        if !valid {
            return Err(DecodeError::InvalidReasonCode { packet_type, code });
        }
        codes.push(code);
    }
    Ok((packet_id, codes, properties))
}

fn codes_len(version: ProtocolVersion, codes: &[ReasonCode], properties: &AckProperties) -> usize {
    let mut len = 2 + codes.len();
    if version.is_v5() {
        let props = properties.encoded_len();
        len += vbi_len(props) + props;
    }
    len
}

fn encode_codes(
    version: ProtocolVersion,
    packet_id: PacketId,
    codes: &[ReasonCode],
    properties: &AckProperties,
    buf: &mut impl BufMut,
) {
    buf.put_u16(packet_id.get());
    if version.is_v5() {
        properties.encode(properties.encoded_len(), buf);
    }
    for code in codes {
        buf.put_u8(code.0);
    }
}

impl Body for SubAck {
    const TYPE: PacketType = PacketType::SubAck;

    #[inline]
    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError> {
        if !version.is_v5() {
            if self.reason_codes.is_empty() {
                return Err(EncodeError::EmptyPayload(Self::TYPE));
            }
            if self.reason_codes.iter().any(|&c| !is_v3_suback_code(c)) {
                return Err(EncodeError::UnsupportedInVersion {
                    what: "a SUBACK code other than 0x00, 0x01, 0x02 or 0x80",
                    version,
                });
            }
        }
        check_codes(version, Self::TYPE, &self.reason_codes, &self.properties)
    }

    #[inline]
    fn body_len(&self, version: ProtocolVersion) -> usize {
        codes_len(version, &self.reason_codes, &self.properties)
    }

    #[inline]
    fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        encode_codes(
            version,
            self.packet_id,
            &self.reason_codes,
            &self.properties,
            buf,
        );
    }

    fn decode_body(
        version: ProtocolVersion,
        _flags: u8,
        body: Bytes,
        start: usize,
        limits: &Limits,
    ) -> Result<Self, DecodeError> {
        let r = Reader::at(&body, start);
        let (packet_id, reason_codes, properties) = decode_codes(version, Self::TYPE, r, limits)?;
        // One code per filter of a SUBSCRIBE, which has at least one.
        if reason_codes.is_empty() {
            return Err(DecodeError::EmptyPayload(Self::TYPE));
        }
        Ok(Self {
            packet_id,
            reason_codes,
            properties: properties.into(),
        })
    }
}

impl Body for UnsubAck {
    const TYPE: PacketType = PacketType::UnsubAck;

    #[inline]
    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError> {
        if !version.is_v5() && self.reason_codes.iter().any(|c| c.is_error()) {
            // An MQTT 3.x UNSUBACK has no codes: leaving a failure out would report success.
            return Err(EncodeError::UnsupportedInVersion {
                what: "a failure reason code in UNSUBACK",
                version,
            });
        }
        check_codes(version, Self::TYPE, &self.reason_codes, &self.properties)
    }

    #[inline]
    fn body_len(&self, version: ProtocolVersion) -> usize {
        if version.is_v5() {
            codes_len(version, &self.reason_codes, &self.properties)
        } else {
            2
        }
    }

    #[inline]
    fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
        if version.is_v5() {
            encode_codes(
                version,
                self.packet_id,
                &self.reason_codes,
                &self.properties,
                buf,
            );
        } else {
            buf.put_u16(self.packet_id.get());
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
        if !version.is_v5() {
            let packet_id = read_packet_id(&mut r)?;
            r.finish()?;
            return Ok(Self::new(packet_id, Vec::new()));
        }
        let (packet_id, reason_codes, properties) = decode_codes(version, Self::TYPE, r, limits)?;
        if reason_codes.is_empty() {
            return Err(DecodeError::EmptyPayload(Self::TYPE));
        }
        Ok(Self {
            packet_id,
            reason_codes,
            properties: properties.into(),
        })
    }
}

packet_methods!(SubAck);
packet_methods!(UnsubAck);
