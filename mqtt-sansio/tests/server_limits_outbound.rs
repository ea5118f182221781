//! Every packet the client sends stays within the server's limits ([MQTT-3.2.2-15],
//! [MQTT-3.2.2-11], [MQTT-3.2.2-14], [MQTT-4.9.0-2]), also for what was queued or in flight
//! when a new CONNACK lowered them: a command that cannot fit fails with a typed error and
//! nothing is written; a queued message that no longer fits ends with `Event::Failed`, never
//! sent to get the client disconnected, never dropped without a word.

mod common;

use core::num::{NonZeroU16, NonZeroU32};

use bytes::Bytes;
use common::{Harness, filter, pid, topic};
use mqtt_proto::{
    AuthProperties, ConnAck, ConnAckProperties, DisconnectProperties, Packet, ProtocolVersion, QoS,
    ReasonCode, SubAck, SubscribeProperties, Subscription, UnsubscribeProperties, UserProperty,
};
use mqtt_sansio::{ClientError, CommandId, Event, Message};

fn connack(limits: impl FnOnce(&mut ConnAckProperties), session_present: bool) -> ConnAck {
    let mut properties = ConnAckProperties::default();
    limits(&mut properties);
    let mut connack = ConnAck::new(session_present, ReasonCode::SUCCESS);
    connack.properties = properties.into();
    connack
}

fn max_size(size: u32) -> impl FnOnce(&mut ConnAckProperties) {
    move |p| p.maximum_packet_size = NonZeroU32::new(size)
}

fn client(session: bool) -> Harness {
    let config = Harness::config(ProtocolVersion::V5).with_clean_start(!session);
    Harness::new(config)
}

fn long_filter(len: usize) -> Subscription {
    Subscription::new(filter(&"f".repeat(len)), QoS::AtLeastOnce)
}

fn too_large(result: &Result<impl core::fmt::Debug, ClientError>, maximum: u32) {
    assert!(
        matches!(result, Err(ClientError::PacketTooLarge { maximum: m, size }) if *m == maximum && *size > maximum as usize),
        "{result:?}"
    );
}

#[test]
fn subscribe_unsubscribe_disconnect_and_auth_are_checked_when_given() {
    let mut h = client(false);
    h.connect_with(connack(max_size(40), false));
    h.sent();
    // SUBSCRIBE: fixed header 2, id 2, properties 1, filter 2 + 30, options 1 = 38 bytes.
    let fits = h
        .client
        .subscribe(vec![long_filter(30)], SubscribeProperties::default());
    assert_eq!(fits, Ok(pid(1)));
    assert_eq!(h.sent().len(), 1);
    too_large(
        &h.client
            .subscribe(vec![long_filter(33)], SubscribeProperties::default()),
        40,
    );
    too_large(
        &h.client.unsubscribe(
            vec![filter(&"u".repeat(40))],
            UnsubscribeProperties::default(),
        ),
        40,
    );
    let mut properties = DisconnectProperties::default();
    properties.user_properties = vec![UserProperty::new(
        mqtt_proto::MqttString::from_static("k"),
        mqtt_proto::MqttString::new("v".repeat(40)).unwrap(),
    )];
    too_large(
        &h.client
            .disconnect_with(ReasonCode::NORMAL_DISCONNECTION, properties),
        40,
    );
    let mut auth = AuthProperties::default();
    auth.authentication_method = Some(mqtt_proto::MqttString::from_static("m"));
    auth.authentication_data = Some(Bytes::from(vec![0; 40]));
    too_large(&h.client.auth(ReasonCode::RE_AUTHENTICATE, auth), 40);
    // Nothing was written, the connection stays, the refused ones took no identifier.
    assert!(h.sent().is_empty());
    assert!(h.events().is_empty());
    assert!(h.client.is_connected());
    assert_eq!(h.client.packet_ids_in_use(), 1);
}

/// Queued while disconnected, then the server's new limits: the requests and messages that no
/// longer fit fail, the others go out in order.
#[test]
fn what_waited_is_checked_against_the_new_connection() {
    let mut h = client(false);
    h.connect_with(connack(|_| {}, false));
    h.client.handle_transport_closed(h.now);
    h.events();
    let big_sub = h
        .client
        .subscribe(vec![long_filter(100)], SubscribeProperties::default())
        .unwrap();
    let small_sub = h
        .client
        .subscribe(vec![long_filter(5)], SubscribeProperties::default())
        .unwrap();
    let big = h
        .client
        .publish(Message::new(topic("t"), QoS::AtLeastOnce, vec![0; 100]))
        .unwrap()
        .unwrap();
    let small = h
        .client
        .publish(Message::new(topic("t"), QoS::AtLeastOnce, "ok"))
        .unwrap()
        .unwrap();
    h.client
        .publish(Message::new(topic("t"), QoS::AtMostOnce, vec![0; 100]))
        .unwrap();
    let qos2 = h
        .client
        .publish(Message::new(topic("t"), QoS::ExactlyOnce, "two"))
        .unwrap()
        .unwrap();
    let mut retained = Message::new(topic("t"), QoS::AtMostOnce, "kept");
    retained.retain = true;
    h.client.publish(retained).unwrap();
    assert_eq!(h.client.qos0_accepted(), 2);

    let events = h.connect_with(connack(
        |p| {
            p.maximum_packet_size = NonZeroU32::new(50);
            p.maximum_qos = Some(QoS::AtLeastOnce);
            p.retain_available = Some(false);
        },
        false,
    ));
    let failed: Vec<(CommandId, ClientError)> = events
        .into_iter()
        .filter_map(|e| match e {
            Event::Failed { command, error } => Some((command, error)),
            _ => None,
        })
        .collect();
    let too_large = |size| ClientError::PacketTooLarge { size, maximum: 50 };
    assert_eq!(
        failed,
        [
            (CommandId::Subscribe(big_sub), too_large(108)),
            (CommandId::Publish(big), too_large(108)),
            (CommandId::Qos0(1), too_large(106)),
            (
                CommandId::Publish(qos2),
                ClientError::QosNotSupported {
                    requested: QoS::ExactlyOnce,
                    maximum: QoS::AtLeastOnce
                }
            ),
            (CommandId::Qos0(2), ClientError::RetainNotSupported),
        ]
    );
    let sent = h.sent();
    assert!(
        matches!(&sent[..], [Packet::Subscribe(s), Packet::Publish(p)]
            if s.packet_id == small_sub && p.qos_pid.packet_id() == Some(small)),
        "{sent:?}"
    );
    assert_eq!(h.client.packet_ids_in_use(), 2, "the failed ones are free");
    assert_eq!(
        h.client.qos0_transmitted(),
        0,
        "neither QoS 0 message was handed over"
    );
}

/// Resumed session, lower limits: a message in flight that no longer fits is not sent again
/// (it fails); a lower Receive Maximum gets no more PUBLISH packets than it allows, the rest
/// wait in order and go out, with DUP, as acknowledgements come.
#[test]
fn what_was_in_flight_is_checked_when_resent() {
    let mut h = client(true);
    h.connect_with(connack(|_| {}, false));
    let ids: Vec<_> = [4_usize, 200, 5, 6]
        .iter()
        .map(|len| {
            h.client
                .publish(Message::new(topic("t"), QoS::AtLeastOnce, vec![1; *len]))
                .unwrap()
                .unwrap()
        })
        .collect();
    assert_eq!(h.sent().len(), 4);
    h.client.handle_transport_closed(h.now);
    h.events();
    let events = h.connect_with(connack(
        |p| {
            p.maximum_packet_size = NonZeroU32::new(100);
            p.receive_maximum = NonZeroU16::new(2);
        },
        true,
    ));
    assert_eq!(
        &events[1..],
        [Event::Failed {
            command: CommandId::Publish(ids[1]),
            error: ClientError::PacketTooLarge {
                size: 209,
                maximum: 100
            }
        }]
    );
    let resent = |sent: Vec<Packet>| -> Vec<(u16, bool)> {
        sent.into_iter()
            .filter_map(|p| match p {
                Packet::Publish(p) => Some((p.qos_pid.packet_id().unwrap().get(), p.dup)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(resent(h.sent()), [(1, true), (3, true)]);
    assert_eq!((h.client.inflight(), h.client.pending()), (2, 1));
    h.server_sends(&mqtt_proto::PubAck::new(ids[0]).into());
    assert_eq!(resent(h.sent()), [(4, true)]);
}

/// After a session loss the remembered subscriptions go again in SUBSCRIBE packets that fit
/// the new Maximum Packet Size; one that cannot fit alone is reported at once.
#[test]
fn resubscriptions_are_split_to_fit() {
    let mut h = client(true);
    h.connect_with(connack(|_| {}, false));
    let subs = vec![
        long_filter(10),
        long_filter(11),
        long_filter(12),
        long_filter(60),
    ];
    let id = h
        .client
        .subscribe(subs, SubscribeProperties::default())
        .unwrap();
    h.server_sends(&SubAck::new(id, vec![ReasonCode::GRANTED_QOS_1; 4]).into());
    h.sent();
    h.client.handle_transport_closed(h.now);
    h.events();
    let events = h.connect_with(connack(max_size(40), false));
    assert!(
        events.contains(&Event::Resubscribed {
            results: vec![(filter(&"f".repeat(60)), ReasonCode::PACKET_TOO_LARGE)]
        }),
        "{events:?}"
    );
    let sent = h.sent();
    let runs: Vec<Vec<usize>> = sent
        .iter()
        .map(|p| match p {
            Packet::Subscribe(s) => {
                assert!(p.encoded_len(ProtocolVersion::V5) <= 40, "{p:?}");
                s.subscriptions.iter().map(|x| x.filter.len()).collect()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(runs, [vec![10, 11], vec![12]]);
}

/// An acknowledgement with a reason code takes 5 bytes: under a smaller Maximum Packet Size the
/// client answers an unknown identifier with the 4-byte form.
#[test]
fn acknowledgements_stay_within_a_tiny_maximum() {
    for (maximum, expected_len) in [(5, 5), (4, 4)] {
        let mut h = client(false);
        h.connect_with(connack(max_size(maximum), false));
        h.sent();
        h.server_sends(&mqtt_proto::PubRec::new(pid(7)).into());
        h.server_sends(&mqtt_proto::PubRel::new(pid(8)).into());
        let sent = h.sent();
        assert_eq!(sent.len(), 2, "{sent:?}");
        for packet in &sent {
            assert_eq!(
                packet.encoded_len(ProtocolVersion::V5),
                expected_len,
                "{packet:?}"
            );
        }
    }
}
