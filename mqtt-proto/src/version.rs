//! The protocol level: MQTT 3.1, 3.1.1 or 5.0.

use crate::error::DecodeError;

/// The MQTT protocol version, a parameter of every encode and decode.
///
/// The variants are closed by the specifications: level 3 is MQTT 3.1 (protocol name `MQIsdp`),
/// level 4 is MQTT 3.1.1 and level 5 is MQTT 5.0 (both with protocol name `MQTT`).
///
/// ```
/// use mqtt_proto::ProtocolVersion;
///
/// assert_eq!(ProtocolVersion::V5.level(), 5);
/// assert_eq!(ProtocolVersion::from_level(4), Some(ProtocolVersion::V3_1_1));
/// assert_eq!(ProtocolVersion::V3_1.protocol_name(), "MQIsdp");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// MQTT 3.1 (protocol level 3, protocol name `MQIsdp`).
    V3_1,
    /// MQTT 3.1.1 (protocol level 4).
    V3_1_1,
    /// MQTT 5.0 (protocol level 5).
    V5,
}

impl ProtocolVersion {
    /// The protocol level byte written in CONNECT.
    #[must_use]
    pub const fn level(self) -> u8 {
        match self {
            Self::V3_1 => 3,
            Self::V3_1_1 => 4,
            Self::V5 => 5,
        }
    }

    /// The version with this protocol level, if there is one.
    #[must_use]
    pub const fn from_level(level: u8) -> Option<Self> {
        match level {
            3 => Some(Self::V3_1),
            4 => Some(Self::V3_1_1),
            5 => Some(Self::V5),
            _ => None,
        }
    }

    /// The protocol name written in CONNECT: `MQIsdp` for 3.1, `MQTT` otherwise.
    #[must_use]
    pub const fn protocol_name(self) -> &'static str {
        match self {
            Self::V3_1 => "MQIsdp",
            Self::V3_1_1 | Self::V5 => "MQTT",
        }
    }

    /// Whether this version has properties and reason codes (MQTT 5.0).
    #[must_use]
    pub const fn is_v5(self) -> bool {
        matches!(self, Self::V5)
    }

    /// Reads the protocol version of a CONNECT packet at the start of `frame`, without decoding it.
    ///
    /// A server learns the client's version from its CONNECT; this lets it pick the version to pass
    /// to [`Packet::decode`](crate::Packet::decode). Returns `Ok(None)` while more bytes are needed.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedPacket`] when the frame is not a CONNECT,
    /// [`DecodeError::UnexpectedEof`] when a complete frame ends before the protocol level,
    /// [`DecodeError::InvalidProtocolName`] or [`DecodeError::UnsupportedProtocolVersion`] when the
    /// protocol name and level are not those of a known version (\[MQTT-3.1.2-1\], \[MQTT-3.1.2-2\]),
    /// and the framing errors of [`FixedHeader::parse`](crate::FixedHeader::parse).
    ///
    /// ```
    /// use mqtt_proto::ProtocolVersion;
    ///
    /// let connect = [0x10, 0x0c, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3c, 0x00, 0x00];
    /// assert_eq!(ProtocolVersion::of_connect(&connect), Ok(Some(ProtocolVersion::V5)));
    /// assert_eq!(ProtocolVersion::of_connect(&connect[..5]), Ok(None));
    /// ```
    pub fn of_connect(frame: &[u8]) -> Result<Option<Self>, DecodeError> {
        let Some(header) = crate::FixedHeader::parse(frame)? else {
            return Ok(None);
        };
        if header.packet_type() != Some(crate::PacketType::Connect) {
            return Err(DecodeError::UnexpectedPacket(header.first_byte() >> 4));
        }
        // Within this frame only: what follows it belongs to the next packet.
        let complete = frame.len() >= header.packet_len();
        let body = frame.get(header.header_len()..header.packet_len().min(frame.len()));
        let body = body.unwrap_or_default();
        let missing = if complete {
            Err(DecodeError::UnexpectedEof)
        } else {
            Ok(None)
        };
        let Some(&[hi, lo]) = body.get(..2) else {
            return missing;
        };
        let name_len = usize::from(u16::from_be_bytes([hi, lo]));
        let (Some(name), Some(&level)) = (body.get(2..2 + name_len), body.get(2 + name_len)) else {
            return missing;
        };
        Self::check_name_and_level(name, level).map(Some)
    }

    pub(crate) fn check_name_and_level(name: &[u8], level: u8) -> Result<Self, DecodeError> {
        let version = match name {
            b"MQTT" => match level {
                4 => Self::V3_1_1,
                5 => Self::V5,
                other => return Err(DecodeError::UnsupportedProtocolVersion(other)),
            },
            b"MQIsdp" => match level {
                3 => Self::V3_1,
                other => return Err(DecodeError::UnsupportedProtocolVersion(other)),
            },
            _ => return Err(DecodeError::InvalidProtocolName),
        };
        Ok(version)
    }
}

impl core::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::V3_1 => "MQTT 3.1",
            Self::V3_1_1 => "MQTT 3.1.1",
            Self::V5 => "MQTT 5.0",
        })
    }
}
