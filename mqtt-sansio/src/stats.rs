//! What the session counts as it runs: packets and bytes by type, round-trip times, the
//! outcomes of commands. Counting is a few additions per packet; reading is a copy.

use alloc::collections::VecDeque;
use core::time::Duration;

use mqtt_proto::{PacketId, PacketType};

use crate::time::Instant;

/// Packets and bytes of one direction, by packet type.
///
/// ```
/// use mqtt_proto::PacketType;
/// use mqtt_sansio::{Client, Config, Instant};
///
/// let mut client = Client::new(Config::new(mqtt_proto::MqttString::from_static("counted")));
/// client.handle_transport_open(Instant::ZERO);
/// let mut wire = bytes::BytesMut::new();
/// assert!(client.poll_transmit(Instant::ZERO, &mut wire));
/// client.handle_read(Instant::ZERO, &[0x20, 0x02, 0x00, 0x00]); // CONNACK
///
/// let stats = client.stats();
/// assert_eq!(stats.sent.packets(PacketType::Connect), 1);
/// assert_eq!(stats.sent.bytes(PacketType::Connect), wire.len() as u64);
/// assert_eq!(stats.received.packets(PacketType::ConnAck), 1);
/// assert_eq!(stats.received.total_bytes(), 4);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    packets: [u64; 16],
    bytes: [u64; 16],
}

impl Traffic {
    /// Packets of type `packet_type`.
    #[must_use]
    pub fn packets(&self, packet_type: PacketType) -> u64 {
        self.packets
            .get(packet_type as usize)
            .copied()
            .unwrap_or_default()
    }

    /// Bytes of the packets of type `packet_type`, headers included.
    #[must_use]
    pub fn bytes(&self, packet_type: PacketType) -> u64 {
        self.bytes
            .get(packet_type as usize)
            .copied()
            .unwrap_or_default()
    }

    /// Packets of every type.
    #[must_use]
    pub fn total_packets(&self) -> u64 {
        self.packets.iter().sum()
    }

    /// Bytes of every packet.
    #[must_use]
    pub fn total_bytes(&self) -> u64 {
        self.bytes.iter().sum()
    }

    /// Each packet type with its packets and bytes, in type order, those never seen included.
    pub fn iter(&self) -> impl Iterator<Item = (PacketType, u64, u64)> + '_ {
        (1..16u8).filter_map(|t| {
            let packet_type = PacketType::from_first_byte(t << 4)?;
            Some((
                packet_type,
                self.packets(packet_type),
                self.bytes(packet_type),
            ))
        })
    }

    /// Counts a packet of `packet_type`, `size` bytes.
    #[inline]
    pub(crate) fn add(&mut self, packet_type: PacketType, size: usize) {
        let index = packet_type as usize;
        if let (Some(packets), Some(bytes)) =
            (self.packets.get_mut(index), self.bytes.get_mut(index))
        {
            *packets += 1;
            *bytes += size as u64;
        }
    }

    /// Adds the packets of the types in `mask` (a bit per type) from `other`, and clears them
    /// there.
    fn take_from(&mut self, other: &mut Self, mut mask: u16) {
        while mask != 0 {
            let index = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if let (Some(p), Some(b), Some(op), Some(ob)) = (
                self.packets.get_mut(index),
                self.bytes.get_mut(index),
                other.packets.get_mut(index),
                other.bytes.get_mut(index),
            ) {
                *p += core::mem::take(op);
                *b += core::mem::take(ob);
            }
        }
    }
}

/// The packets encoded and not yet handed to the driver: they count as sent once
/// `poll_transmit` hands them over, and not at all if their connection ends first.
#[derive(Clone, Debug, Default)]
pub(crate) struct Staged {
    staged: Traffic,
    /// A bit per packet type with staged packets.
    mask: u16,
}

impl Staged {
    pub(crate) fn stage(&mut self, packet_type: PacketType, size: usize) {
        self.staged.add(packet_type, size);
        self.mask |= 1 << (packet_type as u16);
    }

    /// The staged packets are sent.
    pub(crate) fn handed(&mut self, sent: &mut Traffic) {
        if self.mask != 0 {
            sent.take_from(&mut self.staged, self.mask);
            self.mask = 0;
        }
    }

    /// The staged packets will not be sent.
    pub(crate) fn discard(&mut self) {
        if self.mask != 0 {
            self.staged = Traffic::default();
            self.mask = 0;
        }
    }
}

/// A round-trip time: the latest sample and a smoothed value (the 1/8 weighting of TCP's
/// SRTT, RFC 6298).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundTrip {
    /// Nanoseconds, as the clock of the inputs counts them: a sample is a subtraction, a shift
    /// and an addition.
    recent: u64,
    smoothed: u64,
    samples: u64,
}

impl RoundTrip {
    /// The latest sample; `None` before the first.
    #[must_use]
    pub fn recent(&self) -> Option<Duration> {
        (self.samples > 0).then(|| Duration::from_nanos(self.recent))
    }

    /// The smoothed value: each sample moves it an eighth of the way from where it was (the
    /// first sets it); `None` before the first sample.
    #[must_use]
    pub fn smoothed(&self) -> Option<Duration> {
        (self.samples > 0).then(|| Duration::from_nanos(self.smoothed))
    }

    /// How many samples there were.
    #[must_use]
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// A round trip from `sent` to `answered`.
    #[inline]
    pub(crate) fn sample(&mut self, sent: Instant, answered: Instant) {
        let rtt = answered.as_nanos().saturating_sub(sent.as_nanos());
        self.recent = rtt;
        self.smoothed = if self.samples == 0 {
            rtt
        } else if rtt >= self.smoothed {
            self.smoothed + (rtt - self.smoothed) / 8
        } else {
            self.smoothed - (self.smoothed - rtt) / 8
        };
        self.samples += 1;
    }
}

/// The session's counters ([`Client::stats`](crate::Client::stats)); what stands now
/// (messages in flight, waiting) has getters of its own on the client.
///
/// Packets count as sent when the driver takes them from `poll_transmit`, and as received when
/// they are decoded; a round trip is measured from the `poll_transmit` that handed the request
/// over to the read that brought its answer, on the clock of those inputs, one message at a
/// time for each QoS (as TCP samples its round trip), so that messages carry no timestamps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Transports opened: the number of the current (or last) connection, from 1.
    pub connection: u64,
    /// Connections CONNACK accepted.
    pub connected: u64,
    /// Packets the driver took, by type.
    pub sent: Traffic,
    /// Packets decoded, by type.
    pub received: Traffic,
    /// PINGREQ → PINGRESP.
    pub ping: RoundTrip,
    /// PUBLISH (QoS 1) → PUBACK.
    pub puback: RoundTrip,
    /// PUBLISH (QoS 2) → PUBCOMP.
    pub pubcomp: RoundTrip,
    /// Commands refused at once with a [`ClientError`](crate::ClientError).
    pub refused: u64,
    /// Accepted commands that ended with [`Event::Failed`](crate::Event::Failed).
    pub failed: u64,
    /// Messages the server refused with an error reason code (MQTT 5.0 PUBACK, PUBREC).
    pub rejected: u64,
    /// Inbound QoS 2 messages the duplicate guard held back.
    pub duplicates_suppressed: u64,
    /// Messages whose time to live ended before they could be sent
    /// ([`ClientError::Expired`](crate::ClientError::Expired)); counted in `failed` too.
    pub expired: u64,
}

/// A packet the session encoded or decoded, for a driver that traces them
/// ([`Client::set_packet_log`](crate::Client::set_packet_log)): never a payload, never a
/// password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketInfo {
    /// Encoded to be sent (`true`) or decoded (`false`).
    pub outgoing: bool,
    /// Its type.
    pub packet_type: PacketType,
    /// Its packet identifier, if it has one.
    pub packet_id: Option<PacketId>,
    /// Its size on the wire.
    pub size: usize,
}

/// How many packets the log keeps when the driver does not take them: the oldest go first.
const LOG_CAPACITY: usize = 1024;

/// The message whose round trip is being timed: one at a time per QoS, as TCP times one
/// segment at a time, so that no message carries a timestamp of its own.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Probe {
    /// Picked when encoded: its packet identifier, until the driver takes it.
    pub(crate) picked: Option<PacketId>,
    /// Handed over: its packet identifier and when.
    pub(crate) timing: Option<(PacketId, Instant)>,
}

impl Probe {
    /// A message of this QoS went into the output: timed if none is.
    #[inline]
    pub(crate) fn offer(&mut self, id: PacketId) {
        if self.picked.is_none() && self.timing.is_none() {
            self.picked = Some(id);
        }
    }

    /// The driver took the output at `now`.
    #[inline]
    pub(crate) fn handed(&mut self, now: Instant) {
        if let Some(id) = self.picked.take() {
            self.timing = Some((id, now));
        }
    }

    /// The exchange of `id` ended at `now`: when it was the timed one, when it started.
    #[inline]
    pub(crate) fn answered(&mut self, id: PacketId) -> Option<Instant> {
        match self.timing {
            Some((timed, sent)) if timed == id => {
                self.timing = None;
                Some(sent)
            }
            _ => None,
        }
    }

    /// The connection ended: what was timed is sent again, maybe under another identifier.
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}

/// The session's counters, and the packet log when it is on.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    pub(crate) stats: Stats,
    pub(crate) staged: Staged,
    /// When the PINGREQ in flight went out.
    pub(crate) ping_sent: Option<Instant>,
    /// The QoS 1 and the QoS 2 message being timed.
    pub(crate) probes: [Probe; 2],
    log: Option<VecDeque<PacketInfo>>,
}

impl Meter {
    /// A packet was encoded into the output.
    #[inline]
    pub(crate) fn encoded(&mut self, packet_type: PacketType, size: usize) {
        self.staged.stage(packet_type, size);
    }

    /// A packet was encoded into the output, `size` bytes: counted, and logged when packets go
    /// to the log.
    #[inline]
    pub(crate) fn sent(
        &mut self,
        packet_type: PacketType,
        packet_id: Option<PacketId>,
        size: usize,
    ) {
        self.encoded(packet_type, size);
        self.log(true, packet_type, packet_id, size);
    }

    /// A packet was decoded, `size` bytes: counted, and logged when packets go to the log.
    #[inline]
    pub(crate) fn received(
        &mut self,
        packet_type: PacketType,
        packet_id: Option<PacketId>,
        size: usize,
    ) {
        self.stats.received.add(packet_type, size);
        self.log(false, packet_type, packet_id, size);
    }

    /// The staged packets were handed to the driver.
    #[inline]
    pub(crate) fn handed(&mut self) {
        self.staged.handed(&mut self.stats.sent);
    }

    /// Logs a packet when packets go to the log.
    #[inline]
    pub(crate) fn log(
        &mut self,
        outgoing: bool,
        packet_type: PacketType,
        packet_id: Option<PacketId>,
        size: usize,
    ) {
        if let Some(log) = self.log.as_mut() {
            push_bounded(
                log,
                PacketInfo {
                    outgoing,
                    packet_type,
                    packet_id,
                    size,
                },
            );
        }
    }

    pub(crate) fn set_log(&mut self, on: bool) {
        match (on, self.log.is_some()) {
            (true, false) => self.log = Some(VecDeque::new()),
            (false, true) => self.log = None,
            _ => {}
        }
    }

    pub(crate) fn poll_log(&mut self) -> Option<PacketInfo> {
        self.log.as_mut()?.pop_front()
    }
}

/// Appends `info` to the packet log, the oldest entry giving way when it holds
/// `LOG_CAPACITY`.
fn push_bounded(log: &mut VecDeque<PacketInfo>, info: PacketInfo) {
    if log.len() == LOG_CAPACITY {
        log.pop_front();
    }
    log.push_back(info);
}
