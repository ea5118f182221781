//! "5.0, else 3.1.1" (`Policy::version_fallback`): a broker that refuses MQTT 5.0 (a 3.1.1
//! CONNACK 0x01 [MQTT-3.1.2-2], a 5.0 CONNACK 0x84, or a close before any CONNACK) is tried
//! again at once in 3.1.1, with what waits kept, and spoken to in 3.1.1 from then on; each
//! broker of a fleet for itself.

mod common;

use core::time::Duration;

use bytes::Buf;
use common::rig::Rig;
use mqtt_proto::{MqttString, ProtocolVersion, QoS, ReasonCode, TopicName};
use mqtt_sansio::{Config, ConnectionEvent, DisconnectReason, End, Message, Next, Output, Policy};
use mqtt_test::{BrokerConfig, ConnectAnswer};

fn policy(fallback: bool) -> Policy {
    let mut policy = Policy::default();
    policy.version_fallback = fallback;
    policy
}

fn v5_rig(broker: BrokerConfig, fallback: bool) -> Rig {
    Rig::unopened(
        Config::new(MqttString::from_static("fallback")).with_version(ProtocolVersion::V5),
        broker,
        policy(fallback),
    )
}

fn v3_only() -> BrokerConfig {
    let mut broker = BrokerConfig::new();
    broker.speaks_v5 = false;
    broker
}

/// One attempt: the events and, when it ended, the decision.
fn attempt(rig: &mut Rig, first: bool) -> (Vec<ConnectionEvent>, Option<Next>) {
    rig.broker.new_connection();
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    let mut seen = rig.events();
    let Some(reason) = seen.iter().find_map(|e| match e {
        ConnectionEvent::Disconnected(reason) => Some(reason.clone()),
        _ => None,
    }) else {
        return (seen, None);
    };
    let end = rig.s.handle_closed(reason, true);
    let next = rig.s.handle_end(rig.now, &end, first, false, u32::MAX);
    seen.extend(rig.events());
    (seen, Some(next))
}

/// The broker closes the connection that is up: the decision.
fn lose(rig: &mut Rig) -> Next {
    rig.broker.connection_closed();
    rig.s.handle_transport_closed(rig.now);
    let _ = rig.events();
    let end = rig.s.handle_closed(DisconnectReason::TransportClosed, true);
    let next = rig.s.handle_end(rig.now, &end, false, false, u32::MAX);
    let _ = rig.events();
    next
}

fn connected_version(events: &[ConnectionEvent]) -> Option<ProtocolVersion> {
    events.iter().find_map(|e| match e {
        ConnectionEvent::Connected { version, .. } => Some(*version),
        _ => None,
    })
}

#[test]
fn a_3_1_1_broker_gets_3_1_1_at_once_with_what_waits() {
    // [MQTT-3.1.2-2]: a 3.1.1 broker answers a 5.0 CONNECT with a 3.1.1 CONNACK 0x01.
    let mut rig = v5_rig(v3_only(), true);
    let topic = TopicName::new("fallback/t").unwrap();
    rig.s
        .publish(Message::new(topic, QoS::AtLeastOnce, "kept"), 7);
    let (events, next) = attempt(&mut rig, true);
    assert!(
        events.iter().any(|e| matches!(
            e,
            ConnectionEvent::Disconnected(DisconnectReason::Refused(connack))
                if connack.reason_code == ReasonCode::UNSUPPORTED_PROTOCOL_VERSION
        )),
        "{events:?}"
    );
    assert_eq!(
        next,
        Some(Next::Retry(Duration::ZERO)),
        "even the first connection"
    );
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V3_1_1);
    rig.broker.new_connection();
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    let outputs = rig.outputs();
    assert!(outputs.iter().any(|o| matches!(
        o,
        Output::Event(ConnectionEvent::Connected {
            version: ProtocolVersion::V3_1_1,
            ..
        })
    )));
    assert!(
        outputs
            .iter()
            .any(|o| matches!(o, Output::Done(7, mqtt_sansio::Done::Published(Ok(_))))),
        "{outputs:?}"
    );
    // The message waited and went in 3.1.1: the broker decoded it as such.
    let received: Vec<_> = rig
        .broker
        .received()
        .iter()
        .filter_map(|p| match p {
            mqtt_proto::Packet::Publish(publish) => Some(publish.payload().to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(received, [b"kept".to_vec()]);
}

#[test]
fn a_connack_0x84_and_a_silent_close_fall_back_too() {
    let mut broker = BrokerConfig::new();
    broker.connect_answer = ConnectAnswer::Refuse(ReasonCode::UNSUPPORTED_PROTOCOL_VERSION);
    let mut rig = v5_rig(broker, true);
    assert_eq!(
        attempt(&mut rig, false).1,
        Some(Next::Retry(Duration::ZERO))
    );
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V3_1_1);

    // A broker that closes the connection before any CONNACK.
    let mut broker = BrokerConfig::new();
    broker.connect_answer = ConnectAnswer::NoAnswer;
    let mut rig = v5_rig(broker, true);
    rig.broker.new_connection();
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    rig.broker.connection_closed();
    rig.s.handle_transport_closed(rig.now);
    let end = rig.s.handle_closed(DisconnectReason::TransportClosed, true);
    assert_eq!(end, End::Reason(DisconnectReason::TransportClosed));
    assert_eq!(
        rig.s.handle_end(rig.now, &end, true, false, u32::MAX),
        Next::Retry(Duration::ZERO)
    );
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V3_1_1);
}

#[test]
fn other_refusals_are_no_reason_to_fall_back() {
    let mut broker = BrokerConfig::new();
    broker.connect_answer = ConnectAnswer::Refuse(ReasonCode::BAD_USER_NAME_OR_PASSWORD);
    let mut rig = v5_rig(broker, true);
    assert_eq!(attempt(&mut rig, true).1, Some(Next::Stop));
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V5);
    let mut broker = BrokerConfig::new();
    broker.connect_answer = ConnectAnswer::Refuse(ReasonCode::SERVER_BUSY);
    let mut rig = v5_rig(broker, true);
    assert!(matches!(attempt(&mut rig, false).1, Some(Next::Retry(d)) if d > Duration::ZERO));
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V5);
}

#[test]
fn the_second_broker_of_a_fleet_falls_back_for_itself() {
    // Broker 0 speaks 5.0, broker 1 (the fake broker, once it stops speaking 5.0) does not.
    let mut rig = v5_rig(BrokerConfig::new(), true);
    rig.s.set_brokers(2);
    let (events, _) = attempt(&mut rig, true);
    assert_eq!(connected_version(&events), Some(ProtocolVersion::V5));
    rig.broker.config_mut().speaks_v5 = false;
    assert_eq!(lose(&mut rig), Next::Retry(Duration::ZERO));
    assert_eq!(rig.s.broker(), 1);
    assert_eq!(
        attempt(&mut rig, false).1,
        Some(Next::Retry(Duration::ZERO))
    );
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V3_1_1);
    let (events, _) = attempt(&mut rig, false);
    assert_eq!(connected_version(&events), Some(ProtocolVersion::V3_1_1));
    // Back to broker 0 in 5.0, then to broker 1 in 3.1.1 at once.
    rig.broker.config_mut().speaks_v5 = true;
    assert_eq!(lose(&mut rig), Next::Retry(Duration::ZERO));
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V5);
    let (events, _) = attempt(&mut rig, false);
    assert_eq!(connected_version(&events), Some(ProtocolVersion::V5));
    assert_eq!(lose(&mut rig), Next::Retry(Duration::ZERO));
    assert_eq!(rig.s.broker(), 1);
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V3_1_1);
}

#[test]
fn without_the_setting_a_refusal_of_5_0_is_a_refusal() {
    let mut rig = v5_rig(v3_only(), false);
    assert_eq!(attempt(&mut rig, true).1, Some(Next::Stop));
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V5);
    // A 3.1.1 refusal of 3.1.1 is not a reason to fall further.
    let mut broker = BrokerConfig::new();
    broker.connect_answer = ConnectAnswer::Refuse(ReasonCode::UNSUPPORTED_PROTOCOL_VERSION);
    let mut rig = Rig::unopened(
        Config::new(MqttString::from_static("v3")).with_version(ProtocolVersion::V3_1_1),
        broker,
        policy(true),
    );
    assert_eq!(attempt(&mut rig, true).1, Some(Next::Stop));
}

#[test]
fn an_accepted_5_0_connection_that_closes_is_no_refusal() {
    let mut rig = v5_rig(BrokerConfig::new(), true);
    let (events, _) = attempt(&mut rig, true);
    assert_eq!(connected_version(&events), Some(ProtocolVersion::V5));
    assert!(matches!(lose(&mut rig), Next::Retry(d) if d > Duration::ZERO));
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V5);
}

#[test]
fn each_broker_of_a_fleet_keeps_its_own_version() {
    let mut rig = v5_rig(v3_only(), true);
    rig.s.set_brokers(2);
    // Broker 0 speaks 3.1.1 only: fallen back, then connected.
    assert_eq!(attempt(&mut rig, true).1, Some(Next::Retry(Duration::ZERO)));
    let (events, _) = attempt(&mut rig, true);
    assert_eq!(connected_version(&events), Some(ProtocolVersion::V3_1_1));
    // The connection is lost: broker 1 (which the fake broker now plays, speaking 5.0) gets
    // 5.0 again.
    rig.broker.config_mut().speaks_v5 = true;
    assert_eq!(lose(&mut rig), Next::Retry(Duration::ZERO));
    assert_eq!(rig.s.broker(), 1);
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V5);
    let (events, _) = attempt(&mut rig, false);
    assert_eq!(connected_version(&events), Some(ProtocolVersion::V5));
    // Lost again: back to broker 0, in 3.1.1 straight away.
    assert_eq!(lose(&mut rig), Next::Retry(Duration::ZERO));
    assert_eq!(rig.s.broker(), 0);
    assert_eq!(rig.s.client().config().version, ProtocolVersion::V3_1_1);
    // The next CONNECT is a 3.1.1 one.
    rig.broker.new_connection();
    rig.s.handle_transport_open(rig.now);
    let mut out = mqtt_sansio::Chunks::new();
    assert!(rig.s.poll_transmit(rig.now, &mut out));
    let bytes = out.copy_to_bytes(out.len());
    // Fixed header, "MQTT", then the protocol level 4 [MQTT-3.1.2-2].
    assert_eq!(bytes[8], 4, "{bytes:02x?}");
}
