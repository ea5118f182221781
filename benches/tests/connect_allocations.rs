//! What opening a connection allocates in the state machine: the CONNECT is encoded into room
//! made for all of it at once, not grown field by field. Its own test binary with one test,
//! since the counting allocator sees the whole process.

use mqtt_proto::{MqttString, ProtocolVersion};
use mqtt_sansio::{Chunks, Client, Config, Instant};

#[global_allocator]
static GLOBAL: mqtt_benches::Counting = mqtt_benches::Counting;

#[test]
fn a_connect_is_encoded_with_one_allocation_for_its_bytes() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut config = Config::new(MqttString::from_static(
            "a-client-identifier-of-some-length",
        ));
        config.version = version;
        config.username = Some(MqttString::from_static("a-user"));
        let mut client = Client::new(config);
        let before = mqtt_benches::allocations();
        client.handle_transport_open(Instant::ZERO);
        let allocated = mqtt_benches::allocations() - before;
        let mut out = Chunks::new();
        assert!(
            client.poll_transmit_chunks(Instant::ZERO, &mut out),
            "a CONNECT to send"
        );
        let bytes: Vec<u8> = out.iter().flat_map(|c| c.iter().copied()).collect();
        assert_eq!(bytes.first(), Some(&0x10), "{version:?}: a CONNECT");
        // Its bytes' room, and in 5.0 its properties: 1 and 2 (2 and 3 with the packet boxed
        // into a `Packet`, 5 and 6 when the buffer grew with each field).
        let most = if version.is_v5() { 2 } else { 1 };
        assert!(allocated <= most, "{version:?}: {allocated} allocations");
    }
}
