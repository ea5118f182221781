//! Split invariance: however a byte stream of valid packets is cut into chunks, incremental
//! decoding yields the same packets in the same order, and `Ok(None)` never consumes bytes.

mod strategies;

use bytes::BytesMut;
use mqtt_proto::{Limits, Packet, ProtocolVersion};
use proptest::collection::vec;
use proptest::prelude::*;

use strategies::packet_stream;

/// How to cut the stream: byte at a time, small chunks, or chunks of any size up to the whole
/// stream. Sizes are used in turn, cycling when the stream is longer than their sum.
fn chunking() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        1 => Just(vec![1]),
        2 => vec(1usize..=8, 1..=32),
        2 => vec(1usize..=300, 1..=16),
        1 => vec(1usize..=20_000, 1..=4),
    ]
}

/// Encodes `packets` into one stream, feeds it to a decoder in chunks of `sizes`, and checks the
/// packets come back in order with nothing left over.
fn decode_in_chunks(
    version: ProtocolVersion,
    packets: &[Packet],
    sizes: &[usize],
) -> Result<(), TestCaseError> {
    let mut stream = BytesMut::new();
    for p in packets {
        p.encode(version, &mut stream)
            .map_err(|e| TestCaseError::fail(format!("encode failed: {e:?}")))?;
    }
    let limits = Limits::new();
    let mut buf = BytesMut::new();
    let mut decoded = Vec::new();
    // Bytes of the stream fed to the decoder, and bytes it has consumed.
    let mut fed = 0;
    let mut consumed = 0;
    let mut sizes = sizes.iter().copied().cycle();
    while fed < stream.len() {
        let size = sizes.next().unwrap_or(1).min(stream.len() - fed);
        buf.extend_from_slice(&stream[fed..fed + size]);
        fed += size;
        loop {
            let before = buf.len();
            match Packet::decode(version, &mut buf, &limits) {
                Ok(Some(packet)) => {
                    let len = packet.encoded_len(version);
                    prop_assert_eq!(before - buf.len(), len, "a packet consumes its bytes");
                    consumed += len;
                    decoded.push(packet);
                }
                Ok(None) => {
                    // "Need more bytes" removes nothing: the buffer still holds exactly the
                    // bytes fed and not yet decoded.
                    prop_assert_eq!(&buf[..], &stream[consumed..fed]);
                    break;
                }
                Err(e) => {
                    return Err(TestCaseError::fail(format!(
                        "decode failed after {fed} of {} bytes: {e:?}",
                        stream.len()
                    )));
                }
            }
        }
    }
    prop_assert!(buf.is_empty(), "{} bytes left over", buf.len());
    prop_assert_eq!(consumed, stream.len());
    prop_assert_eq!(decoded.as_slice(), packets);
    Ok(())
}

proptest! {
    #[test]
    fn split_invariance_v3_1(
        packets in packet_stream(ProtocolVersion::V3_1),
        sizes in chunking(),
    ) {
        decode_in_chunks(ProtocolVersion::V3_1, &packets, &sizes)?;
    }

    #[test]
    fn split_invariance_v3_1_1(
        packets in packet_stream(ProtocolVersion::V3_1_1),
        sizes in chunking(),
    ) {
        decode_in_chunks(ProtocolVersion::V3_1_1, &packets, &sizes)?;
    }

    #[test]
    fn split_invariance_v5(
        packets in packet_stream(ProtocolVersion::V5),
        sizes in chunking(),
    ) {
        decode_in_chunks(ProtocolVersion::V5, &packets, &sizes)?;
    }

    /// Every stream byte at a time: each prefix of each packet is "need more bytes".
    #[test]
    fn byte_at_a_time_v5(packets in packet_stream(ProtocolVersion::V5)) {
        decode_in_chunks(ProtocolVersion::V5, &packets, &[1])?;
    }
}
