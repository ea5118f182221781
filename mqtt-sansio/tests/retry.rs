//! Which refusals and disconnections end reconnecting, slow it down, or let it go on.

use mqtt_proto::{PacketType, ReasonCode};
use mqtt_sansio::Retry;

/// Every failure code a CONNACK may carry (MQTT 5.0 section 3.2.2.2), with its class.
#[test]
fn every_connack_failure_is_classified() {
    let fatal = [
        0x81, 0x82, 0x84, 0x85, 0x86, 0x87, 0x8A, 0x8C, 0x90, 0x95, 0x99, 0x9A, 0x9B,
    ];
    let throttle = [0x89, 0x97, 0x9F];
    let transient = [0x80, 0x83, 0x88, 0x9C, 0x9D];
    let mut seen = 0;
    for code in (0x80..=0xFF).map(ReasonCode) {
        if !code.is_valid_for(PacketType::ConnAck) {
            continue;
        }
        seen += 1;
        let expected = if fatal.contains(&code.0) {
            Retry::Fatal
        } else if throttle.contains(&code.0) {
            Retry::Throttle
        } else {
            assert!(transient.contains(&code.0), "{code:?} is listed");
            Retry::Transient
        };
        assert_eq!(Retry::after_connack(code), expected, "{code:?}");
    }
    assert_eq!(seen, fatal.len() + throttle.len() + transient.len());
}

/// MQTT 3.1.1 return codes 1 to 5 arrive mapped to reason codes: all but "server unavailable"
/// end reconnecting.
#[test]
fn v3_return_codes() {
    let classes: Vec<_> = (1..=5)
        .map(|rc| Retry::after_connack(ReasonCode::from_v3_connack(rc).unwrap()))
        .collect();
    assert_eq!(
        classes,
        [
            Retry::Fatal,
            Retry::Fatal,
            Retry::Transient,
            Retry::Fatal,
            Retry::Fatal
        ]
    );
}

#[test]
fn disconnect_classes() {
    for code in (0x00..=0xFF).map(ReasonCode) {
        if !code.is_valid_for(PacketType::Disconnect) {
            continue;
        }
        let expected = match code.0 {
            0x8C => Retry::Fatal,
            0x8E => Retry::TakenOver,
            0x89 | 0x96 | 0x97 | 0x9F => Retry::Throttle,
            _ => Retry::Transient,
        };
        assert_eq!(Retry::after_disconnect(code), expected, "{code:?}");
    }
}
