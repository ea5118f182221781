//! DISCONNECT from the client, with and without properties, and a new configuration between
//! connections.

mod common;

use core::time::Duration;

use bytes::BytesMut;
use common::{Harness, publish_packet};
use mqtt_proto::{DisconnectProperties, MqttString, Packet, ProtocolVersion, QoS, ReasonCode};
use mqtt_sansio::{ClientError, Message};

fn bytes_sent(h: &mut Harness) -> Vec<u8> {
    let mut buf = BytesMut::new();
    while h.client.poll_transmit(h.now, &mut buf) {}
    buf.to_vec()
}

#[test]
fn success_without_properties_takes_the_two_byte_form() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.sent();
    h.client
        .disconnect_with(ReasonCode::SUCCESS, DisconnectProperties::default())
        .unwrap();
    // Section 3.14.2.1: reason code 0 and no properties may be left out altogether.
    assert_eq!(bytes_sent(&mut h), [0xe0, 0x00]);
}

#[test]
fn a_reason_string_is_sent() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.sent();
    let mut properties = DisconnectProperties::default();
    properties.reason_string = Some(MqttString::new("bye").unwrap());
    h.client
        .disconnect_with(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE, properties)
        .unwrap();
    // Reason 0x04, property length 6, Reason String (0x1F) "bye".
    assert_eq!(
        bytes_sent(&mut h),
        [0xe0, 0x08, 0x04, 0x06, 0x1f, 0x00, 0x03, b'b', b'y', b'e']
    );
}

#[test]
fn a_new_configuration_keeps_the_session_between_connections() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1).with_clean_start(false));
    h.connect(false);
    h.client
        .publish(Message::new(common::topic("a"), QoS::AtLeastOnce, "kept"))
        .unwrap();
    h.sent();
    assert_eq!(
        h.client
            .set_config(Harness::config(ProtocolVersion::V3_1_1)),
        Err(ClientError::InvalidState),
        "not while connected"
    );
    h.client.handle_transport_closed(h.now);
    let config = Harness::config(ProtocolVersion::V3_1_1)
        .with_clean_start(false)
        .with_keep_alive(Duration::from_secs(7));
    h.client.set_config(config).unwrap();
    let Packet::Connect(connect) = h.open() else {
        panic!("no CONNECT")
    };
    assert_eq!(connect.keep_alive, 7);
    h.server_sends(&mqtt_proto::ConnAck::new(true, ReasonCode::SUCCESS).into());
    // The message in flight goes out again, with DUP.
    let mut again = publish_packet("a", QoS::AtLeastOnce, Some(1), "kept");
    again.dup = true;
    assert_eq!(h.sent(), [Packet::Publish(again)]);
}

#[test]
fn a_new_protocol_version_starts_a_new_session() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    h.client
        .publish(Message::new(common::topic("a"), QoS::AtLeastOnce, "gone"))
        .unwrap();
    h.client.handle_transport_closed(h.now);
    h.client
        .publish(Message::new(common::topic("a"), QoS::AtMostOnce, "waiting"))
        .unwrap();
    h.client
        .subscribe(
            vec![mqtt_proto::Subscription::new(
                common::filter("b/#"),
                QoS::AtLeastOnce,
            )],
            mqtt_proto::SubscribeProperties::default(),
        )
        .unwrap();
    let before = h.events();
    h.client
        .set_config(Harness::config(ProtocolVersion::V5))
        .unwrap();
    assert_eq!(h.client.inflight(), 0);
    assert_eq!(h.client.pending(), 0);
    assert_eq!(h.client.packet_ids_in_use(), 0);
    // Nothing is dropped without a word.
    let failed = |command| mqtt_sansio::Event::Failed {
        command,
        error: ClientError::SessionEnded,
    };
    assert_eq!(
        h.events(),
        [
            failed(mqtt_sansio::CommandId::Publish(common::pid(1))),
            failed(mqtt_sansio::CommandId::Qos0(1)),
            failed(mqtt_sansio::CommandId::Subscribe(common::pid(2))),
        ],
        "after {before:?}"
    );
}
