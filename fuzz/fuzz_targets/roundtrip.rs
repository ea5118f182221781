//! Every packet the decoder produces survives encoding for every version: either the encoder
//! refuses it and writes nothing, or the bytes decode back to a packet that encodes to the same
//! bytes, with `encoded_len` exact, and a buffer one byte too small is refused untouched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtt_fuzz::{VERSIONS, decode_all, decode_one, encode, version_and_bytes};

fuzz_target!(|data: &[u8]| {
    let Some((version, bytes)) = version_and_bytes(data) else {
        return;
    };
    let (packets, _, _) = decode_all(version, bytes);
    for packet in &packets {
        for target in VERSIONS {
            let Ok(encoded) = encode(packet, target) else {
                continue;
            };
            let decoded = decode_one(target, &encoded);
            if target == version {
                assert_eq!(
                    &decoded, packet,
                    "same version: the packet itself comes back"
                );
            }
            assert_eq!(encode(&decoded, target).as_deref(), Ok(&encoded[..]));

            let mut small = vec![0x55; encoded.len() - 1];
            assert!(packet.encode(target, &mut small.as_mut_slice()).is_err());
            assert!(
                small.iter().all(|&b| b == 0x55),
                "a refused encode writes nothing"
            );
        }
    }
});
