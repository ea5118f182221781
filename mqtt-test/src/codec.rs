//! Encoding and decoding helpers for test code, which may panic on bad input.

use bytes::{Bytes, BytesMut};
use mqtt_proto::{DecodeError, Limits, Packet, ProtocolVersion};

/// Encodes `packet` for `version`.
///
/// # Panics
/// When the packet cannot be encoded for `version`: in a test that is a mistake of the test.
///
/// ```
/// use mqtt_proto::{Packet, ProtocolVersion};
///
/// assert_eq!(&mqtt_test::encode(ProtocolVersion::V5, &Packet::PingReq)[..], [0xc0, 0x00]);
/// ```
#[must_use]
pub fn encode(version: ProtocolVersion, packet: &Packet) -> Bytes {
    let mut buf = BytesMut::with_capacity(packet.encoded_len(version));
    if let Err(error) = packet.encode(version, &mut buf) {
        panic!("cannot encode {packet:?} for {version}: {error}");
    }
    buf.freeze()
}

/// Decodes every whole packet in `bytes`.
///
/// # Panics
/// When the bytes are malformed or end in the middle of a packet.
///
/// ```
/// use mqtt_proto::{Packet, ProtocolVersion};
///
/// let packets = mqtt_test::decode_all(ProtocolVersion::V3_1_1, &[0xd0, 0x00, 0xd0, 0x00]);
/// assert_eq!(packets, [Packet::PingResp, Packet::PingResp]);
/// ```
#[must_use]
pub fn decode_all(version: ProtocolVersion, bytes: &[u8]) -> Vec<Packet> {
    let mut reader = PacketReader::new(version);
    let packets = match reader.feed(bytes) {
        Ok(packets) => packets,
        Err(error) => panic!("malformed bytes for {version}: {error}"),
    };
    assert!(
        reader.buffered() == 0,
        "{} bytes of an incomplete packet are left",
        reader.buffered()
    );
    packets
}

/// An incremental decoder for one direction of a connection: feed it chunks, get whole packets.
///
/// ```
/// use mqtt_proto::{Packet, ProtocolVersion};
/// use mqtt_test::PacketReader;
///
/// let mut reader = PacketReader::new(ProtocolVersion::V5);
/// assert_eq!(reader.feed(&[0xd0]), Ok(vec![]));
/// assert_eq!(reader.feed(&[0x00]), Ok(vec![Packet::PingResp]));
/// ```
#[derive(Debug)]
pub struct PacketReader {
    version: ProtocolVersion,
    limits: Limits,
    buf: BytesMut,
}

impl PacketReader {
    /// A reader for `version` with the default [`Limits`].
    #[must_use]
    pub fn new(version: ProtocolVersion) -> Self {
        Self {
            version,
            limits: Limits::new(),
            buf: BytesMut::new(),
        }
    }

    /// Appends `bytes` and decodes every packet now complete.
    ///
    /// # Errors
    /// The first [`DecodeError`]; the stream is unusable afterwards.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Packet>, DecodeError> {
        self.buf.extend_from_slice(bytes);
        let mut packets = Vec::new();
        while let Some(packet) = Packet::decode(self.version, &mut self.buf, &self.limits)? {
            packets.push(packet);
        }
        Ok(packets)
    }

    /// The number of bytes of an incomplete packet held.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}
