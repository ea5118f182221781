//! Each public method of the blocking client against Mosquitto, beyond the shared suite:
//! tokens, `send` / `try_send` / `flush`, several filters at once, unsubscribing, manual acks,
//! `disconnect_within`, the last handle's drop, the message iterator, the credentials hook,
//! refusals, a connect timeout and errors after the client stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use mqtt_blocking::{
    ConnectionEvent, Credentials, CredentialsHook, Error, Message, Options, connect,
};
use mqtt_proto::{
    LastWill, MqttString, ProtocolVersion, QoS, ReasonCode, SubscribeProperties, Subscription,
    TopicFilter, TopicName, UnsubscribeProperties,
};
use mqtt_suite::Mosquitto;

const WAIT: Duration = Duration::from_secs(10);

fn options(broker: &Mosquitto, id: &str, version: ProtocolVersion) -> Options {
    let mut options = Options::new(&broker.url(), id).unwrap();
    options.config.version = version;
    options
}

fn message(topic: &str, qos: QoS, payload: &str) -> Message {
    Message::new(TopicName::new(topic).unwrap(), qos, payload.to_owned())
}

#[test]
fn tokens_report_each_publish() {
    let broker = Mosquitto::start();
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let (client, messages, _events) = connect(options(&broker, "tokens", version)).unwrap();
        client.subscribe("tokens/#", QoS::ExactlyOnce).unwrap();
        let tokens: Vec<_> = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
            .into_iter()
            .map(|qos| {
                let token = client
                    .publish_message(message("tokens/t", qos, &format!("{qos:?}")))
                    .unwrap();
                (qos, token)
            })
            .collect();
        for (qos, token) in tokens {
            let published = token.wait_timeout(WAIT).expect("finished").unwrap();
            // QoS 0 has no identifier; QoS 1 and 2 report theirs with the broker's code.
            assert_eq!(
                published.packet_id.is_some(),
                qos != QoS::AtMostOnce,
                "{qos:?}"
            );
            assert_eq!(published.reason_code, ReasonCode::SUCCESS);
        }
        for qos in ["AtMostOnce", "AtLeastOnce", "ExactlyOnce"] {
            let received = messages.recv_timeout(WAIT).expect("delivered");
            assert_eq!(received.payload(), qos.as_bytes(), "{version}");
        }
        let token = client
            .publish_message(message("tokens/t", QoS::AtLeastOnce, "waited"))
            .unwrap();
        assert!(token.wait().unwrap().packet_id.is_some());
        client.disconnect().unwrap();
    }
}

#[test]
fn send_and_flush_report_together() {
    let broker = Mosquitto::start();
    let mut options = options(&broker, "sender", ProtocolVersion::V5);
    options.config.max_inflight = 4;
    options.config.max_pending = 8;
    let (client, _m, _events) = connect(options).unwrap();
    // A client of its own receives: one that stops reading while its message stream is full
    // would not read its own PUBACKs either.
    let (sink, messages, _e) =
        connect(self::options(&broker, "sink", ProtocolVersion::V5)).unwrap();
    sink.subscribe("sent/#", QoS::AtLeastOnce).unwrap();
    for n in 0..100 {
        client
            .send(message("sent/n", QoS::AtLeastOnce, &n.to_string()))
            .unwrap();
    }
    client.flush().unwrap();
    let received: Vec<String> = (0..100)
        .map(|_| {
            String::from_utf8(messages.recv_timeout(WAIT).unwrap().payload().to_vec()).unwrap()
        })
        .collect();
    assert_eq!(
        received,
        (0..100).map(|n| n.to_string()).collect::<Vec<_>>()
    );

    // try_send never blocks: with the window and the queue full it says so, and queues nothing.
    let mut refused = 0;
    let mut queued = 0;
    for n in 0..1000 {
        match client.try_send(message("sent/try", QoS::AtLeastOnce, &n.to_string())) {
            Ok(()) => queued += 1,
            Err(Error::Client(mqtt_sansio::ClientError::QueueFull(_))) => refused += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(refused > 0, "a full session refuses");
    client.flush().unwrap();
    for _ in 0..queued {
        assert!(messages.recv_timeout(WAIT).is_some());
    }
    assert!(
        messages.recv_timeout(Duration::from_millis(200)).is_none(),
        "only what was queued"
    );
    client.disconnect().unwrap();
}

#[test]
fn several_filters_at_once_then_unsubscribed() {
    let broker = Mosquitto::start();
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let (client, messages, _events) = connect(options(&broker, "filters", version)).unwrap();
        let codes = client
            .subscribe_many(
                vec![
                    Subscription::new(TopicFilter::new("f/a").unwrap(), QoS::AtMostOnce),
                    Subscription::new(TopicFilter::new("f/b").unwrap(), QoS::AtLeastOnce),
                ],
                SubscribeProperties::default(),
            )
            .unwrap();
        assert_eq!(
            codes.reason_codes,
            [ReasonCode::GRANTED_QOS_0, ReasonCode::GRANTED_QOS_1]
        );
        client.publish("f/b", QoS::AtLeastOnce, false, "b").unwrap();
        assert_eq!(messages.recv_timeout(WAIT).unwrap().payload(), &b"b"[..]);

        let codes = client
            .unsubscribe(
                vec![TopicFilter::new("f/b").unwrap()],
                UnsubscribeProperties::default(),
            )
            .unwrap();
        // MQTT 5.0 answers with a code per filter; 3.1.1's UNSUBACK has none.
        if version == ProtocolVersion::V5 {
            assert_eq!(codes.reason_codes, [ReasonCode::SUCCESS]);
        } else {
            assert!(codes.reason_codes.is_empty());
        }
        client
            .publish("f/b", QoS::AtLeastOnce, false, "gone")
            .unwrap();
        client.publish("f/a", QoS::AtLeastOnce, false, "a").unwrap();
        assert_eq!(
            messages.recv_timeout(WAIT).unwrap().payload(),
            &b"a"[..],
            "f/b no longer delivered"
        );
        client.disconnect().unwrap();
    }
}

#[test]
fn manual_acks_hold_the_message_until_acked() {
    let broker = Mosquitto::start();
    let mut options = options(&broker, "manual", ProtocolVersion::V5);
    options.config.manual_acks = true;
    options.config.clean_start = false;
    options.config.session_expiry_interval = Some(60);
    let (client, messages, _events) = connect(options.clone()).unwrap();
    client.subscribe("manual/#", QoS::AtLeastOnce).unwrap();
    client
        .publish("manual/m", QoS::AtLeastOnce, false, "unacked")
        .unwrap();
    let first = messages.recv_timeout(WAIT).unwrap();
    // Not acknowledged: the broker sends it again on the session's next connection.
    client.abort().unwrap();
    let (client, messages, _events) = connect(options).unwrap();
    let again = messages.recv_timeout(WAIT).expect("sent again");
    assert_eq!(again.payload(), first.payload());
    assert!(again.dup, "a redelivery");
    client.ack(&again).unwrap();
    assert!(matches!(
        client.ack(&again),
        Err(Error::Client(mqtt_sansio::ClientError::UnknownAck(_)))
    ));
    client.disconnect().unwrap();
}

#[test]
fn dropping_the_last_handle_disconnects_and_ends_the_streams() {
    let broker = Mosquitto::start();
    let (watcher, wills, _e) = connect(options(&broker, "watcher", ProtocolVersion::V5)).unwrap();
    watcher.subscribe("wills/#", QoS::AtLeastOnce).unwrap();
    for (id, end) in [("dropped", "drop"), ("aborted", "abort")] {
        let mut options = options(&broker, id, ProtocolVersion::V5);
        options.config.will = Some(LastWill::new(
            TopicName::new(format!("wills/{id}")).unwrap(),
            id.to_owned(),
        ));
        let (client, messages, events) = connect(options).unwrap();
        let clone = client.clone();
        drop(client);
        clone
            .publish("alive", QoS::AtLeastOnce, false, "x")
            .unwrap();
        if end == "drop" {
            // The last handle gone: DISCONNECT (no will), and the streams end.
            drop(clone);
        } else {
            // No DISCONNECT: the broker publishes the will.
            clone.abort().unwrap();
            assert!(matches!(
                clone.publish("late", QoS::AtMostOnce, false, "x"),
                Err(Error::Closed)
            ));
            assert!(matches!(clone.disconnect(), Err(Error::Closed)));
        }
        assert_eq!(
            messages.iter().count(),
            0,
            "the iterator ends with the client"
        );
        // The events say the client stopped.
        assert!(
            std::iter::from_fn(|| events.recv_timeout(Duration::from_secs(2)))
                .any(|e| matches!(e.item, ConnectionEvent::Stopped)),
            "no Stopped event"
        );
        let will = wills.recv_timeout(Duration::from_secs(2));
        match end {
            "drop" => assert!(will.is_none(), "a clean disconnect publishes no will"),
            _ => assert_eq!(will.expect("the will").payload(), id.as_bytes()),
        }
    }
    watcher.disconnect_within(Duration::from_secs(1)).unwrap();
    assert!(wills.recv().is_none());
}

#[test]
fn a_refusal_is_the_first_error() {
    let broker = Mosquitto::with_password("alice", "secret");
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut options = options(&broker, "refused", version);
        options.config.username = Some(MqttString::new("alice").unwrap());
        options.config.password = Some("wrong".into());
        let error = connect(options).unwrap_err();
        let Error::Refused(code) = error else {
            panic!("{version}: {error:?}")
        };
        assert!(code.is_error(), "{version}: {code:?}");
    }
    // Nothing listens: the connection's error, not a hang.
    let port = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        free.local_addr().unwrap().port()
    };
    let mut options = Options::new(&format!("mqtt://127.0.0.1:{port}"), "nobody").unwrap();
    options.connect_timeout = Duration::from_secs(2);
    assert!(matches!(connect(options), Err(Error::Io(_))));
}

#[test]
fn the_credentials_hook_runs_before_each_attempt() {
    let broker = Mosquitto::with_password("alice", "secret");
    let calls = Arc::new(AtomicU32::new(0));
    let mut options = options(&broker, "hooked", ProtocolVersion::V5);
    options.credentials = Some(CredentialsHook::from_fn({
        let calls = calls.clone();
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            Credentials::new(MqttString::new("alice").unwrap(), "secret")
        }
    }));
    let (client, _messages, _events) = connect(options).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(broker.connections(), 1, "{}", broker.log());
    client.disconnect().unwrap();
}

#[test]
fn a_silent_server_is_a_connect_timeout() {
    // Accepts the connection and never answers CONNECT.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("mqtt://{}", listener.local_addr().unwrap());
    let mut options = Options::new(&url, "unanswered").unwrap();
    options.config.connack_timeout = Duration::from_millis(300);
    options.policy.reconnect = false;
    let started = std::time::Instant::now();
    let error = connect(options).unwrap_err();
    assert!(matches!(error, Error::ConnectTimeout), "{error:?}");
    assert!(started.elapsed() < WAIT, "{:?}", started.elapsed());
    drop(listener);
}
