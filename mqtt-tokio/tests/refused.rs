//! Connections that cannot succeed fail fast with a typed error.

mod common;

use core::time::Duration;

use common::{Mosquitto, within};
use mqtt_proto::{MqttString, ProtocolVersion, ReasonCode};
use mqtt_sansio::Retry;
use mqtt_tokio::{AddressError, Error, Options, connect};

#[tokio::test]
async fn bad_credentials_are_refused_and_classified_fatal() {
    let broker = Mosquitto::with_password("alice", "secret");
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut options = Options::new(&broker.url(), "refused").unwrap();
        options.config.version = version;
        options.config.username = Some(MqttString::new("alice").unwrap());
        options.config.password = Some("wrong".into());
        let error = within("connect", connect(options)).await.unwrap_err();
        let Error::Refused(code) = error else {
            panic!("{version}: {error:?}")
        };
        assert!(
            [
                ReasonCode::BAD_USER_NAME_OR_PASSWORD,
                ReasonCode::NOT_AUTHORIZED
            ]
            .contains(&code),
            "{version}: {code:?}"
        );
        assert_eq!(Retry::after_connack(code), Retry::Fatal);
    }
}

#[tokio::test]
async fn no_credentials_where_they_are_required_is_not_authorised() {
    let broker = Mosquitto::with_password("alice", "secret");
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut options = Options::new(&broker.url(), "anonymous").unwrap();
        options.config.version = version;
        let error = within("connect", connect(options)).await.unwrap_err();
        let Error::Refused(code) = error else {
            panic!("{version}: {error:?}")
        };
        // 3.1.1 has one code for both (0x05); Mosquitto's 5.0 says which.
        assert!(
            [
                ReasonCode::NOT_AUTHORIZED,
                ReasonCode::BAD_USER_NAME_OR_PASSWORD
            ]
            .contains(&code),
            "{version}: {code:?}"
        );
        assert_eq!(Retry::after_connack(code), Retry::Fatal);
    }
}

#[tokio::test]
async fn an_empty_client_identifier_the_broker_does_not_allow_is_rejected() {
    let broker = Mosquitto::with_config("allow_zero_length_clientid false");
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut options = Options::new(&broker.url(), "").unwrap();
        options.config.version = version;
        options.policy.reconnect = true;
        let error = within("connect", connect(options)).await.unwrap_err();
        let Error::Refused(code) = &error else {
            panic!("{version}: {error:?}")
        };
        let code = *code;
        match version {
            // [MQTT-3.1.3-9] of 3.1.1: return code 0x02, identifier rejected.
            ProtocolVersion::V3_1_1 => assert_eq!(code, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID),
            // [MQTT-3.1.3-8] of 5.0: the server MAY answer 0x85; any failure code is a refusal
            // (Mosquitto 2.0.11 says 0x80), reported as the broker gave it.
            _ => assert!(code.is_error(), "{version}: {code:?}"),
        }
        assert!(error.to_string().contains("refused"), "{error}");
        // The first connection's failure goes to the caller: no second attempt.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        broker.connections(),
        2,
        "one attempt per version:\n{}",
        broker.log()
    );
}

#[tokio::test]
async fn the_right_credentials_connect() {
    let broker = Mosquitto::with_password("alice", "secret");
    let mut options = Options::new(&broker.url(), "accepted").unwrap();
    options.config.username = Some(MqttString::new("alice").unwrap());
    options.config.password = Some("secret".into());
    let (client, _messages, _events) = within("connect", connect(options)).await.unwrap();
    within("disconnect", client.disconnect()).await.unwrap();
}

#[tokio::test]
async fn a_closed_port_is_an_io_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let options = Options::new(&format!("mqtt://127.0.0.1:{port}"), "nobody-home").unwrap();
    let error = within("connect", connect(options)).await.unwrap_err();
    assert!(
        matches!(error, Error::Io(ref e) if e.kind() == std::io::ErrorKind::ConnectionRefused),
        "{error:?}"
    );
}

#[test]
fn addresses_are_checked() {
    assert!(matches!(
        Options::new("not a url", "c"),
        Err(Error::InvalidAddress { .. })
    ));
    assert!(matches!(
        Options::new("ftp://host", "c"),
        Err(Error::InvalidAddress { reason: AddressError::UnknownScheme(s), .. }) if s == "ftp"
    ));
    let options = Options::new("tcp://[::1]", "c").unwrap();
    let broker = &options.brokers()[0];
    assert_eq!((broker.host(), broker.port()), (Some("::1"), Some(1883)));
    let message = Options::new("mqtt://", "c").unwrap_err().to_string();
    assert!(
        message.contains("mqtt://host"),
        "the message says what to write: {message}"
    );
}
