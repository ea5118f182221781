//! Oracles shared by the fuzz targets: each target is a few lines that feed bytes to one of these.

use bytes::BytesMut;
use mqtt_proto::{DecodeError, EncodeError, Limits, Packet, ProtocolVersion};

/// The versions, picked by the first input byte.
pub const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

/// Splits the input into a version and the bytes to decode.
pub fn version_and_bytes(data: &[u8]) -> Option<(ProtocolVersion, &[u8])> {
    let (&first, rest) = data.split_first()?;
    Some((VERSIONS[usize::from(first) % VERSIONS.len()], rest))
}

/// Small limits, so that the limit checks are reached too.
pub fn limits() -> Limits {
    Limits::new()
        .with_max_packet_size(64 * 1024)
        .with_max_user_properties(16)
        .with_max_subscription_identifiers(8)
        .with_max_topic_filters(32)
}

/// Decodes every packet of `bytes`, stopping at the first error or when more bytes are needed.
pub fn decode_all(
    version: ProtocolVersion,
    bytes: &[u8],
) -> (Vec<Packet>, Option<DecodeError>, usize) {
    let mut buf = BytesMut::from(bytes);
    let mut packets = Vec::new();
    loop {
        let before = buf.len();
        match Packet::decode(version, &mut buf, &limits()) {
            Ok(Some(p)) => {
                assert!(buf.len() < before, "a decoded packet consumes bytes");
                packets.push(p);
            }
            Ok(None) => {
                assert_eq!(buf.len(), before, "Ok(None) consumes nothing");
                return (packets, None, buf.len());
            }
            Err(e) => return (packets, Some(e), buf.len()),
        }
    }
}

/// Encodes `packet` for `version`, checking the promises of `encode`: the length it reports is
/// `encoded_len`, and on error nothing was written.
pub fn encode(packet: &Packet, version: ProtocolVersion) -> Result<Vec<u8>, EncodeError> {
    let mut buf = vec![0xAA; 3];
    match packet.encode(version, &mut buf) {
        Ok(n) => {
            assert_eq!(n, buf.len() - 3, "encode reports what it wrote");
            assert_eq!(n, packet.encoded_len(version), "encoded_len is exact");
            Ok(buf.split_off(3))
        }
        Err(e) => {
            assert_eq!(buf, [0xAA; 3], "a failed encode writes nothing");
            Err(e)
        }
    }
}

/// Encodes a packet that was decoded with the same `version`. That always succeeds but for one
/// rule the encoder enforces and the decoder leaves to the server: a client identifier the version
/// forbids, which a server answers with a CONNACK refusal. `None` then.
pub fn reencode(packet: &Packet, version: ProtocolVersion) -> Option<Vec<u8>> {
    match encode(packet, version) {
        Ok(bytes) => Some(bytes),
        Err(EncodeError::InvalidClientId(_)) if matches!(packet, Packet::Connect(_)) => None,
        Err(e) => panic!("a decoded packet encodes for its version: {e} for {packet:?}"),
    }
}

/// Decodes exactly one packet from `bytes`, which must be a whole frame.
pub fn decode_one(version: ProtocolVersion, bytes: &[u8]) -> Packet {
    let mut buf = BytesMut::from(bytes);
    let packet = Packet::decode(version, &mut buf, &Limits::new())
        .expect("an encoded packet decodes")
        .expect("an encoded packet is complete");
    assert!(buf.is_empty(), "an encoded packet is decoded whole");
    packet
}
