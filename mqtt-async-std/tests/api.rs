//! Each public method of the async-std / smol client against Mosquitto, beyond the shared
//! suite: `publish_message` at every QoS, `send` / `try_send` / `flush`, several filters at once,
//! unsubscribing, manual acks, `abort` against `disconnect_within`, the message stream's end
//! (with the messages it had no room for), refusals and errors after the client stopped. Run
//! under smol; the shared suite runs both executors.

use std::future::Future;
use std::time::Duration;

use mqtt_async_std::{Error, Message, Options, connect};
use mqtt_proto::{
    LastWill, MqttString, ProtocolVersion, Publish, QoS, ReasonCode, SubscribeProperties,
    Subscription, TopicFilter, TopicName, UnsubscribeProperties,
};
use mqtt_suite::Mosquitto;

const WAIT: Duration = Duration::from_secs(10);

/// `future`'s output, or `None` after `timeout`.
async fn within<T>(timeout: Duration, future: impl Future<Output = T>) -> Option<T> {
    futures_lite::future::or(async { Some(future.await) }, async {
        async_io::Timer::after(timeout).await;
        None
    })
    .await
}

/// `future`'s output; a panic naming `what` if it takes longer than [`WAIT`].
async fn step<T>(what: &str, future: impl Future<Output = T>) -> T {
    within(WAIT, future)
        .await
        .unwrap_or_else(|| panic!("{what}: no answer in {WAIT:?}"))
}

fn options(broker: &Mosquitto, id: &str, version: ProtocolVersion) -> Options {
    let mut options = Options::new(&broker.url(), id).unwrap();
    options.config.version = version;
    options
}

fn message(topic: &str, qos: QoS, payload: &str) -> Message {
    Message::new(TopicName::new(topic).unwrap(), qos, payload.to_owned())
}

async fn next(messages: &mut mqtt_async_std::Messages) -> Option<Publish> {
    within(WAIT, messages.recv())
        .await
        .flatten()
        .map(mqtt_async_std::Numbered::into_inner)
}

#[test]
fn publish_message_reports_each_qos() {
    smol::block_on(async {
        let broker = Mosquitto::start();
        for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
            let (client, mut messages, _events) =
                connect(options(&broker, "tokens", version)).await.unwrap();
            client
                .subscribe("tokens/#", QoS::ExactlyOnce)
                .await
                .unwrap();
            for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
                let published = client
                    .publish_message(message("tokens/t", qos, &format!("{qos:?}")))
                    .await
                    .unwrap();
                assert_eq!(published.packet_id.is_some(), qos != QoS::AtMostOnce);
                assert_eq!(published.reason_code, ReasonCode::SUCCESS);
                let received = next(&mut messages).await.expect("delivered");
                assert_eq!(
                    received.payload(),
                    format!("{qos:?}").as_bytes(),
                    "{version}"
                );
            }
            client.disconnect().await.unwrap();
        }
    });
}

#[test]
fn send_try_send_and_flush() {
    smol::block_on(async {
        let broker = Mosquitto::start();
        let mut options = options(&broker, "sender", ProtocolVersion::V5);
        options.config.max_inflight = 4;
        options.config.max_pending = 8;
        let (client, _m, _e) = connect(options).await.unwrap();
        let (sink, mut messages, _e2) =
            connect(self::options(&broker, "sink", ProtocolVersion::V5))
                .await
                .unwrap();
        sink.subscribe("sent/#", QoS::AtLeastOnce).await.unwrap();
        for n in 0..100 {
            client
                .send(message("sent/n", QoS::AtLeastOnce, &n.to_string()))
                .await
                .unwrap();
        }
        client.flush().await.unwrap();
        for n in 0..100 {
            let received = next(&mut messages).await.expect("delivered");
            assert_eq!(received.payload(), n.to_string().as_bytes());
        }
        let mut queued = 0;
        let mut refused = 0;
        for n in 0..1000 {
            match client.try_send(message("sent/try", QoS::AtLeastOnce, &n.to_string())) {
                Ok(()) => queued += 1,
                Err(Error::Client(mqtt_sansio::ClientError::QueueFull(_))) => refused += 1,
                Err(other) => panic!("{other:?}"),
            }
        }
        assert!(refused > 0, "a full client refuses");
        client.flush().await.unwrap();
        for _ in 0..queued {
            assert!(next(&mut messages).await.is_some());
        }
        assert!(
            within(Duration::from_millis(200), messages.recv())
                .await
                .flatten()
                .is_none(),
            "only what was queued"
        );
        client.disconnect().await.unwrap();
        sink.disconnect().await.unwrap();
    });
}

#[test]
fn several_filters_at_once_then_unsubscribed() {
    smol::block_on(async {
        let broker = Mosquitto::start();
        for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
            let (client, mut messages, _events) =
                connect(options(&broker, "filters", version)).await.unwrap();
            let codes = client
                .subscribe_many(
                    vec![
                        Subscription::new(TopicFilter::new("f/a").unwrap(), QoS::AtMostOnce),
                        Subscription::new(TopicFilter::new("f/b").unwrap(), QoS::AtLeastOnce),
                    ],
                    SubscribeProperties::default(),
                )
                .await
                .unwrap();
            assert_eq!(
                codes.reason_codes,
                [ReasonCode::GRANTED_QOS_0, ReasonCode::GRANTED_QOS_1]
            );
            let codes = client
                .unsubscribe(
                    vec![TopicFilter::new("f/b").unwrap()],
                    UnsubscribeProperties::default(),
                )
                .await
                .unwrap();
            if version == ProtocolVersion::V5 {
                assert_eq!(codes.reason_codes, [ReasonCode::SUCCESS]);
            } else {
                assert!(codes.reason_codes.is_empty());
            }
            client
                .publish("f/b", QoS::AtLeastOnce, false, "gone")
                .await
                .unwrap();
            client
                .publish("f/a", QoS::AtLeastOnce, false, "a")
                .await
                .unwrap();
            assert_eq!(next(&mut messages).await.unwrap().payload(), &b"a"[..]);
            client.disconnect().await.unwrap();
        }
    });
}

#[test]
fn manual_acks_hold_the_message_until_acked() {
    smol::block_on(async {
        let broker = Mosquitto::start();
        let mut options = options(&broker, "manual", ProtocolVersion::V5);
        options.config.manual_acks = true;
        options.config.clean_start = false;
        options.config.session_expiry_interval = Some(60);
        let (client, mut messages, _events) =
            step("connect", connect(options.clone())).await.unwrap();
        step("subscribe", client.subscribe("manual/#", QoS::AtLeastOnce))
            .await
            .unwrap();
        step(
            "publish",
            client.publish("manual/m", QoS::AtLeastOnce, false, "unacked"),
        )
        .await
        .unwrap();
        let first = next(&mut messages).await.unwrap();
        step("abort", client.abort()).await.unwrap();
        assert!(matches!(
            step("disconnect after abort", client.disconnect()).await,
            Err(Error::Closed)
        ));
        let (client, mut messages, _events) = step("reconnect", connect(options)).await.unwrap();
        let again = next(&mut messages).await.expect("sent again");
        assert_eq!(again.payload(), first.payload());
        assert!(again.dup, "a redelivery");
        step("ack", client.ack(&again)).await.unwrap();
        assert!(matches!(
            step("second ack", client.ack(&again)).await,
            Err(Error::Client(mqtt_sansio::ClientError::UnknownAck(_)))
        ));
        step(
            "disconnect",
            client.disconnect_within(Duration::from_secs(1)),
        )
        .await
        .unwrap();
        assert!(within(WAIT, messages.recv()).await.expect("ends").is_none());
    });
}

#[test]
fn abort_publishes_the_will_and_disconnect_does_not() {
    smol::block_on(async {
        let broker = Mosquitto::start();
        let (watcher, mut wills, _e) = step(
            "the watcher connects",
            connect(options(&broker, "watcher", ProtocolVersion::V5)),
        )
        .await
        .unwrap();
        step(
            "the watcher subscribes",
            watcher.subscribe("wills/#", QoS::AtLeastOnce),
        )
        .await
        .unwrap();
        for (id, abort) in [("clean", false), ("crashed", true)] {
            let mut options = options(&broker, id, ProtocolVersion::V5);
            options.config.will = Some(LastWill::new(
                TopicName::new(format!("wills/{id}")).unwrap(),
                id.to_owned(),
            ));
            let (client, _m, _e) = step(&format!("{id} connects"), connect(options))
                .await
                .unwrap();
            if abort {
                step("abort", client.abort()).await.unwrap();
            } else {
                step("disconnect", client.disconnect()).await.unwrap();
            }
            assert!(matches!(
                step(
                    &format!("{id}: publish after the end"),
                    client.publish("late", QoS::AtMostOnce, false, "x")
                )
                .await,
                Err(Error::Closed)
            ));
            let will = within(Duration::from_secs(2), wills.recv()).await.flatten();
            if abort {
                assert_eq!(will.expect("the will").payload(), id.as_bytes());
            } else {
                assert!(will.is_none(), "a clean disconnect publishes no will");
            }
        }
        step("the watcher disconnects", watcher.disconnect())
            .await
            .unwrap();
    });
}

#[test]
fn a_refusal_is_the_first_error() {
    smol::block_on(async {
        let broker = Mosquitto::with_password("alice", "secret");
        for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
            let mut options = options(&broker, "refused", version);
            options.config.username = Some(MqttString::new("alice").unwrap());
            options.config.password = Some("wrong".into());
            let error = connect(options).await.unwrap_err();
            let Error::Refused(code) = error else {
                panic!("{version}: {error:?}")
            };
            assert!(code.is_error(), "{version}: {code:?}");
        }
    });
}

#[test]
fn messages_the_stream_had_no_room_for_follow_its_end() {
    smol::block_on(async {
        let broker = Mosquitto::start();
        let mut o = options(&broker, "full-stream", ProtocolVersion::V5);
        o.message_capacity = 1;
        let (client, mut messages, _events) = step("connect", connect(o)).await.unwrap();
        step("subscribe", client.subscribe("full/#", QoS::AtLeastOnce))
            .await
            .unwrap();
        let (publisher, _m, _e) = step(
            "the publisher connects",
            connect(options(&broker, "filler", ProtocolVersion::V5)),
        )
        .await
        .unwrap();
        for n in 0..5 {
            step(
                "publish",
                publisher.publish("full/n", QoS::AtLeastOnce, false, n.to_string()),
            )
            .await
            .unwrap();
        }
        // One message in the stream; the next, received and acknowledged, waits in the
        // connection task, which stopped reading.
        async_io::Timer::after(Duration::from_millis(300)).await;
        step("disconnect", client.disconnect()).await.unwrap();
        let mut received = Vec::new();
        while let Some(message) = within(WAIT, messages.recv()).await.flatten() {
            received.push(String::from_utf8(message.payload().to_vec()).unwrap());
        }
        assert!(
            received.len() >= 2,
            "the held message is delivered: {received:?}"
        );
        let expected: Vec<String> = (0..received.len()).map(|n| n.to_string()).collect();
        assert_eq!(received, expected);
        step("the publisher disconnects", publisher.disconnect())
            .await
            .unwrap();
    });
}
