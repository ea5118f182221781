//! PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4 to 3.7 of both specifications).

use bytes::{BufMut, Bytes};

use super::{Body, PacketType, packet_methods, read_packet_id};
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::properties::{AckProperties, PropertyBox};
use crate::qos::PacketId;
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::{Reader, vbi_len};

macro_rules! publish_response {
    ($(#[$doc:meta])* $name:ident, $section:literal) => {
        $(#[$doc])*
        ///
        /// In MQTT 5.0 the reason code and the property length are left out when they are 0x00 and
        /// empty (section
        #[doc = $section]
        /// ); MQTT 3.x carries the packet identifier only.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            /// The identifier of the PUBLISH this answers.
            pub packet_id: PacketId,
            /// The outcome (MQTT 5.0); [`ReasonCode::SUCCESS`] for 3.x.
            pub reason_code: ReasonCode,
            /// MQTT 5.0 properties; not written for 3.x.
            pub properties: PropertyBox<AckProperties>,
        }

        impl $name {
            /// A successful response without properties.
            #[must_use]
            pub fn new(packet_id: PacketId) -> Self {
                Self { packet_id, reason_code: ReasonCode::SUCCESS, properties: PropertyBox::default() }
            }

            /// A response with `reason_code` and no properties.
            #[must_use]
            pub fn with_reason(packet_id: PacketId, reason_code: ReasonCode) -> Self {
                Self { packet_id, reason_code, properties: PropertyBox::default() }
            }
        }

        impl Body for $name {
            const TYPE: PacketType = PacketType::$name;

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
                } else if self.reason_code.is_error() {
                    // MQTT 3.x cannot say no: leaving the code out would report success.
                    return Err(EncodeError::UnsupportedInVersion {
                        what: "a failure reason code in a publish acknowledgement",
                        version,
                    });
                }
                Ok(())
            }

            #[inline]
            fn body_len(&self, version: ProtocolVersion) -> usize {
                response_len(version, self.reason_code, &self.properties)
            }

            #[inline]
            fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut) {
                buf.put_u16(self.packet_id.get());
                encode_response_tail(version, self.reason_code, &self.properties, buf);
            }

            fn decode_body(
                version: ProtocolVersion,
                _flags: u8,
                body: Bytes,
                start: usize,
                limits: &Limits,
            ) -> Result<Self, DecodeError> {
                let (packet_id, reason_code, properties) =
                    decode_response(version, Self::TYPE, Reader::at(&body, start), limits)?;
                Ok(Self { packet_id, reason_code, properties: properties.into() })
            }
        }

        packet_methods!($name);
    };
}

publish_response!(
    /// PUBACK: the answer to a QoS 1 PUBLISH.
    PubAck, "3.4.2.1"
);
publish_response!(
    /// PUBREC: the first answer to a QoS 2 PUBLISH.
    PubRec, "3.5.2.1"
);
publish_response!(
    /// PUBREL: the answer to PUBREC; fixed header flags 0b0010 (\[MQTT-3.6.1-1\]).
    PubRel, "3.6.2.1"
);
publish_response!(
    /// PUBCOMP: the answer to PUBREL, ending a QoS 2 exchange.
    PubComp, "3.7.2.1"
);

fn response_len(version: ProtocolVersion, code: ReasonCode, props: &AckProperties) -> usize {
    if !version.is_v5() {
        return 2;
    }
    if props.is_empty() {
        return if code == ReasonCode::SUCCESS { 2 } else { 3 };
    }
    let len = props.encoded_len();
    3 + vbi_len(len) + len
}

fn encode_response_tail(
    version: ProtocolVersion,
    code: ReasonCode,
    props: &AckProperties,
    buf: &mut impl BufMut,
) {
    if !version.is_v5() || (code == ReasonCode::SUCCESS && props.is_empty()) {
        return;
    }
    buf.put_u8(code.0);
    if !props.is_empty() {
        props.encode(props.encoded_len(), buf);
    }
}

fn decode_response(
    version: ProtocolVersion,
    packet_type: PacketType,
    mut r: Reader<'_>,
    limits: &Limits,
) -> Result<(PacketId, ReasonCode, AckProperties), DecodeError> {
    let packet_id = read_packet_id(&mut r)?;
    let mut code = ReasonCode::SUCCESS;
    let mut properties = AckProperties::default();
    if version.is_v5() {
        // Remaining length 2: success without properties; 3: a reason code without properties.
        if !r.is_empty() {
            code = ReasonCode(r.u8()?);
            if !code.is_valid_for(packet_type) {
                return Err(DecodeError::InvalidReasonCode { packet_type, code });
            }
        }
        if !r.is_empty() {
            properties = AckProperties::decode(&mut r, packet_type, limits)?;
        }
    }
    r.finish()?;
    Ok((packet_id, code, properties))
}
