//! Sessions kept across connections: subscriptions, and unfinished outbound messages resent
//! with DUP (\[MQTT-4.4.0-1\]).

mod common;

use core::num::NonZeroU16;

use common::{connect, connect_packet, drain, id, publish, send, subscribe};
use mqtt_proto::{Packet, ProtocolVersion, PubRec, PubRel, QoS, QosPid};
use mqtt_test::{BrokerConfig, FakeBroker};

#[test]
fn unacknowledged_messages_are_resent_with_dup_on_resumption() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    assert!(!connect(&mut broker, v, "c1", false));
    broker.publish_to_client(publish("t", QosPid::AtLeastOnce(id(1)), "one"));
    broker.publish_to_client(publish("t", QosPid::ExactlyOnce(id(1)), "two"));
    drain(&mut broker, v);
    send(&mut broker, v, PubRec::new(id(2)));
    assert_eq!(drain(&mut broker, v), [PubRel::new(id(2)).into()]);
    broker.connection_closed();
    // Offline: a queued message waits, never sent, so without DUP.
    broker.publish_to_client(publish("t", QosPid::AtLeastOnce(id(1)), "three"));

    broker.new_connection();
    send(&mut broker, v, connect_packet("c1", false));
    let mut one = publish("t", QosPid::AtLeastOnce(id(1)), "one");
    one.dup = true;
    assert_eq!(
        drain(&mut broker, v),
        [
            mqtt_proto::ConnAck::new(true, mqtt_proto::ReasonCode::SUCCESS).into(),
            one.into(),
            PubRel::new(id(2)).into(),
            publish("t", QosPid::AtLeastOnce(id(3)), "three").into(),
        ]
    );
    assert_eq!(broker.connections(), 2);
}

#[test]
fn subscriptions_survive_in_a_persistent_session() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    let mut connect5 = connect_packet("c1", true);
    connect5.properties.session_expiry_interval = Some(60);
    send(&mut broker, v, connect5.clone());
    send(&mut broker, v, subscribe(1, &[("t", QoS::AtMostOnce)]));
    broker.new_connection();
    connect5.clean_start = false;
    send(&mut broker, v, connect5);
    send(&mut broker, v, publish("t", QosPid::AtMostOnce, "x"));
    let out = drain(&mut broker, v);
    assert!(matches!(&out[..], [Packet::ConnAck(a), Packet::Publish(_)] if a.session_present));
}

#[test]
fn clean_start_and_expiry_zero_drop_the_session() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", false);
    broker.connection_closed();
    assert!(
        broker.session("c1").is_none(),
        "expiry 0: the session ends with the connection"
    );

    let v3 = ProtocolVersion::V3_1_1;
    broker.new_connection();
    connect(&mut broker, v3, "c1", false);
    broker.new_connection();
    assert!(broker.session("c1").is_some());
    assert!(
        !connect(&mut broker, v3, "c1", true),
        "Clean Session discards it"
    );
}

#[test]
fn the_clients_receive_maximum_bounds_outbound_messages() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    let mut c = connect_packet("c1", true);
    c.properties.receive_maximum = NonZeroU16::new(1);
    send(&mut broker, v, c);
    drain(&mut broker, v);
    broker.publish_to_client(publish("t", QosPid::AtLeastOnce(id(1)), "a"));
    broker.publish_to_client(publish("t", QosPid::AtLeastOnce(id(1)), "b"));
    assert_eq!(drain(&mut broker, v).len(), 1);
    send(&mut broker, v, mqtt_proto::PubAck::new(id(1)));
    assert_eq!(
        drain(&mut broker, v),
        [publish("t", QosPid::AtLeastOnce(id(2)), "b").into()]
    );
}
