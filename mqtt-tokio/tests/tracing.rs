//! What the client reports through `tracing`, read back from a `tracing-subscriber` writer:
//! the span of each attempt, the connection's changes, the reconnect decision, each packet, and
//! never a payload or a password.

mod common;

use core::time::Duration;

use common::{Mosquitto, within};
use mqtt_proto::QoS;
use mqtt_sansio::Backoff;
use mqtt_suite::Captured;
use mqtt_tokio::{ConnectionEvent, Options, connect};

const PASSWORD: &str = "pa55-never-logged";
const PAYLOAD: &str = "payload-never-logged";

/// The connection task runs on the test's thread (a current-thread runtime), where the
/// subscriber is the default.
#[tokio::test]
async fn attempts_changes_decisions_and_packets_are_traced() {
    let captured = Captured::default();
    let _default = tracing::subscriber::set_default(captured.subscriber(tracing::Level::TRACE));

    let mut broker = Mosquitto::with_password("traced", PASSWORD);
    let mut options = Options::new(&broker.url(), "traced").unwrap();
    options.config.username = Some(mqtt_proto::MqttString::from_static("traced"));
    options.config.password = Some(bytes::Bytes::from_static(PASSWORD.as_bytes()));
    options.policy.backoff = Backoff::new(Duration::from_millis(50), 2, Duration::from_millis(400));
    let (client, mut messages, mut events) = within("connect", connect(options)).await.unwrap();
    client
        .subscribe("traced/#", QoS::AtLeastOnce)
        .await
        .unwrap();
    client
        .publish("traced/x", QoS::AtLeastOnce, false, PAYLOAD)
        .await
        .unwrap();
    let message = within("message", messages.recv()).await.unwrap();
    assert_eq!(message.payload(), PAYLOAD.as_bytes());

    // The broker goes away and comes back: a decision, then a second attempt.
    broker.stop();
    broker.start_again();
    loop {
        let event = within("reconnected", events.recv()).await.unwrap();
        if event.connection >= 2 && matches!(event.item, ConnectionEvent::Connected { .. }) {
            break;
        }
    }
    within("disconnect", client.disconnect()).await.unwrap();

    let log = captured.text();
    let port = broker.port;
    let first =
        format!("attempt{{broker=\"mqtt://127.0.0.1:{port}\" attempt=1 version=\"3.1.1\"}}");
    assert!(log.contains(&first), "{log}");
    for line in [
        "dir=\"out\" packet=Connect",
        "dir=\"in\" packet=ConnAck",
        "dir=\"out\" packet=Subscribe id=1",
        "dir=\"in\" packet=SubAck id=1",
        // The message out, back in, and both acknowledgements.
        "dir=\"out\" packet=Publish id=2",
        "dir=\"in\" packet=PubAck id=2",
        "dir=\"in\" packet=Publish id=1",
        "dir=\"out\" packet=PubAck id=1 size=4",
        "connected connection=1 broker=0 session_present=false",
        "disconnected connection=1",
        "connecting again after the backoff",
        "connection=2",
        "stopped",
    ] {
        assert!(log.contains(line), "no {line:?} in:\n{log}");
    }
    let second = log
        .lines()
        .find(|l| l.contains("attempt=2"))
        .expect("a second attempt");
    assert!(
        second.contains(&format!("broker=\"mqtt://127.0.0.1:{port}\"")),
        "{second}"
    );
    // A PUBLISH to traced/x with a 20-byte payload: 2 + 2 + 8 + 2 + 20 bytes.
    assert!(log.contains("packet=Publish id=2 size=34"), "{log}");
    assert!(!log.contains(PASSWORD), "the password leaked:\n{log}");
    assert!(!log.contains(PAYLOAD), "a payload leaked:\n{log}");
}

#[tokio::test]
async fn no_packet_log_is_kept_when_nobody_listens() {
    // Only `info` is wanted: the session keeps no packet log, and no packet is written.
    let captured = Captured::default();
    let _default = tracing::subscriber::set_default(captured.subscriber(tracing::Level::INFO));
    let broker = Mosquitto::start();
    let (client, _messages, _events) = within(
        "connect",
        connect(Options::new(&broker.url(), "quiet").unwrap()),
    )
    .await
    .unwrap();
    for _ in 0..100 {
        client
            .publish("quiet", QoS::AtMostOnce, false, "x")
            .await
            .unwrap();
    }
    within("disconnect", client.disconnect()).await.unwrap();
    let log = captured.text();
    assert!(log.contains("connected connection=1"), "{log}");
    assert!(!log.contains("packet="), "{log}");
}
