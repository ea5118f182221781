//! Topic aliases the application puts on its own messages (MQTT 5.0 section 3.3.2.3.4): checked
//! against the server's Topic Alias Maximum and against what this connection has set.

mod common;

use core::num::NonZeroU16;

use common::Harness;
use mqtt_proto::{ConnAck, ConnAckProperties, Packet, ProtocolVersion, QoS, ReasonCode, TopicName};
use mqtt_sansio::{ClientError, Event, Message};

fn connected(server_maximum: u16) -> Harness {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    let mut properties = ConnAckProperties::default();
    properties.topic_alias_maximum = Some(server_maximum);
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties = properties.into();
    h.connect_with(connack);
    h.sent();
    h
}

fn aliased(topic: &str, alias: u16) -> Message {
    let topic = if topic.is_empty() {
        TopicName::empty()
    } else {
        TopicName::new(topic).unwrap()
    };
    let mut message = Message::new(topic, QoS::AtMostOnce, "x");
    message.properties.topic_alias = NonZeroU16::new(alias);
    message
}

#[test]
fn an_alias_set_then_used_goes_out_as_given() {
    let mut h = connected(2);
    h.client.publish(aliased("sensors/t1", 2)).unwrap();
    h.client.publish(aliased("", 2)).unwrap();
    let sent = h.sent();
    let [Packet::Publish(first), Packet::Publish(second)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(first.topic(), "sensors/t1");
    assert_eq!(second.topic(), "");
    assert_eq!(second.properties.topic_alias, NonZeroU16::new(2));
}

#[test]
fn an_alias_above_the_server_maximum_is_refused() {
    // [MQTT-3.3.2-9]
    let mut h = connected(2);
    assert_eq!(
        h.client.publish(aliased("sensors/t1", 3)),
        Err(ClientError::TopicAliasInvalid {
            alias: 3,
            maximum: 2
        })
    );
    let mut h = connected(0);
    assert!(matches!(
        h.client.publish(aliased("sensors/t1", 1)),
        Err(ClientError::TopicAliasInvalid { maximum: 0, .. })
    ));
    assert!(h.sent().is_empty(), "nothing was sent");
}

#[test]
fn an_alias_never_set_cannot_stand_for_a_topic() {
    let mut h = connected(5);
    assert!(matches!(
        h.client.publish(aliased("", 1)),
        Err(ClientError::TopicAliasInvalid { alias: 1, .. })
    ));
    // Aliases last one connection.
    h.client.publish(aliased("a/b", 1)).unwrap();
    h.sent();
    h.client.handle_transport_closed(h.now);
    let mut properties = ConnAckProperties::default();
    properties.topic_alias_maximum = Some(5);
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties = properties.into();
    h.connect_with(connack);
    assert!(matches!(
        h.client.publish(aliased("", 1)),
        Err(ClientError::TopicAliasInvalid { .. })
    ));
}

fn reconnect(h: &mut Harness, server_maximum: u16, session_present: bool) -> Vec<Event> {
    h.client.handle_transport_closed(h.now);
    h.events();
    let mut properties = ConnAckProperties::default();
    properties.topic_alias_maximum = Some(server_maximum);
    let mut connack = ConnAck::new(session_present, ReasonCode::SUCCESS);
    connack.properties = properties.into();
    h.connect_with(connack)
}

fn at_least_once(mut message: Message) -> Message {
    message.qos = QoS::AtLeastOnce;
    message
}

/// A QoS 1 message first sent as its alias alone goes again with its topic name after a
/// reconnect: aliases do not outlive their connection (section 3.3.2.3.4).
#[test]
fn a_message_sent_by_alias_is_resent_with_its_topic() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5).with_clean_start(false));
    let mut properties = ConnAckProperties::default();
    properties.topic_alias_maximum = Some(4);
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties = properties.into();
    h.connect_with(connack);
    h.client
        .publish(at_least_once(aliased("sensors/t1", 2)))
        .unwrap();
    h.client.publish(at_least_once(aliased("", 2))).unwrap();
    let sent = h.sent();
    assert!(matches!(&sent[1], Packet::Publish(p) if p.topic().is_empty()));
    reconnect(&mut h, 4, true);
    let sent = h.sent();
    let [Packet::Publish(first), Packet::Publish(second)] = &sent[..] else {
        panic!("{sent:?}")
    };
    for p in [first, second] {
        assert!(p.dup);
        assert_eq!(p.topic(), "sensors/t1", "{p:?}");
        assert_eq!(p.properties.topic_alias, NonZeroU16::new(2));
    }
    // Once set again on this connection, the alias alone does.
    h.client.publish(aliased("", 2)).unwrap();
    assert!(matches!(&h.sent()[..], [Packet::Publish(p)] if p.topic().is_empty()));
}

/// A server that now takes fewer aliases gets the messages that waited with their topic name
/// and without the alias it does not take.
#[test]
fn an_alias_above_the_new_maximum_is_left_out() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5).with_clean_start(false));
    let mut properties = ConnAckProperties::default();
    properties.topic_alias_maximum = Some(4);
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties = properties.into();
    h.connect_with(connack);
    h.client.handle_transport_closed(h.now);
    h.events();
    // Accepted while disconnected, against the last connection's limits.
    h.client.publish(at_least_once(aliased("a/b", 3))).unwrap();
    h.client.publish(aliased("", 3)).unwrap();
    let events = reconnect(&mut h, 1, true);
    assert!(
        !events.iter().any(|e| matches!(e, Event::Failed { .. })),
        "{events:?}"
    );
    let sent = h.sent();
    assert_eq!(sent.len(), 2);
    for p in &sent {
        let Packet::Publish(p) = p else {
            panic!("{p:?}")
        };
        assert_eq!((p.topic(), p.properties.topic_alias), ("a/b", None));
    }
}
