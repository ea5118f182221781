//! Quality of service and packet identifiers, which travel together.

use core::num::NonZeroU16;

/// The quality of service of a message.
///
/// Closed by the specification: the value 3 is reserved and never decodes (\[MQTT-3.3.1-4\]).
///
/// ```
/// use mqtt_proto::QoS;
///
/// assert_eq!(QoS::try_from(1), Ok(QoS::AtLeastOnce));
/// assert!(QoS::try_from(3).is_err());
/// assert!(QoS::AtMostOnce < QoS::ExactlyOnce);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum QoS {
    /// QoS 0: delivered at most once, no acknowledgement.
    #[default]
    AtMostOnce = 0,
    /// QoS 1: delivered at least once, acknowledged with PUBACK.
    AtLeastOnce = 1,
    /// QoS 2: delivered exactly once, with the PUBREC / PUBREL / PUBCOMP exchange.
    ExactlyOnce = 2,
}

impl TryFrom<u8> for QoS {
    type Error = InvalidQoS;

    fn try_from(value: u8) -> Result<Self, InvalidQoS> {
        match value {
            0 => Ok(Self::AtMostOnce),
            1 => Ok(Self::AtLeastOnce),
            2 => Ok(Self::ExactlyOnce),
            other => Err(InvalidQoS(other)),
        }
    }
}

/// A QoS value that is not 0, 1 or 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("QoS {0} is not 0, 1 or 2")]
pub struct InvalidQoS(pub u8);

/// A packet identifier: never zero (\[MQTT-2.3.1-1\], \[MQTT-2.2.1-3\]).
///
/// ```
/// use mqtt_proto::PacketId;
///
/// let id = PacketId::new(7).unwrap();
/// assert_eq!(id.get(), 7);
/// assert_eq!(PacketId::new(0), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PacketId(NonZeroU16);

impl PacketId {
    /// The smallest identifier, 1.
    pub const MIN: Self = Self(NonZeroU16::MIN);
    /// The largest identifier, 65,535.
    pub const MAX: Self = Self(NonZeroU16::MAX);

    /// The identifier `value`, or `None` for zero.
    #[must_use]
    pub const fn new(value: u16) -> Option<Self> {
        match NonZeroU16::new(value) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// The identifier as a number.
    #[inline]
    #[must_use]
    pub const fn get(self) -> u16 {
        self.0.get()
    }

    /// The identifier after this one, wrapping from 65,535 to 1.
    #[must_use]
    pub const fn next_wrapping(self) -> Self {
        match self.0.checked_add(1) {
            Some(v) => Self(v),
            None => Self::MIN,
        }
    }
}

impl From<NonZeroU16> for PacketId {
    fn from(value: NonZeroU16) -> Self {
        Self(value)
    }
}

impl From<PacketId> for u16 {
    fn from(value: PacketId) -> Self {
        value.get()
    }
}

impl core::fmt::Display for PacketId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

/// A QoS together with the packet identifier it needs: QoS 0 has none, QoS 1 and 2 always have one.
///
/// ```
/// use mqtt_proto::{PacketId, QoS, QosPid};
///
/// let id = PacketId::new(1).unwrap();
/// assert_eq!(QosPid::AtLeastOnce(id).qos(), QoS::AtLeastOnce);
/// assert_eq!(QosPid::AtLeastOnce(id).packet_id(), Some(id));
/// assert_eq!(QosPid::AtMostOnce.packet_id(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum QosPid {
    /// QoS 0, without a packet identifier.
    #[default]
    AtMostOnce,
    /// QoS 1 with its packet identifier.
    AtLeastOnce(PacketId),
    /// QoS 2 with its packet identifier.
    ExactlyOnce(PacketId),
}

impl QosPid {
    /// Pairs `qos` with `id`; the id is dropped for QoS 0.
    #[must_use]
    pub const fn new(qos: QoS, id: PacketId) -> Self {
        match qos {
            QoS::AtMostOnce => Self::AtMostOnce,
            QoS::AtLeastOnce => Self::AtLeastOnce(id),
            QoS::ExactlyOnce => Self::ExactlyOnce(id),
        }
    }

    /// The quality of service.
    #[inline]
    #[must_use]
    pub const fn qos(self) -> QoS {
        match self {
            Self::AtMostOnce => QoS::AtMostOnce,
            Self::AtLeastOnce(_) => QoS::AtLeastOnce,
            Self::ExactlyOnce(_) => QoS::ExactlyOnce,
        }
    }

    /// The packet identifier, `None` for QoS 0.
    #[inline]
    #[must_use]
    pub const fn packet_id(self) -> Option<PacketId> {
        match self {
            Self::AtMostOnce => None,
            Self::AtLeastOnce(id) | Self::ExactlyOnce(id) => Some(id),
        }
    }
}
