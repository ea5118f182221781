//! A CONNACK that breaks the rules ends the connection: a reserved Connect Acknowledge Flags
//! bit is a Malformed Packet ([MQTT-3.2.2-1] of 5.0; reserved bits of 3.1.1 section 3.2.2.1),
//! and Session Present 1 in answer to a clean start is a Protocol Error ([MQTT-3.2.2-2] and
//! [MQTT-3.2.2-4] of 5.0, [MQTT-3.2.2-1] of 3.1.1). In 5.0 the client says why with DISCONNECT.

mod common;

use common::Harness;
use mqtt_proto::{DecodeError, Disconnect, Packet, ProtocolVersion, ReasonCode};
use mqtt_sansio::{DisconnectReason, Event};

fn opened(version: ProtocolVersion, clean_start: bool) -> Harness {
    let mut h = Harness::new(Harness::config(version).with_clean_start(clean_start));
    h.open();
    h
}

#[test]
fn a_reserved_acknowledge_flag_is_malformed() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut h = opened(version, true);
        // CONNACK, flags 0x02 (bit 1 reserved), success; in 5.0 an empty property list.
        let bytes: &[u8] = if version.is_v5() {
            &[0x20, 0x03, 0x02, 0x00, 0x00]
        } else {
            &[0x20, 0x02, 0x02, 0x00]
        };
        h.server_sends_bytes(bytes);
        assert_eq!(
            h.events(),
            [Event::Disconnected(DisconnectReason::ProtocolViolation {
                reason_code: ReasonCode::MALFORMED_PACKET,
                error: Some(DecodeError::InvalidConnAckFlags(0x02)),
            })]
        );
        let expected: Vec<Packet> = if version.is_v5() {
            vec![Disconnect::new(ReasonCode::MALFORMED_PACKET).into()]
        } else {
            Vec::new()
        };
        assert_eq!(h.sent(), expected, "{version:?}");
        assert!(!h.client.is_connected());
    }
}

#[test]
fn session_present_after_a_clean_start_is_a_protocol_error() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut h = opened(version, true);
        let bytes: &[u8] = if version.is_v5() {
            &[0x20, 0x03, 0x01, 0x00, 0x00]
        } else {
            &[0x20, 0x02, 0x01, 0x00]
        };
        h.server_sends_bytes(bytes);
        assert_eq!(
            h.events(),
            [Event::Disconnected(DisconnectReason::ProtocolViolation {
                reason_code: ReasonCode::PROTOCOL_ERROR,
                error: None,
            })],
            "{version:?}: no Connected event"
        );
        let expected: Vec<Packet> = if version.is_v5() {
            vec![Disconnect::new(ReasonCode::PROTOCOL_ERROR).into()]
        } else {
            Vec::new()
        };
        assert_eq!(h.sent(), expected, "{version:?}");
        // Without a clean start, Session Present is what the client hoped for.
        let mut h = opened(version, false);
        h.server_sends_bytes(bytes);
        assert!(matches!(&h.events()[..], [Event::Connected(c)] if c.session_present));
    }
}
