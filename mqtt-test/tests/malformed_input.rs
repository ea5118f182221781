//! Malformed client bytes are recorded and close the connection; they never panic.

mod common;

use common::{connect, drain, send};
use mqtt_proto::{DecodeError, Packet, ProtocolVersion, ReasonCode};
use mqtt_test::{BrokerConfig, FakeBroker, SplitMix64, Violation};

#[test]
fn a_first_packet_other_than_connect_is_recorded() {
    let mut broker = FakeBroker::new(BrokerConfig::new());
    broker.handle_read(&[0xc0, 0x00]);
    assert_eq!(
        broker.violations(),
        [Violation::Decode(DecodeError::UnexpectedPacket(12))]
    );
    assert!(broker.is_closed());
    assert_eq!(broker.poll_transmit(), None);
}

#[test]
fn malformed_bytes_after_connect_close_with_disconnect_in_5_0() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    // PUBLISH at QoS 3.
    broker.handle_read(&[0x36, 0x05, 0x00, 0x01, b't', 0x00, 0x01]);
    assert_eq!(broker.decode_errors().count(), 1);
    assert!(
        matches!(&drain(&mut broker, v)[..], [Packet::Disconnect(d)] if d.reason_code == ReasonCode::MALFORMED_PACKET)
    );
    assert!(broker.is_closed());
}

#[test]
fn malformed_bytes_in_3_1_1_just_close() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    broker.handle_read(&[0xc0, 0x01, 0x00]);
    assert_eq!(
        broker.violations(),
        [Violation::Decode(DecodeError::TrailingBytes(1))]
    );
    assert_eq!(broker.poll_transmit(), None);
    assert!(broker.is_closed());
}

#[test]
fn a_server_packet_from_the_client_is_a_violation() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    send(&mut broker, v, Packet::PingResp);
    assert_eq!(
        broker.violations(),
        [Violation::ServerPacket(mqtt_proto::PacketType::PingResp)]
    );
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = SplitMix64::new(0x5eed);
    for round in 0..2_000 {
        let mut broker = FakeBroker::new(BrokerConfig::new());
        let prefix = if round % 2 == 0 {
            mqtt_test::encode(
                ProtocolVersion::V5,
                &common::connect_packet("c", true).into(),
            )
            .to_vec()
        } else {
            Vec::new()
        };
        let len = rng.range_inclusive(0, 64) as usize;
        let mut bytes = prefix;
        bytes.extend((0..len).map(|_| rng.next_u64() as u8));
        for chunk in bytes.chunks(rng.range_inclusive(1, 8) as usize) {
            broker.handle_read(chunk);
        }
        while broker.poll_transmit().is_some() {}
    }
}
