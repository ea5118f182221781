//! Inbound topic aliases (MQTT 5.0 section 3.3.2.3.4).

mod common;

use core::num::NonZeroU16;

use common::{Harness, publish_packet};
use mqtt_proto::{Disconnect, Packet, ProtocolVersion, Publish, QoS, ReasonCode, TopicName};
use mqtt_sansio::{DisconnectReason, Event};

fn connected(topic_alias_maximum: u16) -> Harness {
    let mut config = Harness::config(ProtocolVersion::V5);
    config.topic_alias_maximum = topic_alias_maximum;
    let mut h = Harness::new(config);
    h.connect(false);
    h
}

fn with_alias(topic: &str, alias: u16, payload: &'static str) -> Publish {
    let mut p = if topic.is_empty() {
        Publish::new(TopicName::empty(), mqtt_proto::QosPid::AtMostOnce, payload)
    } else {
        publish_packet(topic, QoS::AtMostOnce, None, payload)
    };
    p.properties.topic_alias = NonZeroU16::new(alias);
    p
}

/// What the application sees: the full topic, the alias property kept.
fn resolved(topic: &str, alias: u16, payload: &'static str) -> Event {
    let mut p = with_alias(topic, alias, payload);
    p.set_topic(common::topic(topic));
    Event::Message(p)
}

#[test]
fn an_alias_defined_then_used() {
    let mut h = connected(4);
    h.server_sends(&with_alias("sensors/t1", 2, "a").into());
    h.server_sends(&with_alias("", 2, "b").into());
    assert_eq!(
        h.events(),
        [
            resolved("sensors/t1", 2, "a"),
            resolved("sensors/t1", 2, "b")
        ]
    );
    // Redefined: later uses get the new topic.
    h.server_sends(&with_alias("sensors/t2", 2, "c").into());
    h.server_sends(&with_alias("", 2, "d").into());
    assert_eq!(
        h.events(),
        [
            resolved("sensors/t2", 2, "c"),
            resolved("sensors/t2", 2, "d")
        ]
    );
    assert!(h.sent().is_empty());
}

// Aliases live as long as the connection (section 3.3.2.3.4): after a reconnect an alias must be
// defined again.
#[test]
fn aliases_do_not_survive_a_reconnect() {
    let mut h = connected(4);
    h.server_sends(&with_alias("a/b", 1, "x").into());
    h.events();
    h.client.handle_transport_closed(h.now);
    h.events();
    h.connect(true);
    h.server_sends(&with_alias("", 1, "y").into());
    assert_eq!(
        h.sent(),
        [Packet::Disconnect(Disconnect::new(
            ReasonCode::PROTOCOL_ERROR
        ))]
    );
}

fn violation(code: ReasonCode) -> Event {
    Event::Disconnected(DisconnectReason::ProtocolViolation {
        reason_code: code,
        error: None,
    })
}

// Section 3.3.2.3.4: an alias above the client's Topic
// Alias Maximum is answered with DISCONNECT 0x94 Topic Alias invalid.
#[test]
fn an_alias_above_the_maximum_is_0x94() {
    let mut h = connected(4);
    h.server_sends(&with_alias("a/b", 5, "x").into());
    assert_eq!(
        h.sent(),
        [Packet::Disconnect(Disconnect::new(
            ReasonCode::TOPIC_ALIAS_INVALID
        ))]
    );
    assert_eq!(h.events(), [violation(ReasonCode::TOPIC_ALIAS_INVALID)]);
}

#[test]
fn any_alias_when_the_client_allows_none_is_0x94() {
    let mut h = connected(0);
    h.server_sends(&with_alias("a/b", 1, "x").into());
    assert_eq!(
        h.sent(),
        [Packet::Disconnect(Disconnect::new(
            ReasonCode::TOPIC_ALIAS_INVALID
        ))]
    );
    assert_eq!(h.events(), [violation(ReasonCode::TOPIC_ALIAS_INVALID)]);
}

// Section 3.3.2.3.4: an empty topic with an alias the receiver has no mapping for is a Protocol
// Error (0x82).
#[test]
fn an_unknown_alias_is_0x82() {
    let mut h = connected(4);
    h.server_sends(&with_alias("a/b", 1, "x").into());
    h.server_sends(&with_alias("", 3, "y").into());
    assert_eq!(
        h.sent(),
        [Packet::Disconnect(Disconnect::new(
            ReasonCode::PROTOCOL_ERROR
        ))]
    );
    assert_eq!(
        h.events(),
        [
            resolved("a/b", 1, "x"),
            violation(ReasonCode::PROTOCOL_ERROR)
        ]
    );
}

/// The client's Topic Alias Maximum is the highest alias the server may use: that one is
/// taken, the one above it ends the connection ([MQTT-3.3.2-9]).
#[test]
fn the_maximum_itself_is_a_valid_alias() {
    let mut h = connected(3);
    h.server_sends(&with_alias("sensors/t3", 3, "a").into());
    h.server_sends(&with_alias("", 3, "b").into());
    assert_eq!(
        h.events(),
        [
            resolved("sensors/t3", 3, "a"),
            resolved("sensors/t3", 3, "b")
        ]
    );
    h.server_sends(&with_alias("sensors/t4", 4, "c").into());
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::ProtocolViolation {
            reason_code: ReasonCode::TOPIC_ALIAS_INVALID,
            ..
        })]
    ));
}
