//! The end of a connection by DISCONNECT: from the server (MQTT 5.0) or from the client.

mod common;

use common::{Harness, topic};
use mqtt_proto::{Disconnect, MqttString, Packet, ProtocolVersion, QoS, ReasonCode, UserProperty};
use mqtt_sansio::{ClientError, DisconnectReason, Event, Message};

fn connected(version: ProtocolVersion) -> Harness {
    let mut h = Harness::new(Harness::config(version));
    h.connect(false);
    h
}

// 5.0 section 3.14: the server may end the connection with DISCONNECT and a reason; the client
// reports it with its properties and sends nothing back.
#[test]
fn v5_server_disconnect_with_reason_and_properties() {
    let mut h = connected(ProtocolVersion::V5);
    let mut disconnect = Disconnect::new(ReasonCode::SERVER_SHUTTING_DOWN);
    disconnect.properties.reason_string = Some(MqttString::new("maintenance").unwrap());
    disconnect.properties.server_reference = Some(MqttString::new("other:1883").unwrap());
    disconnect.properties.user_properties = vec![UserProperty::new(
        MqttString::new("k").unwrap(),
        MqttString::new("v").unwrap(),
    )];
    h.server_sends(&disconnect.clone().into());
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::ByServer(disconnect))]
    );
    assert!(h.sent().is_empty());
    assert!(!h.client.is_connected());
    assert_eq!(h.client.poll_timeout(), None);
    // Nothing after it is read.
    h.server_sends(&Packet::PingResp);
    assert!(h.events().is_empty());
}

// Session state outlives the connection: a message in flight waits for the next one.
#[test]
fn v5_server_disconnect_keeps_the_session() {
    let mut h = connected(ProtocolVersion::V5);
    h.client
        .publish(Message::new(topic("t"), QoS::AtLeastOnce, "x"))
        .unwrap();
    h.sent();
    h.server_sends(&Disconnect::new(ReasonCode::ADMINISTRATIVE_ACTION).into());
    h.events();
    assert_eq!(h.client.inflight(), 1);
}

// 5.0 section 3.14.2.2.2: the client may set a new Session Expiry Interval in DISCONNECT.
#[test]
fn v5_client_disconnect_with_session_expiry() {
    let mut h = connected(ProtocolVersion::V5);
    assert_eq!(
        h.client
            .disconnect(ReasonCode::NORMAL_DISCONNECTION, Some(3600)),
        Ok(())
    );
    let mut expected = Disconnect::new(ReasonCode::NORMAL_DISCONNECTION);
    expected.properties.session_expiry_interval = Some(3600);
    assert_eq!(h.sent(), [Packet::Disconnect(expected)]);
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::ByClient)]
    );
    assert!(!h.client.is_connected());
    assert_eq!(h.client.poll_timeout(), None);
    // The last event: the transport closing afterwards adds none, and nothing more is sent.
    h.client.handle_transport_closed(h.now);
    assert!(h.events().is_empty());
    assert!(h.sent().is_empty());
    assert_eq!(
        h.client.disconnect(ReasonCode::NORMAL_DISCONNECTION, None),
        Err(ClientError::InvalidState)
    );
}

#[test]
fn v5_client_disconnect_with_will_message() {
    let mut h = connected(ProtocolVersion::V5);
    h.client
        .disconnect(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE, None)
        .unwrap();
    assert_eq!(
        h.sent(),
        [Packet::Disconnect(Disconnect::new(
            ReasonCode::DISCONNECT_WITH_WILL_MESSAGE
        ))]
    );
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::ByClient)]
    );
}

#[test]
fn client_disconnect_3_1_1() {
    let mut h = connected(ProtocolVersion::V3_1_1);
    h.client
        .disconnect(ReasonCode::NORMAL_DISCONNECTION, None)
        .unwrap();
    assert_eq!(
        h.sent(),
        [Packet::Disconnect(Disconnect::new(
            ReasonCode::NORMAL_DISCONNECTION
        ))]
    );
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::ByClient)]
    );
    // Bytes arriving after DISCONNECT are not processed.
    h.server_sends(&common::publish_packet("t", QoS::AtMostOnce, None, "x").into());
    assert!(h.events().is_empty());
}

#[test]
fn disconnect_refuses_a_reason_code_disconnect_cannot_carry() {
    let mut h = connected(ProtocolVersion::V5);
    assert!(matches!(
        h.client
            .disconnect(ReasonCode::CONTINUE_AUTHENTICATION, None),
        Err(ClientError::Encode(_))
    ));
    assert!(h.sent().is_empty());
    assert!(h.events().is_empty());
    assert!(h.client.is_connected());
}
