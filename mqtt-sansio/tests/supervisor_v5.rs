//! The MQTT 5.0 surface a driver passes on, byte-level against the fake broker: the CONNACK on
//! the connected event, the properties of the acknowledgements on the finished commands, AUTH
//! challenges without an authenticator, re-authentication, and a disconnect with its own reason
//! code and properties.

mod common;

use bytes::{Buf, Bytes, BytesMut};
use common::rig::Rig;
use mqtt_proto::{
    Auth, AuthProperties, ConnAckProperties, DisconnectProperties, Limits, MqttString, Packet,
    ProtocolVersion, QoS, ReasonCode, SubscribeProperties, Subscription, TopicFilter, TopicName,
    UserProperty,
};
use mqtt_sansio::{
    AuthFailed, Authenticator, ClientError, Config, ConnectionEvent, Done, Message, Output, Policy,
};
use mqtt_test::BrokerConfig;

fn text(s: &'static str) -> MqttString {
    MqttString::from_static(s)
}

fn connected(broker: BrokerConfig) -> Rig {
    Rig::new(ProtocolVersion::V5, broker, Policy::default())
}

#[test]
fn the_connected_event_carries_the_whole_connack() {
    let mut broker = BrokerConfig::new();
    let mut properties = ConnAckProperties::default();
    properties.assigned_client_identifier = Some(text("given-7"));
    properties.response_information = Some(text("replies/7"));
    properties.reason_string = Some(text("welcome"));
    properties.server_keep_alive = Some(30);
    properties.user_properties = vec![UserProperty::new(text("region"), text("eu"))];
    broker.connack_properties = properties;
    let mut rig = connected(broker);
    let outputs = rig.outputs();
    let Some(Output::Event(ConnectionEvent::Connected {
        connack, limits, ..
    })) = outputs.first()
    else {
        panic!("{outputs:?}")
    };
    assert_eq!(
        connack.properties.assigned_client_identifier,
        Some(text("given-7"))
    );
    assert_eq!(
        connack.properties.response_information,
        Some(text("replies/7"))
    );
    assert_eq!(connack.properties.reason_string, Some(text("welcome")));
    assert_eq!(
        connack.properties.user_properties,
        [UserProperty::new(text("region"), text("eu"))]
    );
    assert_eq!(limits.keep_alive, 30);
}

#[test]
fn finished_commands_carry_the_acknowledgements_properties() {
    let mut rig = connected(BrokerConfig::new());
    rig.outputs();
    rig.broker.hold_acks(true);
    let topic = TopicName::new("v5/acks").unwrap();
    rig.s.publish(Message::new(topic, QoS::AtLeastOnce, "x"), 1);
    rig.pump();
    for held in rig.broker.held_acks_mut() {
        if let Packet::PubAck(ack) = held {
            ack.properties.reason_string = Some(text("stored"));
            ack.properties.user_properties = vec![UserProperty::new(text("node"), text("b"))];
        }
    }
    rig.broker.hold_acks(false);
    rig.broker.release_acks();
    rig.pump();
    let done = rig.done();
    let [(1, Done::Published(Ok(published)))] = &done[..] else {
        panic!("{done:?}")
    };
    assert_eq!(published.properties.reason_string, Some(text("stored")));
    assert_eq!(
        published.properties.user_properties,
        [UserProperty::new(text("node"), text("b"))]
    );

    // The SUBACK's, with the codes: the broker's answer, with a Reason String added.
    rig.s.subscribe(
        vec![Subscription::new(
            TopicFilter::new("v5/#").unwrap(),
            QoS::AtLeastOnce,
        )],
        SubscribeProperties::default(),
        2,
    );
    while rig.s.poll_transmit(rig.now, &mut rig.out) {
        let len = rig.out.len();
        rig.broker.handle_read(&rig.out.copy_to_bytes(len));
        rig.s.handle_written();
    }
    let answer = rig.broker.poll_transmit().expect("a SUBACK");
    let mut answer = BytesMut::from(&answer[..]);
    let Ok(Some(Packet::SubAck(mut suback))) =
        Packet::decode(ProtocolVersion::V5, &mut answer, &Limits::new())
    else {
        panic!("not a SUBACK")
    };
    suback.properties.reason_string = Some(text("granted"));
    let mut bytes = BytesMut::new();
    Packet::SubAck(suback)
        .encode(ProtocolVersion::V5, &mut bytes)
        .unwrap();
    rig.s.handle_read(rig.now, &mut bytes);
    let done = rig.done();
    let [(2, Done::Codes(Ok(acked)))] = &done[..] else {
        panic!("{done:?}")
    };
    assert_eq!(acked.reason_codes, [ReasonCode::GRANTED_QOS_1]);
    assert_eq!(acked.properties.reason_string, Some(text("granted")));
}

#[test]
fn an_auth_challenge_without_an_authenticator_is_an_event_and_the_answer_goes_out() {
    let mut config = Config::new(text("challenged")).with_version(ProtocolVersion::V5);
    config.authentication_method = Some(text("SCRAM-SHA-1"));
    let mut rig = Rig::with_config(config, BrokerConfig::new(), Policy::default());
    rig.outputs();
    let mut challenge = Auth::new(ReasonCode::CONTINUE_AUTHENTICATION);
    challenge.properties.authentication_method = Some(text("SCRAM-SHA-1"));
    challenge.properties.authentication_data = Some(Bytes::from_static(b"nonce"));
    rig.broker.send_auth(challenge);
    rig.pump();
    let outputs = rig.outputs();
    let [
        Output::Event(ConnectionEvent::Auth {
            reason_code,
            properties,
        }),
    ] = &outputs[..]
    else {
        panic!("never dropped silently: {outputs:?}")
    };
    assert_eq!(*reason_code, ReasonCode::CONTINUE_AUTHENTICATION);
    assert_eq!(
        properties.authentication_data,
        Some(Bytes::from_static(b"nonce"))
    );
    let mut answer = AuthProperties::default();
    answer.authentication_method = Some(text("SCRAM-SHA-1"));
    answer.authentication_data = Some(Bytes::from_static(b"proof"));
    rig.s
        .auth(ReasonCode::CONTINUE_AUTHENTICATION, answer)
        .unwrap();
    rig.pump();
    let sent = rig.broker.take_received();
    let Some(Packet::Auth(auth)) = sent.last() else {
        panic!("{sent:?}")
    };
    assert_eq!(auth.reason_code, ReasonCode::CONTINUE_AUTHENTICATION);
    assert_eq!(
        auth.properties.authentication_data,
        Some(Bytes::from_static(b"proof"))
    );
}

/// Counts its starts; accepts whatever the server says.
struct Counting(u8);

impl Authenticator for Counting {
    fn method(&self) -> MqttString {
        text("TOKEN")
    }

    fn start(&mut self) -> Option<Bytes> {
        self.0 += 1;
        Some(Bytes::from(vec![self.0]))
    }

    fn challenge(&mut self, _: Option<&Bytes>) -> Result<Option<Bytes>, AuthFailed> {
        Ok(None)
    }
}

#[test]
fn reauthenticate_sends_auth_0x19_with_the_method_and_fresh_data() {
    let config = Config::new(text("reauth")).with_version(ProtocolVersion::V5);
    let mut rig = Rig::unopened(config, BrokerConfig::new(), Policy::default());
    assert_eq!(
        rig.s.reauthenticate(),
        Err(ClientError::NoAuthenticator),
        "without an authenticator the application sends AUTH itself"
    );
    rig.s.set_authenticator(Box::new(Counting(0)));
    assert_eq!(
        rig.s.reauthenticate(),
        Err(ClientError::InvalidState),
        "only after CONNACK [MQTT-4.12.1-1]"
    );
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    rig.broker.take_received();
    rig.s.reauthenticate().unwrap();
    rig.pump();
    let sent = rig.broker.take_received();
    let [Packet::Auth(auth)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(auth.reason_code, ReasonCode::RE_AUTHENTICATE);
    // The method of the CONNECT [MQTT-4.12.1-1], and the data of a second start.
    assert_eq!(auth.properties.authentication_method, Some(text("TOKEN")));
    assert_eq!(
        auth.properties.authentication_data,
        Some(Bytes::from_static(&[2]))
    );
}

#[test]
fn disconnect_with_sends_its_reason_code_and_properties() {
    let mut rig = connected(BrokerConfig::new());
    rig.outputs();
    let mut properties = DisconnectProperties::default();
    properties.session_expiry_interval = Some(0);
    properties.reason_string = Some(text("maintenance"));
    rig.s.disconnect_with(
        rig.now,
        core::time::Duration::ZERO,
        ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
        properties,
        9,
    );
    rig.pump();
    let sent = rig.broker.take_received();
    let Some(Packet::Disconnect(disconnect)) = sent.last() else {
        panic!("{sent:?}")
    };
    assert_eq!(
        disconnect.reason_code,
        ReasonCode::DISCONNECT_WITH_WILL_MESSAGE
    );
    assert_eq!(disconnect.properties.session_expiry_interval, Some(0));
    assert_eq!(
        disconnect.properties.reason_string,
        Some(text("maintenance"))
    );
}
