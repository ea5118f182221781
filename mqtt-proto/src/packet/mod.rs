//! The fifteen control packets, the fixed header, and framing.

mod ack;
mod aliased;
mod auth;
mod connack;
mod connect;
mod disconnect;
mod publish;
mod suback;
mod subscribe;
mod unsubscribe;

use bytes::{BufMut, Bytes, BytesMut};

pub use ack::{PubAck, PubComp, PubRec, PubRel};
pub use aliased::Aliased;
pub use auth::Auth;
pub use connack::ConnAck;
pub use connect::{Connect, LastWill};
pub use disconnect::Disconnect;
pub use publish::Publish;
pub use suback::{SubAck, UnsubAck};
pub use subscribe::{RetainHandling, Subscribe, SubscribeOptions, Subscription};
pub use unsubscribe::Unsubscribe;

use crate::error::{DecodeError, EncodeError};
use crate::limits::{Limits, MAX_REMAINING_LENGTH};
use crate::version::ProtocolVersion;
use crate::wire::{Reader, decode_vbi, put_vbi, vbi_len};

/// The type of a control packet: the high four bits of its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// 1: client request to connect.
    Connect = 1,
    /// 2: connect acknowledgement.
    ConnAck = 2,
    /// 3: publish message.
    Publish = 3,
    /// 4: publish acknowledgement (QoS 1).
    PubAck = 4,
    /// 5: publish received (QoS 2, part 1).
    PubRec = 5,
    /// 6: publish release (QoS 2, part 2).
    PubRel = 6,
    /// 7: publish complete (QoS 2, part 3).
    PubComp = 7,
    /// 8: subscribe request.
    Subscribe = 8,
    /// 9: subscribe acknowledgement.
    SubAck = 9,
    /// 10: unsubscribe request.
    Unsubscribe = 10,
    /// 11: unsubscribe acknowledgement.
    UnsubAck = 11,
    /// 12: ping request.
    PingReq = 12,
    /// 13: ping response.
    PingResp = 13,
    /// 14: disconnect notification.
    Disconnect = 14,
    /// 15: authentication exchange (MQTT 5.0 only).
    Auth = 15,
}

impl PacketType {
    /// The packet type of the high four bits of `first_byte`; `None` for the reserved type 0.
    #[inline]
    #[must_use]
    pub const fn from_first_byte(first_byte: u8) -> Option<Self> {
        Some(match first_byte >> 4 {
            1 => Self::Connect,
            2 => Self::ConnAck,
            3 => Self::Publish,
            4 => Self::PubAck,
            5 => Self::PubRec,
            6 => Self::PubRel,
            7 => Self::PubComp,
            8 => Self::Subscribe,
            9 => Self::SubAck,
            10 => Self::Unsubscribe,
            11 => Self::UnsubAck,
            12 => Self::PingReq,
            13 => Self::PingResp,
            14 => Self::Disconnect,
            15 => Self::Auth,
            _ => return None,
        })
    }

    /// The flags every packet of this type carries, `None` for PUBLISH whose flags vary
    /// (section 2.1.3).
    #[inline]
    #[must_use]
    pub const fn fixed_flags(self) -> Option<u8> {
        match self {
            Self::Publish => None,
            Self::PubRel | Self::Subscribe | Self::Unsubscribe => Some(0b0010),
            _ => Some(0),
        }
    }
}

/// The fixed header of a packet: its first byte and the remaining length (section 2.1).
///
/// Parsing the fixed header is framing: it tells how many bytes the packet needs, before they are
/// buffered, so size limits can be enforced early.
///
/// ```
/// use mqtt_proto::{FixedHeader, PacketType};
///
/// let header = FixedHeader::parse(&[0x30, 0x80, 0x01]).unwrap().unwrap();
/// assert_eq!(header.packet_type(), Some(PacketType::Publish));
/// assert_eq!(header.remaining_len(), 128);
/// assert_eq!(header.header_len(), 3);
/// assert_eq!(header.packet_len(), 131);
/// assert_eq!(FixedHeader::parse(&[0x30, 0x80]), Ok(None));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedHeader {
    first_byte: u8,
    remaining_len: u32,
    header_len: u8,
}

impl FixedHeader {
    /// Reads the fixed header at the start of `bytes`; `Ok(None)` when more bytes are needed.
    ///
    /// # Errors
    /// [`DecodeError::MalformedRemainingLength`] when the remaining length runs over four bytes or
    /// is not minimal (\[MQTT-1.5.5-1\]).
    #[inline]
    pub fn parse(bytes: &[u8]) -> Result<Option<Self>, DecodeError> {
        let Some((&first_byte, rest)) = bytes.split_first() else {
            return Ok(None);
        };
        match decode_vbi(rest) {
            Ok(Some((remaining_len, len))) => Ok(Some(Self {
                first_byte,
                remaining_len,
                header_len: 1 + len as u8,
            })),
            Ok(None) => Ok(None),
            Err(()) => Err(DecodeError::MalformedRemainingLength),
        }
    }

    /// The first byte: packet type and flags.
    #[inline]
    #[must_use]
    pub const fn first_byte(&self) -> u8 {
        self.first_byte
    }

    /// The packet type, `None` for the reserved type 0.
    #[inline]
    #[must_use]
    pub const fn packet_type(&self) -> Option<PacketType> {
        PacketType::from_first_byte(self.first_byte)
    }

    /// The low four bits of the first byte.
    #[inline]
    #[must_use]
    pub const fn flags(&self) -> u8 {
        self.first_byte & 0x0f
    }

    /// The length of the variable header and payload.
    #[inline]
    #[must_use]
    pub const fn remaining_len(&self) -> u32 {
        self.remaining_len
    }

    /// The length of the fixed header itself, 2 to 5 bytes.
    #[inline]
    #[must_use]
    pub const fn header_len(&self) -> usize {
        self.header_len as usize
    }

    /// The length of the whole packet.
    #[inline]
    #[must_use]
    pub const fn packet_len(&self) -> usize {
        self.header_len as usize + self.remaining_len as usize
    }

    /// Checks the packet type and its flags for `version` (section 2.1.3, \[MQTT-2.2.2-2\]).
    #[inline]
    fn checked_type(self, version: ProtocolVersion) -> Result<PacketType, DecodeError> {
        let packet_type = match self.packet_type() {
            Some(PacketType::Auth) if !version.is_v5() => None,
            other => other,
        }
        .ok_or(DecodeError::ReservedPacketType(self.first_byte >> 4))?;
        // MQTT 3.1 sets DUP on a re-delivered PUBREL, SUBSCRIBE or UNSUBSCRIBE (its section 2.1);
        // the flag carries nothing a receiver needs, so it is accepted and not kept.
        let flags = if version == ProtocolVersion::V3_1
            && matches!(
                packet_type,
                PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe
            ) {
            self.flags() & !0b1000
        } else {
            self.flags()
        };
        if packet_type
            .fixed_flags()
            .is_some_and(|fixed| fixed != flags)
        {
            return Err(DecodeError::InvalidHeaderFlags {
                packet_type,
                flags: self.flags(),
            });
        }
        Ok(packet_type)
    }
}

/// One MQTT control packet, in the model shared by all protocol versions.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{Limits, Packet, ProtocolVersion, Publish, QosPid, TopicName};
///
/// let publish = Publish::new(TopicName::new("a/b").unwrap(), QosPid::AtMostOnce, "hello");
/// let mut buf = BytesMut::new();
/// Packet::Publish(publish.clone()).encode(ProtocolVersion::V3_1_1, &mut buf).unwrap();
/// assert_eq!(&buf[..], b"\x30\x0a\x00\x03a/bhello");
///
/// let decoded = Packet::decode(ProtocolVersion::V3_1_1, &mut buf, &Limits::new()).unwrap();
/// assert_eq!(decoded, Some(Packet::Publish(publish)));
/// assert!(buf.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// CONNECT, boxed: it is sent once per connection and is the largest packet, so the others
    /// stay small.
    Connect(alloc::boxed::Box<Connect>),
    /// CONNACK.
    ConnAck(ConnAck),
    /// PUBLISH.
    Publish(Publish),
    /// PUBACK.
    PubAck(PubAck),
    /// PUBREC.
    PubRec(PubRec),
    /// PUBREL.
    PubRel(PubRel),
    /// PUBCOMP.
    PubComp(PubComp),
    /// SUBSCRIBE.
    Subscribe(Subscribe),
    /// SUBACK.
    SubAck(SubAck),
    /// UNSUBSCRIBE.
    Unsubscribe(Unsubscribe),
    /// UNSUBACK.
    UnsubAck(UnsubAck),
    /// PINGREQ.
    PingReq,
    /// PINGRESP.
    PingResp,
    /// DISCONNECT.
    Disconnect(Disconnect),
    /// AUTH (MQTT 5.0 only).
    Auth(Auth),
}

/// What each packet implements: checking, measuring, writing and reading its body.
pub(crate) trait Body: Sized {
    const TYPE: PacketType;

    /// The fixed header flags.
    fn flags(&self) -> u8 {
        Self::TYPE.fixed_flags().unwrap_or_default()
    }

    /// Every rule that would make encoding fail, checked before anything is written.
    fn check(&self, version: ProtocolVersion) -> Result<(), EncodeError>;

    /// The remaining length.
    fn body_len(&self, version: ProtocolVersion) -> usize;

    /// Writes the variable header and payload.
    fn encode_body(&self, version: ProtocolVersion, buf: &mut impl BufMut);

    /// Reads the variable header and payload of a frame whose fixed header was checked; they start
    /// at offset `start` of `frame`.
    fn decode_body(
        version: ProtocolVersion,
        flags: u8,
        frame: Bytes,
        start: usize,
        limits: &Limits,
    ) -> Result<Self, DecodeError>;
}

#[inline]
pub(crate) fn encode<P: Body>(
    packet: &P,
    version: ProtocolVersion,
    buf: &mut impl BufMut,
) -> Result<usize, EncodeError> {
    let needed = encode_fixed_header(packet, version, buf, 0)?;
    packet.encode_body(version, buf);
    Ok(needed)
}

/// Checks `packet` and writes its fixed header, once `buf` has room for the whole packet but its
/// last `held_back` bytes (which the caller sends from elsewhere); returns that size.
#[inline]
pub(crate) fn encode_fixed_header<P: Body>(
    packet: &P,
    version: ProtocolVersion,
    buf: &mut impl BufMut,
    held_back: usize,
) -> Result<usize, EncodeError> {
    let body_len = checked_body_len(packet, version)?;
    let needed = 1 + vbi_len(body_len) + body_len - held_back;
    if buf.remaining_mut() < needed {
        return Err(EncodeError::BufferTooSmall {
            needed,
            remaining: buf.remaining_mut(),
        });
    }
    buf.put_u8(((P::TYPE as u8) << 4) | packet.flags());
    put_vbi(buf, body_len);
    Ok(needed)
}

#[inline]
pub(crate) fn checked_len<P: Body>(
    packet: &P,
    version: ProtocolVersion,
) -> Result<usize, EncodeError> {
    let body_len = checked_body_len(packet, version)?;
    Ok(1 + vbi_len(body_len) + body_len)
}

/// The remaining length of `packet`, once it passed every check of encoding.
#[inline]
fn checked_body_len<P: Body>(packet: &P, version: ProtocolVersion) -> Result<usize, EncodeError> {
    packet.check(version)?;
    let body_len = packet.body_len(version);
    if body_len > MAX_REMAINING_LENGTH as usize {
        return Err(EncodeError::PacketTooLarge(body_len));
    }
    Ok(body_len)
}

#[inline]
pub(crate) fn encoded_len<P: Body>(packet: &P, version: ProtocolVersion) -> usize {
    let body_len = packet.body_len(version);
    1 + vbi_len(body_len) + body_len
}

/// Gives a packet struct its public `encode` and `encoded_len`, and its conversion into [`Packet`].
macro_rules! packet_methods {
    ($ty:ident) => {
        impl $ty {
            /// Encodes the packet for `version` into `buf`, returning the number of bytes written.
            ///
            /// # Errors
            /// An [`EncodeError`](crate::EncodeError) when the packet breaks a rule of `version`
            /// or does not fit in `buf`; nothing is written then.
            #[inline]
            pub fn encode(
                &self,
                version: $crate::ProtocolVersion,
                buf: &mut impl bytes::BufMut,
            ) -> Result<usize, $crate::EncodeError> {
                $crate::packet::encode(self, version, buf)
            }

            /// The exact number of bytes [`encode`](Self::encode) writes for `version` when it
            /// succeeds.
            #[inline]
            #[must_use]
            pub fn encoded_len(&self, version: $crate::ProtocolVersion) -> usize {
                $crate::packet::encoded_len(self, version)
            }

            /// Runs every check of [`encode`](Self::encode) for `version` but the room in the
            /// buffer, writing nothing: the number of bytes it would write, or why it would
            /// fail.
            ///
            /// # Errors
            /// As [`encode`](Self::encode), but never
            /// [`EncodeError::BufferTooSmall`](crate::EncodeError::BufferTooSmall).
            #[inline]
            pub fn checked_len(
                &self,
                version: $crate::ProtocolVersion,
            ) -> Result<usize, $crate::EncodeError> {
                $crate::packet::checked_len(self, version)
            }
        }

        impl From<$ty> for $crate::Packet {
            fn from(packet: $ty) -> Self {
                Self::$ty(packet.into())
            }
        }
    };
}
pub(crate) use packet_methods;

impl Packet {
    /// The packet's type.
    #[inline]
    #[must_use]
    pub const fn packet_type(&self) -> PacketType {
        match self {
            Self::Connect(_) => PacketType::Connect,
            Self::ConnAck(_) => PacketType::ConnAck,
            Self::Publish(_) => PacketType::Publish,
            Self::PubAck(_) => PacketType::PubAck,
            Self::PubRec(_) => PacketType::PubRec,
            Self::PubRel(_) => PacketType::PubRel,
            Self::PubComp(_) => PacketType::PubComp,
            Self::Subscribe(_) => PacketType::Subscribe,
            Self::SubAck(_) => PacketType::SubAck,
            Self::Unsubscribe(_) => PacketType::Unsubscribe,
            Self::UnsubAck(_) => PacketType::UnsubAck,
            Self::PingReq => PacketType::PingReq,
            Self::PingResp => PacketType::PingResp,
            Self::Disconnect(_) => PacketType::Disconnect,
            Self::Auth(_) => PacketType::Auth,
        }
    }

    /// The packet identifier the packet carries: a PUBLISH at QoS 1 or 2, its
    /// acknowledgements, SUBSCRIBE, UNSUBSCRIBE and theirs; `None` for the others.
    ///
    /// ```
    /// use mqtt_proto::{Packet, PacketId, PubAck};
    ///
    /// let id = PacketId::new(7).unwrap();
    /// assert_eq!(Packet::from(PubAck::new(id)).packet_id(), Some(id));
    /// assert_eq!(Packet::PingReq.packet_id(), None);
    /// ```
    #[must_use]
    pub fn packet_id(&self) -> Option<crate::PacketId> {
        match self {
            Self::Publish(p) => p.qos_pid.packet_id(),
            Self::PubAck(p) => Some(p.packet_id),
            Self::PubRec(p) => Some(p.packet_id),
            Self::PubRel(p) => Some(p.packet_id),
            Self::PubComp(p) => Some(p.packet_id),
            Self::Subscribe(p) => Some(p.packet_id),
            Self::SubAck(p) => Some(p.packet_id),
            Self::Unsubscribe(p) => Some(p.packet_id),
            Self::UnsubAck(p) => Some(p.packet_id),
            Self::Connect(_)
            | Self::ConnAck(_)
            | Self::PingReq
            | Self::PingResp
            | Self::Disconnect(_)
            | Self::Auth(_) => None,
        }
    }

    /// Encodes the packet for `version` into `buf`, returning the number of bytes written.
    ///
    /// # Errors
    /// An [`EncodeError`] when the packet breaks a rule of `version` or does not fit in `buf`;
    /// nothing is written then.
    pub fn encode(
        &self,
        version: ProtocolVersion,
        buf: &mut impl BufMut,
    ) -> Result<usize, EncodeError> {
        match self {
            Self::Connect(p) => encode(&**p, version, buf),
            Self::ConnAck(p) => encode(p, version, buf),
            Self::Publish(p) => encode(p, version, buf),
            Self::PubAck(p) => encode(p, version, buf),
            Self::PubRec(p) => encode(p, version, buf),
            Self::PubRel(p) => encode(p, version, buf),
            Self::PubComp(p) => encode(p, version, buf),
            Self::Subscribe(p) => encode(p, version, buf),
            Self::SubAck(p) => encode(p, version, buf),
            Self::Unsubscribe(p) => encode(p, version, buf),
            Self::UnsubAck(p) => encode(p, version, buf),
            Self::PingReq | Self::PingResp => {
                if buf.remaining_mut() < 2 {
                    return Err(EncodeError::BufferTooSmall {
                        needed: 2,
                        remaining: buf.remaining_mut(),
                    });
                }
                buf.put_u8((self.packet_type() as u8) << 4);
                buf.put_u8(0);
                Ok(2)
            }
            Self::Disconnect(p) => encode(p, version, buf),
            Self::Auth(p) => encode(p, version, buf),
        }
    }

    /// The exact number of bytes [`encode`](Self::encode) writes for `version` when it succeeds.
    #[must_use]
    pub fn encoded_len(&self, version: ProtocolVersion) -> usize {
        match self {
            Self::Connect(p) => encoded_len(&**p, version),
            Self::ConnAck(p) => encoded_len(p, version),
            Self::Publish(p) => encoded_len(p, version),
            Self::PubAck(p) => encoded_len(p, version),
            Self::PubRec(p) => encoded_len(p, version),
            Self::PubRel(p) => encoded_len(p, version),
            Self::PubComp(p) => encoded_len(p, version),
            Self::Subscribe(p) => encoded_len(p, version),
            Self::SubAck(p) => encoded_len(p, version),
            Self::Unsubscribe(p) => encoded_len(p, version),
            Self::UnsubAck(p) => encoded_len(p, version),
            Self::PingReq | Self::PingResp => 2,
            Self::Disconnect(p) => encoded_len(p, version),
            Self::Auth(p) => encoded_len(p, version),
        }
    }

    /// Runs every check of [`encode`](Self::encode) for `version` but the room in the buffer,
    /// writing nothing: the number of bytes it would write, or why it would fail.
    ///
    /// ```
    /// use mqtt_proto::{EncodeError, Packet, PacketId, ProtocolVersion, PubAck, ReasonCode};
    ///
    /// let id = PacketId::new(7).unwrap();
    /// let ok = Packet::PubAck(PubAck::new(id));
    /// assert_eq!(ok.checked_len(ProtocolVersion::V3_1_1), Ok(4));
    /// // MQTT 3.1.1 cannot say no in a PUBACK.
    /// let refused = Packet::PubAck(PubAck::with_reason(id, ReasonCode::NOT_AUTHORIZED));
    /// assert!(matches!(
    ///     refused.checked_len(ProtocolVersion::V3_1_1),
    ///     Err(EncodeError::UnsupportedInVersion { .. })
    /// ));
    /// ```
    ///
    /// # Errors
    /// As [`encode`](Self::encode), but never [`EncodeError::BufferTooSmall`].
    pub fn checked_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        match self {
            Self::Connect(p) => checked_len(&**p, version),
            Self::ConnAck(p) => checked_len(p, version),
            Self::Publish(p) => checked_len(p, version),
            Self::PubAck(p) => checked_len(p, version),
            Self::PubRec(p) => checked_len(p, version),
            Self::PubRel(p) => checked_len(p, version),
            Self::PubComp(p) => checked_len(p, version),
            Self::Subscribe(p) => checked_len(p, version),
            Self::SubAck(p) => checked_len(p, version),
            Self::Unsubscribe(p) => checked_len(p, version),
            Self::UnsubAck(p) => checked_len(p, version),
            Self::PingReq | Self::PingResp => Ok(2),
            Self::Disconnect(p) => checked_len(p, version),
            Self::Auth(p) => checked_len(p, version),
        }
    }

    /// Decodes the packet at the start of `buf`, removing its bytes.
    ///
    /// Returns `Ok(None)` when `buf` does not yet hold a whole packet; nothing is removed then,
    /// so the caller appends what arrives next and calls again. The packet size is checked
    /// against `limits` as soon as the fixed header is complete, before the body arrives. Topic,
    /// payload and other variable-length fields of the result are slices of `buf`'s memory.
    ///
    /// # Errors
    /// A [`DecodeError`] naming the rule the bytes break. The stream cannot be resynchronised
    /// after an error: close the connection, with [`DecodeError::reason_code`] in MQTT 5.0.
    #[inline]
    pub fn decode(
        version: ProtocolVersion,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<Self>, DecodeError> {
        let Some(header) = FixedHeader::parse(buf)? else {
            return Ok(None);
        };
        let packet_type = header.checked_type(version)?;
        let size = header.packet_len();
        if size > limits.max_packet_size as usize {
            return Err(DecodeError::PacketTooLarge {
                size,
                max: limits.max_packet_size,
            });
        }
        if buf.len() < size {
            return Ok(None);
        }
        if header.remaining_len() == 2 && header.header_len() == 2 {
            if let Some(ack) = decode_short_response(packet_type, buf)? {
                return Ok(Some(ack));
            }
        }
        let frame = buf.split_to(size).freeze();
        let (flags, start) = (header.flags(), header.header_len());
        // The packet a client receives most, without a detour through the dispatch.
        if packet_type == PacketType::Publish {
            return Publish::decode_body(version, flags, frame, start, limits)
                .map(|p| Some(Packet::Publish(p)));
        }
        decode_checked(version, packet_type, flags, frame, start, limits).map(Some)
    }

    /// Decodes one packet from its fixed header and body (framing done elsewhere).
    ///
    /// `body` must be exactly the `header.remaining_len()` bytes that follow the fixed header.
    ///
    /// # Errors
    /// As [`Packet::decode`]; [`DecodeError::UnexpectedEof`] or
    /// [`DecodeError::TrailingBytes`] when `body` does not have the announced length.
    pub fn decode_frame(
        version: ProtocolVersion,
        header: FixedHeader,
        body: Bytes,
        limits: &Limits,
    ) -> Result<Self, DecodeError> {
        let packet_type = header.checked_type(version)?;
        let size = header.packet_len();
        if size > limits.max_packet_size as usize {
            return Err(DecodeError::PacketTooLarge {
                size,
                max: limits.max_packet_size,
            });
        }
        let announced = header.remaining_len() as usize;
        match body.len() {
            n if n < announced => return Err(DecodeError::UnexpectedEof),
            n if n > announced => return Err(DecodeError::TrailingBytes(n - announced)),
            _ => {}
        }
        decode_checked(version, packet_type, header.flags(), body, 0, limits)
    }
}

/// The four-byte form of PUBACK, PUBREC, PUBREL and PUBCOMP (a packet identifier alone: success
/// without properties in MQTT 5.0, sections 3.4.2.1 to 3.7.2.1), the packets a publishing
/// client receives most, read in place: no frame is split off for them. `None` for any other
/// packet of four bytes. `buf` holds the whole packet, its fixed header checked.
#[inline]
fn decode_short_response(
    packet_type: PacketType,
    buf: &mut BytesMut,
) -> Result<Option<Packet>, DecodeError> {
    let make: fn(crate::PacketId) -> Packet = match packet_type {
        PacketType::PubAck => |id| Packet::PubAck(PubAck::new(id)),
        PacketType::PubRec => |id| Packet::PubRec(PubRec::new(id)),
        PacketType::PubRel => |id| Packet::PubRel(PubRel::new(id)),
        PacketType::PubComp => |id| Packet::PubComp(PubComp::new(id)),
        _ => return Ok(None),
    };
    let (Some(&high), Some(&low)) = (buf.get(2), buf.get(3)) else {
        return Ok(None);
    };
    bytes::Buf::advance(buf, 4);
    // [MQTT-2.3.1-1], [MQTT-2.2.1-3]
    let id =
        crate::PacketId::new(u16::from_be_bytes([high, low])).ok_or(DecodeError::ZeroPacketId)?;
    Ok(Some(make(id)))
}

fn decode_checked(
    version: ProtocolVersion,
    packet_type: PacketType,
    flags: u8,
    frame: Bytes,
    start: usize,
    limits: &Limits,
) -> Result<Packet, DecodeError> {
    macro_rules! decode {
        ($ty:ident) => {
            $ty::decode_body(version, flags, frame, start, limits)?
        };
    }
    Ok(match packet_type {
        PacketType::Connect => Packet::Connect(alloc::boxed::Box::new(decode!(Connect))),
        PacketType::ConnAck => Packet::ConnAck(decode!(ConnAck)),
        PacketType::Publish => Packet::Publish(decode!(Publish)),
        PacketType::PubAck => Packet::PubAck(decode!(PubAck)),
        PacketType::PubRec => Packet::PubRec(decode!(PubRec)),
        PacketType::PubRel => Packet::PubRel(decode!(PubRel)),
        PacketType::PubComp => Packet::PubComp(decode!(PubComp)),
        PacketType::Subscribe => Packet::Subscribe(decode!(Subscribe)),
        PacketType::SubAck => Packet::SubAck(decode!(SubAck)),
        PacketType::Unsubscribe => Packet::Unsubscribe(decode!(Unsubscribe)),
        PacketType::UnsubAck => Packet::UnsubAck(decode!(UnsubAck)),
        PacketType::PingReq => {
            Reader::at(&frame, start).finish()?;
            Packet::PingReq
        }
        PacketType::PingResp => {
            Reader::at(&frame, start).finish()?;
            Packet::PingResp
        }
        PacketType::Disconnect => Packet::Disconnect(decode!(Disconnect)),
        PacketType::Auth => Packet::Auth(decode!(Auth)),
    })
}

/// Reads a non-zero packet identifier (\[MQTT-2.3.1-1\], \[MQTT-2.2.1-3\]).
#[inline]
pub(crate) fn read_packet_id(r: &mut Reader) -> Result<crate::PacketId, DecodeError> {
    crate::PacketId::new(r.u16()?).ok_or(DecodeError::ZeroPacketId)
}
