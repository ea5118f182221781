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
    options.backoff = Backoff::new(Duration::from_millis(50), 2, Duration::from_millis(400));
    options.config.keep_alive = Duration::from_secs(5);
    let (client, _messages, mut events) = within("connect", connect(options)).await.unwrap();
    assert!(matches!(
        within("event", events.recv()).await,
        Some(ConnectionEvent::Connected { .. })
    ));

    broker.kill();
    let event = within("disconnected", events.recv()).await;
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
        match within("reconnect", events.recv()).await {
            Some(ConnectionEvent::Reconnecting { attempt, delay }) => {
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
