//! Retained messages, wills, and a persistent session that collects messages while offline.

mod common;

use core::time::Duration;

use common::{Mosquitto, within};
use mqtt_proto::{LastWill, ProtocolVersion, QoS, TopicName};
use mqtt_tokio::{ConnectionEvent, Options, connect};

#[tokio::test]
async fn a_retained_message_reaches_a_later_subscriber() {
    let broker = Mosquitto::start();
    let (publisher, _m, _e) = within(
        "connect",
        connect(Options::new(&broker.url(), "retainer").unwrap()),
    )
    .await
    .unwrap();
    within(
        "publish",
        publisher.publish("retained/t", QoS::AtLeastOnce, true, "kept"),
    )
    .await
    .unwrap();
    let (subscriber, mut messages, _e) = within(
        "connect",
        connect(Options::new(&broker.url(), "late").unwrap()),
    )
    .await
    .unwrap();
    within(
        "subscribe",
        subscriber.subscribe("retained/#", QoS::AtLeastOnce),
    )
    .await
    .unwrap();
    let message = within("retained message", messages.recv()).await.unwrap();
    assert_eq!(
        (message.topic(), message.payload(), message.retain),
        ("retained/t", &b"kept"[..], true)
    );
}

#[tokio::test]
async fn the_will_is_published_when_a_client_dies() {
    let broker = Mosquitto::start();
    let (watcher, mut messages, _e) = within(
        "connect",
        connect(Options::new(&broker.url(), "watcher").unwrap()),
    )
    .await
    .unwrap();
    within("subscribe", watcher.subscribe("wills/#", QoS::AtLeastOnce))
        .await
        .unwrap();

    let mut options = Options::new(&broker.url(), "mortal").unwrap();
    let mut will = LastWill::new(TopicName::new("wills/mortal").unwrap(), "gone");
    will.qos = QoS::AtLeastOnce;
    options.config.will = Some(will);
    let (mortal, _m, _e) = within("connect", connect(options)).await.unwrap();
    within("abort", mortal.abort()).await.unwrap();
    let message = within("will", messages.recv()).await.unwrap();
    assert_eq!(
        (message.topic(), message.payload()),
        ("wills/mortal", &b"gone"[..])
    );
}

#[tokio::test]
async fn a_persistent_session_collects_messages_while_offline() {
    let broker = Mosquitto::start();
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let id = format!("persistent-{}", version.level());
        let options = || {
            let mut options = Options::new(&broker.url(), &id).unwrap();
            options.config.version = version;
            options.config.clean_start = false;
            options.config.session_expiry_interval = Some(600);
            options
        };
        let (client, _m, _e) = within("connect", connect(options())).await.unwrap();
        within(
            "subscribe",
            client.subscribe(&format!("offline/{id}"), QoS::AtLeastOnce),
        )
        .await
        .unwrap();
        within("disconnect", client.disconnect()).await.unwrap();

        let (producer, _m, _e) = within(
            "producer",
            connect(Options::new(&broker.url(), &format!("producer-{id}")).unwrap()),
        )
        .await
        .unwrap();
        for n in 0..3 {
            within(
                "publish",
                producer.publish(
                    &format!("offline/{id}"),
                    QoS::AtLeastOnce,
                    false,
                    format!("{n}"),
                ),
            )
            .await
            .unwrap();
        }

        let (client, mut messages, mut events) =
            within("reconnect", connect(options())).await.unwrap();
        let event = within("event", events.recv())
            .await
            .map(mqtt_tokio::Numbered::into_inner);
        assert!(
            matches!(
                event,
                Some(ConnectionEvent::Connected {
                    session_present: true,
                    ..
                })
            ),
            "{event:?}"
        );
        for n in 0..3 {
            let message = within("offline message", messages.recv()).await.unwrap();
            assert_eq!(message.payload(), format!("{n}").as_bytes());
        }
        within("disconnect", client.disconnect()).await.unwrap();
        let _ = tokio::time::timeout(Duration::from_millis(10), producer.disconnect()).await;
    }
}
