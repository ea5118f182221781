//! QoS 0, 1 and 2 through a real Mosquitto, in MQTT 3.1.1 and 5.0.

mod common;

use common::{Mosquitto, within};
use mqtt_proto::{ProtocolVersion, QoS, ReasonCode};
use mqtt_tokio::{Options, connect};

#[tokio::test]
async fn publish_and_receive_at_each_qos() {
    let broker = Mosquitto::start();
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut options =
            Options::new(&broker.url(), &format!("round-trip-{}", version.level())).unwrap();
        options.config.version = version;
        let (client, mut messages, _events) = within("connect", connect(options)).await.unwrap();
        let granted = within("subscribe", client.subscribe("rt/#", QoS::ExactlyOnce))
            .await
            .unwrap();
        assert_eq!(granted, QoS::ExactlyOnce);
        for (n, qos) in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
            .into_iter()
            .enumerate()
        {
            let published = within(
                "publish",
                client.publish(&format!("rt/{n}"), qos, false, format!("m{n}")),
            )
            .await
            .unwrap();
            assert_eq!(published.reason_code, ReasonCode::SUCCESS);
            assert_eq!(published.packet_id.is_some(), qos != QoS::AtMostOnce);
            let message = within("message", messages.recv()).await.unwrap();
            assert_eq!(message.topic(), format!("rt/{n}"));
            assert_eq!(message.payload(), format!("m{n}").as_bytes());
            assert_eq!(message.qos(), qos);
        }
        within("disconnect", client.disconnect()).await.unwrap();
        assert!(
            within("stream end", messages.recv()).await.is_none(),
            "{version}: the stream ends"
        );
    }
}

#[tokio::test]
async fn dropping_every_handle_disconnects_and_ends_the_streams() {
    let broker = Mosquitto::start();
    let (client, mut messages, mut events) = within(
        "connect",
        connect(Options::new(&broker.url(), "dropped").unwrap()),
    )
    .await
    .unwrap();
    drop(client);
    assert!(within("stream end", messages.recv()).await.is_none());
    let mut last = None;
    while let Some(event) = within("events end", events.recv()).await {
        last = Some(event.into_inner());
    }
    assert_eq!(
        last,
        Some(mqtt_tokio::ConnectionEvent::Stopped),
        "no reconnection after the handles are gone"
    );
}

#[tokio::test]
async fn bad_commands_are_typed_errors() {
    let broker = Mosquitto::start();
    let mut options = Options::new(&broker.url(), "bad-commands").unwrap();
    options.config.max_pending = 0;
    let (client, _messages, _events) = within("connect", connect(options)).await.unwrap();
    let error = client
        .publish("a/#", QoS::AtMostOnce, false, "x")
        .await
        .unwrap_err();
    assert!(
        matches!(error, mqtt_tokio::Error::InvalidTopic(_)),
        "{error}"
    );
    let error = client
        .subscribe("a/#/b", QoS::AtMostOnce)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            mqtt_tokio::Error::InvalidTopic(mqtt_proto::TopicError::InvalidMultiLevelWildcard)
        ),
        "{error}"
    );
    within("disconnect", client.disconnect()).await.unwrap();
    let error = client
        .publish("a", QoS::AtLeastOnce, false, "x")
        .await
        .unwrap_err();
    assert!(matches!(error, mqtt_tokio::Error::Closed), "{error}");
}
