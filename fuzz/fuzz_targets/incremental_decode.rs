//! Any chunking of a byte stream decodes to the same packets, and fails with the same error, as
//! the whole stream at once. The input is a version byte, a chunking seed and the stream.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mqtt_fuzz::{decode_all, limits, version_and_bytes};
use mqtt_proto::Packet;

fuzz_target!(|data: &[u8]| {
    let Some((version, rest)) = version_and_bytes(data) else {
        return;
    };
    let Some((&seed, stream)) = rest.split_first() else {
        return;
    };
    let (whole, whole_error, whole_rest) = decode_all(version, stream);

    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    let mut error = None;
    let mut state = u32::from(seed) | 1;
    let mut fed = 0;
    'feed: while fed < stream.len() {
        // A small xorshift picks chunk sizes from 1 to 16 bytes.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (1 + state as usize % 16).min(stream.len() - fed);
        buf.extend_from_slice(&stream[fed..fed + n]);
        fed += n;
        loop {
            match Packet::decode(version, &mut buf, &limits()) {
                Ok(Some(p)) => packets.push(p),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break 'feed;
                }
            }
        }
    }
    assert_eq!(packets, whole);
    match (&error, &whole_error) {
        // Chunked decoding may see a size or framing error before the rest arrives; the error
        // itself must be the one the whole stream gives.
        (Some(e), Some(w)) => assert_eq!(e, w),
        (None, None) => assert_eq!(buf.len(), whole_rest),
        _ => panic!("chunked: {error:?}, whole: {whole_error:?}"),
    }
});
