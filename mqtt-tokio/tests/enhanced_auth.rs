//! MQTT 5.0 enhanced authentication through the adapter: the `Options::authenticator` answers the
//! scripted broker's challenge before CONNACK, a failure of it is fatal, `reauthenticate` goes
//! through it; without one, challenges are events and `auth` answers them.

mod common;

use core::time::Duration;

use bytes::Bytes;
use common::fake::Served;
use mqtt_proto::{Auth, AuthProperties, MqttString, Packet, ProtocolVersion, ReasonCode};
use mqtt_sansio::DisconnectReason;
use mqtt_test::{BrokerConfig, ConnectAnswer, FakeBroker};
use mqtt_tokio::{
    AuthFailed, Authenticator, AuthenticatorFactory, ConnectionEvent, Error, Options, connect,
};

const METHOD: &str = "TOY-CHALLENGE";

/// Answers a challenge with it reversed, or refuses it.
struct Toy {
    refuse: bool,
}

impl Authenticator for Toy {
    fn method(&self) -> MqttString {
        MqttString::from_static(METHOD)
    }

    fn start(&mut self) -> Option<Bytes> {
        Some(Bytes::from_static(b"hello"))
    }

    fn challenge(&mut self, data: Option<&Bytes>) -> Result<Option<Bytes>, AuthFailed> {
        if self.refuse {
            return Err(AuthFailed("bad challenge".into()));
        }
        Ok(data.map(|d| d.iter().rev().copied().collect()))
    }
}

fn options(served: &Served, refuse: bool) -> Options {
    let mut options = Options::new(&served.url(), "authenticated").unwrap();
    options.config.version = ProtocolVersion::V5;
    options.authenticator = Some(AuthenticatorFactory::new(move || Box::new(Toy { refuse })));
    options
}

fn challenge(broker: &mut FakeBroker) {
    let mut auth = Auth::new(ReasonCode::CONTINUE_AUTHENTICATION);
    auth.properties.authentication_method = Some(MqttString::from_static(METHOD));
    auth.properties.authentication_data = Some(Bytes::from_static(b"abc"));
    broker.send_auth(auth);
}

/// Waits (up to 10 s) until the broker has received `count` packets.
async fn received(served: &Served, count: usize) -> Vec<Packet> {
    for _ in 0..1000 {
        let received = served.received();
        if received.len() >= count {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the broker received {:?}", served.received());
}

#[tokio::test]
async fn the_authenticator_answers_the_challenge_before_connack() {
    let mut config = BrokerConfig::new();
    config.connect_answer = ConnectAnswer::NoAnswer;
    let served = Served::start(config).await;
    let connecting = tokio::spawn(connect(options(&served, false)));

    let packets = received(&served, 1).await;
    let Packet::Connect(connect) = &packets[0] else {
        panic!("{packets:?}")
    };
    assert_eq!(
        connect
            .properties
            .authentication_method
            .as_ref()
            .map(MqttString::as_str),
        Some(METHOD)
    );
    assert_eq!(
        connect.properties.authentication_data.as_deref(),
        Some(&b"hello"[..])
    );

    served.with(challenge);
    let packets = received(&served, 2).await;
    let Packet::Auth(answer) = &packets[1] else {
        panic!("{packets:?}")
    };
    assert_eq!(answer.reason_code, ReasonCode::CONTINUE_AUTHENTICATION);
    assert_eq!(
        answer.properties.authentication_data.as_deref(),
        Some(&b"cba"[..])
    );

    served.with(|broker| broker.answer_connect(ConnectAnswer::Accept));
    let (client, _messages, _events) = connecting.await.unwrap().unwrap();
    client.disconnect().await.unwrap();
}

#[tokio::test]
async fn a_failed_authentication_is_fatal() {
    let mut config = BrokerConfig::new();
    config.connect_answer = ConnectAnswer::NoAnswer;
    let served = Served::start(config).await;
    let connecting = tokio::spawn(connect(options(&served, true)));
    received(&served, 1).await;
    served.with(challenge);
    let error = connecting.await.unwrap().unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Disconnected(DisconnectReason::AuthenticationFailed(AuthFailed(why)))
                if why == "bad challenge"
        ),
        "{error:?}"
    );
    // One CONNECT, then the DISCONNECT with Implementation Specific Error; no second attempt.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let packets = served.received();
    assert_eq!(packets.len(), 2, "{packets:?}");
    assert!(matches!(
        &packets[1],
        Packet::Disconnect(d) if d.reason_code == ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR
    ));
}

#[tokio::test]
async fn reauthenticate_goes_through_the_authenticator() {
    let served = Served::start(BrokerConfig::new()).await;
    let (client, _messages, _events) = connect(options(&served, false)).await.unwrap();
    received(&served, 1).await;
    client.reauthenticate().await.unwrap();
    let packets = received(&served, 2).await;
    let Packet::Auth(start) = &packets[1] else {
        panic!("{packets:?}")
    };
    // [MQTT-4.12.1-1]: Re-authenticate, with the method of the CONNECT.
    assert_eq!(start.reason_code, ReasonCode::RE_AUTHENTICATE);
    assert_eq!(
        start
            .properties
            .authentication_method
            .as_ref()
            .map(MqttString::as_str),
        Some(METHOD)
    );
    assert_eq!(
        start.properties.authentication_data.as_deref(),
        Some(&b"hello"[..])
    );
    served.with(challenge);
    let packets = received(&served, 3).await;
    let Packet::Auth(answer) = &packets[2] else {
        panic!("{packets:?}")
    };
    assert_eq!(answer.reason_code, ReasonCode::CONTINUE_AUTHENTICATION);
    assert_eq!(
        answer.properties.authentication_data.as_deref(),
        Some(&b"cba"[..])
    );
    client.disconnect().await.unwrap();
}

#[tokio::test]
async fn without_an_authenticator_challenges_are_events_and_auth_answers_them() {
    let served = Served::start(BrokerConfig::new()).await;
    let mut options = Options::new(&served.url(), "by-hand").unwrap();
    options.config.version = ProtocolVersion::V5;
    options.config.authentication_method = Some(MqttString::from_static(METHOD));
    let (client, _messages, mut events) = connect(options).await.unwrap();
    assert!(matches!(
        events.recv().await.map(mqtt_tokio::Numbered::into_inner),
        Some(ConnectionEvent::Connected { .. })
    ));
    let mut start = AuthProperties::default();
    start.authentication_method = Some(MqttString::from_static(METHOD));
    start.authentication_data = Some(Bytes::from_static(b"by hand"));
    client
        .auth(ReasonCode::RE_AUTHENTICATE, start)
        .await
        .unwrap();
    received(&served, 2).await;
    served.with(challenge);
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("the challenge, not dropped")
        .map(mqtt_tokio::Numbered::into_inner);
    let Some(ConnectionEvent::Auth {
        reason_code,
        properties,
    }) = event
    else {
        panic!("{event:?}")
    };
    assert_eq!(reason_code, ReasonCode::CONTINUE_AUTHENTICATION);
    assert_eq!(properties.authentication_data.as_deref(), Some(&b"abc"[..]));
    let mut answer = AuthProperties::default();
    answer.authentication_method = Some(MqttString::from_static(METHOD));
    answer.authentication_data = Some(Bytes::from_static(b"answer"));
    client
        .auth(ReasonCode::CONTINUE_AUTHENTICATION, answer)
        .await
        .unwrap();
    let packets = received(&served, 3).await;
    let Packet::Auth(sent) = &packets[2] else {
        panic!("{packets:?}")
    };
    assert_eq!(
        sent.properties.authentication_data.as_deref(),
        Some(&b"answer"[..])
    );
    client.disconnect().await.unwrap();
}
