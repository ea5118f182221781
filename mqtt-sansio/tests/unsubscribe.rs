//! UNSUBSCRIBE: its result, and the filters it forgets for a session the server lost.

mod common;

use common::Harness;
use mqtt_proto::{
    ConnAck, Packet, PacketId, ProtocolVersion, QoS, ReasonCode, SubAck, SubscribeProperties,
    Subscription, TopicFilter, UnsubAck, Unsubscribe, UnsubscribeProperties,
};
use mqtt_sansio::Event;

fn filter(s: &str) -> TopicFilter {
    TopicFilter::new(s).unwrap()
}

#[test]
fn unsuback_reports_per_filter_results_v5() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    let id = h
        .client
        .unsubscribe(
            vec![filter("a/#"), filter("b")],
            UnsubscribeProperties::default(),
        )
        .unwrap();
    assert_eq!(
        h.sent(),
        [Packet::Unsubscribe(Unsubscribe::new(
            id,
            vec![filter("a/#"), filter("b")]
        ))]
    );
    let codes = vec![ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED];
    h.server_sends(&Packet::UnsubAck(UnsubAck::new(id, codes.clone())));
    let events = h.events();
    assert!(matches!(
        &events[..],
        [Event::Unsubscribed { packet_id, reason_codes, .. }] if *packet_id == id && *reason_codes == codes
    ));
    assert_eq!(h.client.packet_ids_in_use(), 0);
}

#[test]
fn unsubscribed_filters_are_not_made_again_after_a_session_loss() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    let subs = vec![
        Subscription::new(filter("keep/#"), QoS::AtLeastOnce),
        Subscription::new(filter("drop/#"), QoS::AtLeastOnce),
    ];
    let id = h
        .client
        .subscribe(subs, SubscribeProperties::default())
        .unwrap();
    h.sent();
    h.server_sends(&Packet::SubAck(SubAck::new(
        id,
        vec![ReasonCode::GRANTED_QOS_1; 2],
    )));
    let id = h
        .client
        .unsubscribe(vec![filter("drop/#")], UnsubscribeProperties::default())
        .unwrap();
    h.sent();
    h.server_sends(&Packet::UnsubAck(UnsubAck::new(id, vec![])));
    h.events();

    h.client.handle_transport_closed(h.now);
    h.open();
    h.server_sends(&ConnAck::new(false, ReasonCode::SUCCESS).into());
    let events = h.events();
    let Some(Event::SessionReset(reset)) = events.get(2) else {
        panic!("{events:?}")
    };
    assert_eq!(reset.resubscribed, [filter("keep/#")]);
    let sent = h.sent();
    let [Packet::Subscribe(again)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(
        again.subscriptions,
        [Subscription::new(filter("keep/#"), QoS::AtLeastOnce)]
    );
}

// Section 3.3.4 (5.0): more unacknowledged QoS 1 and 2 messages than the client's Receive Maximum
// is a protocol error answered with 0x93.
#[test]
fn receive_maximum_exceeded_v5() {
    let mut config = Harness::config(ProtocolVersion::V5).with_manual_acks(true);
    config.receive_maximum = Some(2);
    let mut h = Harness::new(config);
    h.connect(false);
    for id in 1..=3 {
        let publish = mqtt_proto::Publish::new(
            mqtt_proto::TopicName::new("t").unwrap(),
            mqtt_proto::QosPid::AtLeastOnce(PacketId::new(id).unwrap()),
            "x",
        );
        h.server_sends(&Packet::Publish(publish));
    }
    assert_eq!(
        h.sent(),
        [Packet::Disconnect(mqtt_proto::Disconnect::new(
            ReasonCode::RECEIVE_MAXIMUM_EXCEEDED
        ))]
    );
    let events = h.events();
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Message(_)))
            .count(),
        2
    );
    assert!(matches!(events.last(), Some(Event::Disconnected(_))));
}

// A 3.1.1 server never sends DISCONNECT (section 3.14 of 3.1.1 is client to server only).
#[test]
fn disconnect_from_a_3_1_1_server_is_a_protocol_violation() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    h.server_sends(&Packet::Disconnect(mqtt_proto::Disconnect::default()));
    assert!(h.sent().is_empty(), "3.1.1 has nothing to say back");
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(
            mqtt_sansio::DisconnectReason::ProtocolViolation { .. }
        )]
    ));
}
