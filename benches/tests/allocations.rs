//! What decoding allocates, counted by a global allocator wrapper: nothing for the four-byte
//! publish acknowledgements a publishing client receives most (PUBACK, PUBREC, PUBREL,
//! PUBCOMP), in MQTT 3.1.1 and 5.0.

use bytes::BytesMut;
use mqtt_proto::{Limits, Packet, PacketId, ProtocolVersion, PubAck, PubComp, PubRec, PubRel};

#[global_allocator]
static GLOBAL: mqtt_benches::Counting = mqtt_benches::Counting;

#[test]
fn four_byte_acknowledgements_decode_in_place() {
    let id = |n| PacketId::new(n).expect("non-zero");
    let expected = [
        Packet::PubAck(PubAck::new(id(1))),
        Packet::PubRec(PubRec::new(id(0x0102))),
        Packet::PubRel(PubRel::new(id(0xfffe))),
        Packet::PubComp(PubComp::new(id(0x8000))),
    ];
    let limits = Limits::new();
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut stream = BytesMut::new();
        for packet in &expected {
            assert_eq!(packet.encode(version, &mut stream), Ok(4));
        }
        // The first byte of a PINGRESP follows: it stays, whole packets only are taken.
        stream.extend_from_slice(&[0xd0]);
        let mut decoded = Vec::with_capacity(expected.len());
        let before = mqtt_benches::allocations();
        while let Some(packet) = Packet::decode(version, &mut stream, &limits).expect("valid") {
            decoded.push(packet);
        }
        let allocated = mqtt_benches::allocations() - before;
        assert_eq!(decoded, expected, "{version:?}");
        assert_eq!(&stream[..], &[0xd0]);
        assert_eq!(
            allocated, 0,
            "allocations decoding {version:?} acknowledgements"
        );
    }
}
