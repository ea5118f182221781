//! A broker that goes away and comes back: the client reconnects with backoff and delivers what
//! was published meanwhile.

mod common;

use core::time::Duration;

use common::{Mosquitto, within};
use mqtt_proto::QoS;
use mqtt_sansio::{Backoff, DisconnectReason};
use mqtt_tokio::{ConnectionEvent, Options, connect};

#[tokio::test]
async fn reconnects_after_the_broker_restarts() {
    let mut broker = Mosquitto::start();
    let mut options = Options::new(&broker.url(), "comes-back").unwrap();
    options.policy.backoff = Backoff::new(Duration::from_millis(50), 2, Duration::from_millis(400));
    options.config.keep_alive = Duration::from_secs(5);
    let (client, _messages, mut events) = within("connect", connect(options)).await.unwrap();
    assert!(matches!(
        within("event", events.recv())
            .await
            .map(mqtt_tokio::Numbered::into_inner),
        Some(ConnectionEvent::Connected { .. })
    ));

    broker.kill();
    let event = within("disconnected", events.recv())
        .await
        .map(mqtt_tokio::Numbered::into_inner);
    assert!(
        matches!(
            event,
            Some(ConnectionEvent::Disconnected(
                DisconnectReason::TransportClosed
            ))
        ),
        "{event:?}"
    );

    // Published while the broker is down: waits in the session.
    let pending = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .publish("after/restart", QoS::AtLeastOnce, false, "kept")
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    broker.restart();

    let mut attempts = 0;
    loop {
        match within("reconnect", events.recv())
            .await
            .map(mqtt_tokio::Numbered::into_inner)
        {
            Some(ConnectionEvent::Reconnecting { attempt, delay, .. }) => {
                attempts = attempt;
                assert!(delay <= Duration::from_millis(400));
            }
            Some(ConnectionEvent::Connected { .. }) => break,
            Some(ConnectionEvent::Disconnected(_) | ConnectionEvent::SessionReset(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(attempts >= 1);
    let published = within("publish", pending).await.unwrap().unwrap();
    assert!(published.packet_id.is_some());
    within("disconnect", client.disconnect()).await.unwrap();
}

/// Killed while messages are in flight: every QoS 1 and 2 publish still ends acknowledged, once
/// the broker is back (the client sends again what the lost session had not acknowledged).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_when_the_broker_dies_mid_stream() {
    let mut broker = Mosquitto::start();
    let mut options = Options::new(&broker.url(), "mid-stream").unwrap();
    options.policy.backoff = Backoff::new(Duration::from_millis(20), 2, Duration::from_millis(200));
    options.config.max_pending = 10_000;
    let (client, _messages, mut events) = within("connect", connect(options)).await.unwrap();
    let mut publishes = Vec::new();
    for n in 0..400u32 {
        let client = client.clone();
        let qos = if n % 2 == 0 {
            QoS::AtLeastOnce
        } else {
            QoS::ExactlyOnce
        };
        publishes.push(tokio::spawn(async move {
            client
                .publish(&format!("stream/{n}"), qos, false, n.to_be_bytes().to_vec())
                .await
        }));
        if n % 20 == 0 {
            // Let the connection task write and read some of them.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if n == 100 {
            broker.kill();
        }
        if n == 200 {
            broker.restart();
        }
    }
    for (n, publish) in publishes.into_iter().enumerate() {
        let result = within("publish", publish).await.unwrap();
        assert!(result.is_ok(), "message {n}: {result:?}");
    }
    let mut disconnected = false;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(50), events.recv()).await
    {
        disconnected |= matches!(event.item, ConnectionEvent::Disconnected(_));
    }
    assert!(disconnected, "the connection did break in the middle");
    within("disconnect", client.disconnect()).await.unwrap();
}
