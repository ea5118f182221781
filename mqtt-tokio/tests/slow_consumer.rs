//! A consumer that stops taking messages: the client stops reading the socket (TCP back pressure),
//! keeps pinging, and neither loses a message nor mistakes the unread PINGRESP for a dead link.

mod common;

use core::time::Duration;

use common::{Mosquitto, within};
use mqtt_proto::QoS;
use mqtt_tokio::{ConnectionEvent, Options, connect};

#[tokio::test]
async fn a_slow_consumer_loses_nothing_and_stays_connected() {
    let broker = Mosquitto::start();
    let mut options = Options::new(&broker.url(), "slow-consumer").unwrap();
    options.config.keep_alive = Duration::from_secs(1);
    options.message_capacity = 2;
    let (consumer, mut messages, mut events) = within("connect", connect(options)).await.unwrap();
    assert!(matches!(
        within("connected", events.recv())
            .await
            .map(mqtt_tokio::Numbered::into_inner),
        Some(ConnectionEvent::Connected { .. })
    ));
    within("subscribe", consumer.subscribe("slow/#", QoS::AtLeastOnce))
        .await
        .unwrap();

    let (producer, _m, _e) = within(
        "connect producer",
        connect(Options::new(&broker.url(), "producer").unwrap()),
    )
    .await
    .unwrap();
    let count = 200;
    for n in 0..count {
        within(
            "publish",
            producer.publish("slow/t", QoS::AtLeastOnce, false, format!("{n}")),
        )
        .await
        .unwrap();
    }

    // Three keep alive intervals without taking a message.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for n in 0..count {
        let message = within("message", messages.recv()).await.unwrap();
        assert_eq!(
            message.payload(),
            format!("{n}").as_bytes(),
            "in order, none lost"
        );
    }
    // No disconnection happened meanwhile.
    let event = tokio::time::timeout(Duration::from_millis(100), events.recv()).await;
    assert!(event.is_err(), "no connection event: {event:?}");
    within("disconnect", consumer.disconnect()).await.unwrap();
    within("disconnect", producer.disconnect()).await.unwrap();
}

#[tokio::test]
async fn a_stalled_broker_makes_the_client_stop_taking_messages() {
    use bytes::Bytes;
    use mqtt_proto::TopicName;
    use mqtt_sansio::{ClientError, Message};
    use mqtt_tokio::Error;

    let broker = Mosquitto::start();
    let (client, _messages, _events) = within(
        "connect",
        connect(Options::new(&broker.url(), "flooder").unwrap()),
    )
    .await
    .unwrap();
    broker.pause();
    let topic = TopicName::new("flood").unwrap();
    let payload = Bytes::from(vec![0x5a; 64 * 1024]);
    let mut accepted = 0_u32;
    let mut full = 0;
    // QoS 0 needs no acknowledgement, so only the socket can say "enough": once its buffers
    // and the client's are full, the command queue fills and stays full.
    while full < 20 {
        match client.try_send(Message::new(
            topic.clone(),
            QoS::AtMostOnce,
            payload.clone(),
        )) {
            Ok(()) => {
                accepted += 1;
                full = 0;
                tokio::task::yield_now().await;
            }
            Err(Error::Client(ClientError::QueueFull(_))) => {
                full += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("{e}"),
        }
        // 64 MiB: far above what the socket buffers, the bytes encoded ahead (64 KiB) and the
        // command queue (64 messages) hold together.
        assert!(accepted < 1024, "the client kept taking messages");
    }
    broker.resume();
    within("flush", client.flush()).await.unwrap();
    within("disconnect", client.disconnect()).await.unwrap();
}
