//! Arbitrary bytes never panic, and what decodes re-encodes to the same bytes.
//!
//! MQTT 3.x has one encoding per packet, so the bytes must come back exactly. MQTT 5.0 leaves
//! property order and some short forms free; there the re-encoding must be the canonical form:
//! it decodes to the same packet and re-encodes to itself. Two exceptions, both documented
//! leniencies of the decoder: MQTT 3.1's DUP flag on PUBREL, SUBSCRIBE and UNSUBSCRIBE is not kept,
//! and a CONNECT whose client identifier the encoder refuses (a server answers it with a CONNACK
//! refusal, so the decoder accepts it) is not re-encoded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtt_fuzz::{decode_all, decode_one, encode, reencode, version_and_bytes};
use mqtt_proto::ProtocolVersion;

fuzz_target!(|data: &[u8]| {
    let Some((version, bytes)) = version_and_bytes(data) else {
        return;
    };
    let (packets, _, rest) = decode_all(version, bytes);
    let mut offset = 0;
    for packet in &packets {
        let original = &bytes[offset..offset + packet_len(bytes, offset)];
        offset += original.len();
        let Some(encoded) = reencode(packet, version) else {
            continue;
        };
        if encoded != original {
            if version == ProtocolVersion::V3_1 && is_v3_1_dup(original, &encoded) {
                continue;
            }
            assert!(
                version.is_v5(),
                "MQTT 3.x re-encodes byte for byte: {packet:?}"
            );
            assert_eq!(&decode_one(version, &encoded), packet);
            assert_eq!(encode(packet, version).as_deref(), Ok(&encoded[..]));
        }
    }
    assert!(offset + rest <= bytes.len());
});

/// MQTT 3.1 accepts DUP on PUBREL, SUBSCRIBE and UNSUBSCRIBE and does not keep it: the only
/// difference allowed is that bit of the first byte.
fn is_v3_1_dup(original: &[u8], encoded: &[u8]) -> bool {
    matches!(original[0], 0x6a | 0x8a | 0xaa)
        && encoded[0] == original[0] & !0x08
        && encoded[1..] == original[1..]
}

/// The length of the frame at `offset`, from its fixed header.
fn packet_len(bytes: &[u8], offset: usize) -> usize {
    mqtt_proto::FixedHeader::parse(&bytes[offset..])
        .ok()
        .flatten()
        .map(|h| h.packet_len())
        .expect("a decoded packet had a fixed header")
}
