//! SUBSCRIBE / UNSUBSCRIBE answers, and the client's publications routed back to it.

mod common;

use common::{connect, drain, id, publish, send, subscribe};
use mqtt_proto::{
    Packet, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, QoS, QosPid, ReasonCode, SubAck,
    SubscriptionId, TopicFilter, UnsubAck, Unsubscribe,
};
use mqtt_test::{BrokerConfig, FakeBroker, Violation};

#[test]
fn suback_grants_the_requested_qos_capped_by_the_maximum() {
    let v = ProtocolVersion::V3_1_1;
    let mut config = BrokerConfig::new();
    config.max_granted_qos = QoS::AtLeastOnce;
    config
        .subscribe_failures
        .insert("denied/#".into(), ReasonCode::NOT_AUTHORIZED);
    let mut broker = FakeBroker::new(config);
    connect(&mut broker, v, "c1", true);
    send(
        &mut broker,
        v,
        subscribe(
            4,
            &[
                ("a", QoS::AtMostOnce),
                ("b", QoS::ExactlyOnce),
                ("denied/#", QoS::AtLeastOnce),
            ],
        ),
    );
    // 3.x has one failure code: 0x80.
    assert_eq!(
        &broker.poll_transmit().unwrap()[..],
        [0x90, 0x05, 0x00, 0x04, 0x00, 0x01, 0x80]
    );
    let filters: Vec<_> = broker
        .session("c1")
        .unwrap()
        .subscriptions()
        .iter()
        .map(|s| s.filter.as_str().to_owned())
        .collect();
    assert_eq!(filters, ["a", "b"]);
}

#[test]
fn suback_failure_codes_are_kept_in_5_0() {
    let v = ProtocolVersion::V5;
    let mut config = BrokerConfig::new();
    config
        .subscribe_failures
        .insert("x".into(), ReasonCode::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED);
    let mut broker = FakeBroker::new(config);
    connect(&mut broker, v, "c1", true);
    send(&mut broker, v, subscribe(1, &[("x", QoS::AtLeastOnce)]));
    assert_eq!(
        drain(&mut broker, v),
        [SubAck::new(
            id(1),
            vec![ReasonCode::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED]
        )
        .into()]
    );
}

#[test]
fn a_matching_publication_comes_back_at_the_lower_qos() {
    let v = ProtocolVersion::V3_1_1;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    send(&mut broker, v, subscribe(1, &[("s/+", QoS::AtLeastOnce)]));
    drain(&mut broker, v);

    send(
        &mut broker,
        v,
        publish("s/1", QosPid::ExactlyOnce(id(10)), "hot"),
    );
    send(
        &mut broker,
        v,
        publish("other", QosPid::AtLeastOnce(id(11)), "no"),
    );
    let out = drain(&mut broker, v);
    assert_eq!(
        out,
        [
            PubRec::new(id(10)).into(),
            publish("s/1", QosPid::AtLeastOnce(id(1)), "hot").into(),
            PubAck::new(id(11)).into(),
        ]
    );
    assert_eq!(broker.session("c1").unwrap().in_flight(), 1);
    send(&mut broker, v, PubAck::new(id(1)));
    assert_eq!(broker.session("c1").unwrap().in_flight(), 0);
    assert!(broker.violations().is_empty());
}

#[test]
fn an_outbound_qos2_message_completes_with_pubrel_and_pubcomp() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    let sent = broker.publish_to_client(publish("t", QosPid::ExactlyOnce(id(99)), "m"));
    assert_eq!(sent, Some(id(1)));
    assert_eq!(
        drain(&mut broker, v),
        [publish("t", QosPid::ExactlyOnce(id(1)), "m").into()]
    );
    send(&mut broker, v, PubRec::new(id(1)));
    assert_eq!(drain(&mut broker, v), [PubRel::new(id(1)).into()]);
    send(&mut broker, v, PubComp::new(id(1)));
    assert_eq!(broker.session("c1").unwrap().unacknowledged().count(), 0);
    assert!(broker.violations().is_empty());
}

#[test]
fn an_ack_for_an_unknown_id_is_recorded() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    send(&mut broker, v, PubAck::new(id(5)));
    assert_eq!(
        broker.violations(),
        [Violation::UnknownPacketId {
            packet_type: mqtt_proto::PacketType::PubAck,
            packet_id: id(5)
        }]
    );
    assert!(broker.is_connected());
}

#[test]
fn subscription_identifiers_tag_routed_messages_and_no_local_skips_them() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    let mut sub = subscribe(1, &[("a/#", QoS::AtMostOnce)]);
    sub.properties.subscription_identifier = SubscriptionId::new(42);
    send(&mut broker, v, sub);
    let mut local = subscribe(2, &[("b", QoS::AtMostOnce)]);
    local.subscriptions[0].options.no_local = true;
    send(&mut broker, v, local);
    drain(&mut broker, v);

    send(&mut broker, v, publish("a/x", QosPid::AtMostOnce, "1"));
    send(&mut broker, v, publish("b", QosPid::AtMostOnce, "2"));
    let out = drain(&mut broker, v);
    assert!(matches!(&out[..], [Packet::Publish(p)]
        if p.topic() == "a/x" && p.properties.subscription_identifiers == [SubscriptionId::new(42).unwrap()]));
}

#[test]
fn unsubscribe_stops_routing() {
    let v = ProtocolVersion::V5;
    let mut broker = FakeBroker::new(BrokerConfig::new());
    connect(&mut broker, v, "c1", true);
    send(&mut broker, v, subscribe(1, &[("t", QoS::AtMostOnce)]));
    let filters = vec![
        TopicFilter::new("t").unwrap(),
        TopicFilter::new("u").unwrap(),
    ];
    send(&mut broker, v, Unsubscribe::new(id(2), filters));
    send(&mut broker, v, publish("t", QosPid::AtMostOnce, "x"));
    let out = drain(&mut broker, v);
    assert_eq!(
        out[1..],
        [UnsubAck::new(
            id(2),
            vec![ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED]
        )
        .into()]
    );
}
