//! Commands refused for local reasons: a typed error, and nothing queued or sent.

mod common;

use core::num::NonZeroU32;

use common::{Harness, filter, topic};
use mqtt_proto::{
    ConnAck, ProtocolVersion, QoS, ReasonCode, SubscribeProperties, Subscription, SubscriptionId,
};
use mqtt_sansio::{ClientError, Message};

/// Asserts that the failed command left no trace.
fn nothing_happened(h: &mut Harness, ids_before: u32, pending_before: usize) {
    assert!(h.sent().is_empty());
    assert!(h.events().is_empty());
    assert_eq!(h.client.packet_ids_in_use(), ids_before);
    assert_eq!(h.client.pending(), pending_before);
}

fn v5_connected(connack: ConnAck) -> Harness {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect_with(connack);
    h
}

#[test]
fn queue_full_past_max_pending() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1).with_max_pending(2));
    // Offline: every message waits.
    h.client
        .publish(Message::new(topic("t"), QoS::AtLeastOnce, "1"))
        .unwrap();
    h.client
        .publish(Message::new(topic("t"), QoS::AtMostOnce, "2"))
        .unwrap();
    assert_eq!(
        h.client
            .publish(Message::new(topic("t"), QoS::AtLeastOnce, "3")),
        Err(ClientError::QueueFull(2))
    );
    assert_eq!(
        h.client
            .publish(Message::new(topic("t"), QoS::AtMostOnce, "3")),
        Err(ClientError::QueueFull(2))
    );
    nothing_happened(&mut h, 1, 2);
    // Once connected and sent, there is room again.
    h.connect(false);
    assert_eq!(h.sent().len(), 2);
    assert_eq!(
        h.client
            .publish(Message::new(topic("t"), QoS::AtLeastOnce, "3")),
        Ok(Some(common::pid(2)))
    );
}

#[test]
fn queue_full_behind_a_full_window() {
    let config = Harness::config(ProtocolVersion::V3_1_1)
        .with_max_inflight(1)
        .with_max_pending(1);
    let mut h = Harness::new(config);
    h.connect(false);
    let m = || Message::new(topic("t"), QoS::AtLeastOnce, "x");
    h.client.publish(m()).unwrap();
    h.client.publish(m()).unwrap();
    h.sent();
    assert_eq!(h.client.publish(m()), Err(ClientError::QueueFull(1)));
    nothing_happened(&mut h, 2, 1);
}

// 5.0 section 3.2.2.3.4: the client does not publish above the server's Maximum QoS.
#[test]
fn qos_not_supported() {
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.maximum_qos = Some(QoS::AtLeastOnce);
    let mut h = v5_connected(connack);
    assert_eq!(
        h.client
            .publish(Message::new(topic("t"), QoS::ExactlyOnce, "x")),
        Err(ClientError::QosNotSupported {
            requested: QoS::ExactlyOnce,
            maximum: QoS::AtLeastOnce,
        })
    );
    nothing_happened(&mut h, 0, 0);
    assert!(
        h.client
            .publish(Message::new(topic("t"), QoS::AtLeastOnce, "x"))
            .is_ok()
    );
}

// 5.0 section 3.2.2.3.5: no retained messages when Retain Available is 0.
#[test]
fn retain_not_supported() {
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.retain_available = Some(false);
    let mut h = v5_connected(connack);
    let mut message = Message::new(topic("t"), QoS::AtLeastOnce, "x");
    message.retain = true;
    assert_eq!(
        h.client.publish(message),
        Err(ClientError::RetainNotSupported)
    );
    nothing_happened(&mut h, 0, 0);
}

// 5.0 section 3.2.2.3.6: nothing larger than the server's Maximum Packet Size, counting the whole
// packet.
#[test]
fn packet_too_large() {
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.maximum_packet_size = NonZeroU32::new(20);
    let mut h = v5_connected(connack);
    // 1 + 1 + (2 + 1 topic) + 2 id + 1 property length + payload = 8 + payload.
    assert_eq!(
        h.client
            .publish(Message::new(topic("t"), QoS::AtLeastOnce, "0123456789abc")),
        Err(ClientError::PacketTooLarge {
            size: 21,
            maximum: 20
        })
    );
    nothing_happened(&mut h, 0, 0);
    assert!(
        h.client
            .publish(Message::new(topic("t"), QoS::AtLeastOnce, "0123456789ab"))
            .is_ok(),
        "20 bytes fit"
    );
    assert_eq!(h.sent().len(), 1);
}

#[test]
fn subscription_features_not_supported() {
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.wildcard_subscription_available = Some(false);
    connack.properties.shared_subscription_available = Some(false);
    connack.properties.subscription_identifiers_available = Some(false);
    let mut h = v5_connected(connack);
    let sub = |f| vec![Subscription::new(filter(f), QoS::AtMostOnce)];
    assert_eq!(
        h.client
            .subscribe(sub("a/+/c"), SubscribeProperties::default()),
        Err(ClientError::WildcardSubscriptionsNotSupported)
    );
    assert_eq!(
        h.client
            .subscribe(sub("$share/g/a"), SubscribeProperties::default()),
        Err(ClientError::SharedSubscriptionsNotSupported)
    );
    let mut with_id = SubscribeProperties::default();
    with_id.subscription_identifier = SubscriptionId::new(7);
    assert_eq!(
        h.client.subscribe(sub("a/b"), with_id),
        Err(ClientError::SubscriptionIdentifiersNotSupported)
    );
    nothing_happened(&mut h, 0, 0);
    assert!(
        h.client
            .subscribe(sub("a/b"), SubscribeProperties::default())
            .is_ok()
    );
}

#[test]
fn an_empty_subscribe_is_refused() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    assert!(matches!(
        h.client
            .subscribe(Vec::new(), SubscribeProperties::default()),
        Err(ClientError::Encode(_))
    ));
    nothing_happened(&mut h, 0, 0);
}
