//! A broker that stops answering (SIGSTOP) is detected by the PINGRESP deadline.

mod common;

use core::time::Duration;

use common::{Mosquitto, within};
use mqtt_sansio::DisconnectReason;
use mqtt_tokio::{ConnectionEvent, Options, connect};

#[tokio::test]
async fn a_silent_broker_is_detected() {
    let broker = Mosquitto::start();
    let mut options = Options::new(&broker.url(), "watchful").unwrap();
    options.config.keep_alive = Duration::from_secs(1);
    options.policy.reconnect = false;
    let (_client, _messages, mut events) = within("connect", connect(options)).await.unwrap();
    assert!(matches!(
        within("connected", events.recv())
            .await
            .map(mqtt_tokio::Numbered::into_inner),
        Some(ConnectionEvent::Connected { .. })
    ));
    broker.pause();
    let started = std::time::Instant::now();
    let event = within("disconnected", events.recv())
        .await
        .map(mqtt_tokio::Numbered::into_inner);
    broker.resume();
    assert_eq!(
        event,
        Some(ConnectionEvent::Disconnected(
            DisconnectReason::KeepAliveTimeout
        ))
    );
    // PINGREQ after 1 s of silence, then 1 s for the PINGRESP.
    assert!(
        started.elapsed() <= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
