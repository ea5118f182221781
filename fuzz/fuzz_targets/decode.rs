//! Arbitrary bytes never panic, and what decodes re-encodes to the same bytes.
//!
//! MQTT 3.x has one encoding per packet, so the bytes must come back exactly. MQTT 5.0 leaves
//! property order and some short forms free; there the re-encoding must be the canonical form:
//! it decodes to the same packet and re-encodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtt_fuzz::{decode_all, decode_one, encode, version_and_bytes};

fuzz_target!(|data: &[u8]| {
    let Some((version, bytes)) = version_and_bytes(data) else {
        return;
    };
    let (packets, _, rest) = decode_all(version, bytes);
    let mut offset = 0;
    for packet in &packets {
        let encoded = encode(packet, version).expect("a decoded packet encodes");
        let original = &bytes[offset..offset + packet_len(bytes, offset)];
        offset += original.len();
        if encoded != original {
            assert!(
                version.is_v5(),
                "MQTT 3.x re-encodes byte for byte: {packet:?}"
            );
            assert_eq!(&decode_one(version, &encoded), packet);
            assert_eq!(encode(packet, version).as_deref(), Some(&encoded[..]));
        }
    }
    assert!(offset + rest <= bytes.len());
});

/// The length of the frame at `offset`, from its fixed header.
fn packet_len(bytes: &[u8], offset: usize) -> usize {
    mqtt_proto::FixedHeader::parse(&bytes[offset..])
        .ok()
        .flatten()
        .map(|h| h.packet_len())
        .expect("a decoded packet had a fixed header")
}
