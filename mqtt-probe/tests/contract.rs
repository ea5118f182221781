//! The probe's contract, checked byte for byte against a scripted broker: what it sends for each
//! command, the events it writes, its exit status, and the conventions a test suite relies on.

mod common;

use std::time::{Duration, Instant};

use common::{Served, probe, probe_lines};
use mqtt_proto::{
    ConnectProperties, Packet, PacketId, ProtocolVersion, PubComp, PubRel, Publish, QoS, QosPid,
    ReasonCode, TopicName, UserProperty,
};
use mqtt_test::{BrokerConfig, ConnectAnswer, encode};
use serde_json::{Value, json};

fn connect(port: u16, extra: &Value) -> Value {
    let mut cmd = json!({"cmd": "connect", "port": port, "client_id": "probe"});
    if let (Some(cmd), Some(extra)) = (cmd.as_object_mut(), extra.as_object()) {
        cmd.extend(extra.clone());
    }
    cmd
}

fn connect_packet(received: &[Packet]) -> &mqtt_proto::Connect {
    match received.first() {
        Some(Packet::Connect(c)) => c,
        other => panic!("no CONNECT first: {other:?}"),
    }
}

#[test]
fn a_v5_connect_carries_exactly_the_properties_given() {
    let served = Served::start(BrokerConfig::new());
    let run = probe(
        &[],
        &[
            connect(
                served.port,
                &json!({"version": 5, "props": {"session_expiry_interval": 30,
                    "user_property": [["a", "1"], ["a", "2"]]}}),
            ),
            json!({"cmd": "wait", "event": "connack", "match": {"reason": 0}}),
            json!({"cmd": "disconnect"}),
        ],
    );
    assert_eq!(run.code(), 0, "{:?}", run.events);
    let received = served.received();
    let c = connect_packet(&received);
    let mut expected = ConnectProperties::default();
    expected.session_expiry_interval = Some(30);
    expected.user_properties = ["1", "2"]
        .iter()
        .map(|v| UserProperty::new("a".try_into().unwrap(), (*v).try_into().unwrap()))
        .collect();
    assert_eq!(*c.properties, expected);
    assert_eq!(c.client_id.as_str(), "probe");
}

#[test]
fn a_v5_connect_without_props_has_no_properties() {
    let served = Served::start(BrokerConfig::new());
    let run = probe(
        &[],
        &[
            connect(
                served.port,
                &json!({"version": 5, "client_id": "", "clean": true}),
            ),
            json!({"cmd": "wait", "event": "connack"}),
            json!({"cmd": "disconnect"}),
        ],
    );
    assert_eq!(run.code(), 0, "{:?}", run.events);
    let received = served.received();
    let c = connect_packet(&received);
    assert!(c.properties.is_empty(), "{:?}", c.properties);
    assert_eq!(c.client_id.as_str(), "");
}

#[test]
fn packet_ids_count_up_from_1_and_acks_are_reported() {
    let served = Served::start(BrokerConfig::new());
    let run = probe(
        &[],
        &[
            connect(served.port, &json!({"version": 4})),
            json!({"cmd": "wait", "event": "connack"}),
            json!({"cmd": "publish", "topic": "t", "payload": "a", "qos": 1}),
            json!({"cmd": "publish", "topic": "t", "payload_hex": "00ff", "qos": 2}),
            json!({"cmd": "publish", "topic": "t", "payload": "c", "qos": 0}),
            json!({"cmd": "wait", "event": "published", "match": {"pkid": 1, "qos": 1, "reason": 0}}),
            json!({"cmd": "wait", "event": "published", "match": {"pkid": 2, "qos": 2}}),
            json!({"cmd": "wait", "event": "published", "match": {"pkid": null, "qos": 0}}),
            json!({"cmd": "disconnect"}),
        ],
    );
    assert_eq!(run.code(), 0, "{:?}", run.events);
    let ids: Vec<_> = served
        .received()
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some(p.qos_pid.packet_id().map(PacketId::get)),
            _ => None,
        })
        .collect();
    assert_eq!(ids, [Some(1), Some(2), None]);
    let payloads: Vec<_> = served
        .received()
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some(p.payload().to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(payloads[1], [0x00, 0xff]);
}

#[test]
fn disconnect_with_reason_0_and_no_properties_is_two_bytes() {
    let served = Served::start(BrokerConfig::new());
    let run = probe(
        &[],
        &[
            connect(served.port, &json!({"version": 5})),
            json!({"cmd": "wait", "event": "connack"}),
            json!({"cmd": "disconnect", "reason": 0}),
            json!({"cmd": "wait", "event": "disconnected", "match": {"by_peer": false, "reason": 0}}),
        ],
    );
    assert_eq!(run.code(), 0, "{:?}", run.events);
    let raw = served.raw();
    assert_eq!(&raw[raw.len() - 2..], [0xe0, 0x00]);
}

#[test]
fn a_disconnect_with_a_reason_string_sends_it() {
    let served = Served::start(BrokerConfig::new());
    let run = probe(
        &[],
        &[
            connect(served.port, &json!({"version": 5})),
            json!({"cmd": "wait", "event": "connack"}),
            json!({"cmd": "disconnect", "reason": 4, "props": {"reason_string": "bye"}}),
        ],
    );
    assert_eq!(run.code(), 0, "{:?}", run.events);
    match served.received().last() {
        Some(Packet::Disconnect(d)) => {
            assert_eq!(d.reason_code, ReasonCode(4));
            assert_eq!(
                d.properties
                    .reason_string
                    .as_ref()
                    .map(mqtt_proto::MqttString::as_str),
                Some("bye")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn manual_acks_wait_for_the_ack_command() {
    let served = Served::start(BrokerConfig::new());
    std::thread::scope(|scope| {
        // The broker sends a QoS 1 message once connected; the probe holds its PUBACK.
        scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !served.broker().is_connected() {
                assert!(Instant::now() < deadline);
                std::thread::sleep(Duration::from_millis(5));
            }
            let message = Publish::new(
                TopicName::new("in").unwrap(),
                QosPid::AtLeastOnce(PacketId::new(1).unwrap()),
                "x",
            );
            served.broker().publish_to_client(message);
        });
        let run = probe(
            &[],
            &[
                connect(served.port, &json!({"version": 4, "manual_acks": true})),
                json!({"cmd": "wait", "event": "connack"}),
                json!({"cmd": "wait", "event": "message", "match": {"topic": "in", "qos": 1}}),
                json!({"cmd": "sleep", "ms": 200}),
                json!({"cmd": "ack", "pkid": 7}),
                json!({"cmd": "expect_error", "kind": "unknown_ack"}),
                json!({"cmd": "ack", "pkid": 1}),
                json!({"cmd": "wait", "event": "inbound_complete", "match": {"pkid": 1}}),
                json!({"cmd": "disconnect"}),
            ],
        );
        assert_eq!(run.code(), 0, "{:?}", run.events);
        // inbound_complete comes after the message, and only after the ack.
        let kinds: Vec<_> = run
            .events
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        let message_at = kinds.iter().position(|k| *k == "message").unwrap();
        let error_at = kinds.iter().position(|k| *k == "error").unwrap();
        let complete_at = kinds.iter().position(|k| *k == "inbound_complete").unwrap();
        assert!(message_at < error_at && error_at < complete_at, "{kinds:?}");
    });
    assert!(
        served
            .received()
            .iter()
            .any(|p| matches!(p, Packet::PubAck(a) if a.packet_id.get() == 1))
    );
}

#[test]
fn an_unknown_pubrel_is_answered_with_pubcomp_0x92_in_v5() {
    let served = Served::start(BrokerConfig::new());
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !served.broker().is_connected() {
                assert!(Instant::now() < deadline);
                std::thread::sleep(Duration::from_millis(5));
            }
            let pubrel = encode(
                ProtocolVersion::V5,
                &Packet::PubRel(PubRel::new(PacketId::new(9).unwrap())),
            );
            served.broker().send_raw(pubrel);
        });
        let run = probe(
            &[],
            &[
                connect(served.port, &json!({"version": 5})),
                json!({"cmd": "wait", "event": "connack"}),
                json!({"cmd": "sleep", "ms": 300}),
                json!({"cmd": "disconnect"}),
            ],
        );
        assert_eq!(run.code(), 0, "{:?}", run.events);
    });
    assert!(
        served
            .received()
            .contains(&Packet::PubComp(PubComp::with_reason(
                PacketId::new(9).unwrap(),
                ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
            )))
    );
}

#[test]
fn refusals_are_a_connack_event_then_disconnected() {
    let mut config = BrokerConfig::new();
    config.connect_answer = ConnectAnswer::Refuse(ReasonCode::NOT_AUTHORIZED);
    let served = Served::start(config);
    let run = probe(
        &[],
        &[
            connect(served.port, &json!({"version": 4})),
            json!({"cmd": "wait", "event": "connack", "match": {"reason": 5, "session_present": false}}),
            json!({"cmd": "wait", "event": "disconnected", "match": {"by_peer": true}}),
        ],
    );
    assert_eq!(run.code(), 0, "{:?}", run.events);
}

#[test]
fn local_errors_have_kinds_and_decide_the_exit_status() {
    let mut config = BrokerConfig::new();
    let mut props = mqtt_proto::ConnAckProperties::default();
    props.maximum_qos = Some(QoS::AtLeastOnce);
    props.retain_available = Some(false);
    config.connack_properties = props;
    let served = Served::start(config);
    let script = [
        connect(served.port, &json!({"version": 5})),
        json!({"cmd": "wait", "event": "connack"}),
        json!({"cmd": "publish", "topic": "t", "qos": 2}),
        json!({"cmd": "expect_error", "kind": "qos_not_supported"}),
        json!({"cmd": "publish", "topic": "t", "retain": true}),
        json!({"cmd": "expect_error", "kind": "retain_not_supported"}),
        json!({"cmd": "publish", "topic": "t", "props": {"topic_alias": 1}}),
        json!({"cmd": "expect_error", "kind": "topic_alias_invalid"}),
        json!({"cmd": "disconnect"}),
    ];
    let run = probe(&[], &script);
    assert_eq!(run.code(), 0, "{:?}", run.events);
    let kinds: Vec<_> = run.of("error").iter().map(|e| e["kind"].clone()).collect();
    assert_eq!(
        kinds,
        [
            "qos_not_supported",
            "retain_not_supported",
            "topic_alias_invalid"
        ]
    );

    // Unexpected: exit 1, and the script goes on.
    let served = Served::start(BrokerConfig::new());
    let run = probe(
        &[],
        &[
            connect(served.port, &json!({})),
            json!({"cmd": "wait", "event": "suback", "timeout_ms": 100}),
            json!({"cmd": "disconnect"}),
        ],
    );
    assert_eq!(run.code(), 1);
    assert_eq!(run.of("error")[0]["kind"], "timeout");
    assert!(matches!(
        served.received().last(),
        Some(Packet::Disconnect(_))
    ));

    // Usage errors: exit 2 at once.
    let run = probe(&[], &[json!({"cmd": "teleport"})]);
    assert_eq!(run.code(), 2);
    assert_eq!(run.of("error")[0]["kind"], "usage");
    let run = probe_lines(&[], &["not json".to_owned()]);
    assert_eq!(run.code(), 2);
    let run = probe_lines(&["--bogus"], &[]);
    assert_eq!(run.code(), 2);
}

#[test]
fn a_wait_fails_at_once_when_the_connection_closes_first() {
    let served = Served::start(BrokerConfig::new());
    let start = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            served.broker().connection_closed();
        });
        let run = probe(
            &[],
            &[
                connect(served.port, &json!({})),
                json!({"cmd": "wait", "event": "message", "timeout_ms": 10000}),
            ],
        );
        assert_eq!(run.code(), 1);
        let errors = run.of("error");
        assert_eq!(errors[0]["kind"], "closed", "{:?}", run.events);
        assert_eq!(run.of("disconnected")[0]["by_peer"], true);
    });
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "did not wait for the timeout"
    );
}

#[test]
fn suppressed_pings_are_not_sent() {
    let served = Served::start(BrokerConfig::new());
    let run = probe(
        &[],
        &[
            connect(
                served.port,
                &json!({"keepalive": 1, "suppress_pings": true}),
            ),
            json!({"cmd": "wait", "event": "connack"}),
            json!({"cmd": "sleep", "ms": 2500}),
            json!({"cmd": "disconnect"}),
        ],
    );
    assert_eq!(run.code(), 0, "{:?}", run.events);
    assert!(!served.received().contains(&Packet::PingReq));
    // Without the option, PINGREQ after one second of silence.
    let served = Served::start(BrokerConfig::new());
    let run = probe(
        &[],
        &[
            connect(served.port, &json!({"keepalive": 1})),
            json!({"cmd": "wait", "event": "connack"}),
            json!({"cmd": "sleep", "ms": 1500}),
            json!({"cmd": "disconnect"}),
        ],
    );
    assert_eq!(run.code(), 0, "{:?}", run.events);
    assert!(served.received().contains(&Packet::PingReq));
}

/// Closes each of the next `count` connections once its PUBLISH arrived (within 10 s).
fn close_after_each_publish(served: &Served, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut closed = 0;
    while closed < count && Instant::now() < deadline {
        let publishes = served
            .received()
            .iter()
            .filter(|p| matches!(p, Packet::Publish(_)))
            .count();
        if publishes > closed && served.broker().is_connected() {
            served.broker().connection_closed();
            closed += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn the_session_loop_connects_as_fuzzish_and_runs_one_command() {
    let served = Served::start(BrokerConfig::new());
    std::thread::scope(|scope| {
        scope.spawn(|| close_after_each_publish(&served, 2));
        let port = served.port;
        let run = probe_lines(
            &["--session-loop"],
            &[
                format!(r#"{port} 5 1 {{"cmd":"publish","topic":"a","payload":"1"}}"#),
                format!(r#"{port} 4 0 {{"cmd":"publish","topic":"b","payload":"2"}}"#),
            ],
        );
        assert_eq!(run.code(), 0, "{:?}", run.events);
        assert_eq!(run.of("connack").len(), 2);
        assert_eq!(run.of("disconnected").len(), 2);
    });
    let connects: Vec<_> = served
        .received()
        .into_iter()
        .filter_map(|p| match p {
            Packet::Connect(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(connects.len(), 2);
    let mut exactly = ConnectProperties::default();
    exactly.receive_maximum = core::num::NonZeroU16::new(20);
    assert_eq!(*connects[0].properties, exactly);
    assert!(connects[0].clean_start && !connects[1].clean_start);
    assert!(
        connects
            .iter()
            .all(|c| c.client_id.as_str() == "fuzzish" && c.keep_alive == 60)
    );
}

#[test]
fn enhanced_authentication_goes_both_ways() {
    let mut config = BrokerConfig::new();
    config.connect_answer = ConnectAnswer::NoAnswer;
    let served = Served::start(config);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // Challenge once CONNECT is in, accept once the answer is.
            let deadline = Instant::now() + Duration::from_secs(10);
            while !served.broker().is_connect_pending() {
                assert!(Instant::now() < deadline);
                std::thread::sleep(Duration::from_millis(5));
            }
            let mut challenge = mqtt_proto::Auth::new(ReasonCode::CONTINUE_AUTHENTICATION);
            challenge.properties.authentication_method = Some("SCRAM".try_into().unwrap());
            challenge.properties.authentication_data = Some(vec![0xaa].into());
            served.broker().send_auth(challenge);
            while !served
                .received()
                .iter()
                .any(|p| matches!(p, Packet::Auth(_)))
            {
                assert!(Instant::now() < deadline);
                std::thread::sleep(Duration::from_millis(5));
            }
            served.broker().answer_connect(ConnectAnswer::Accept);
        });
        let run = probe(
            &[],
            &[
                connect(
                    served.port,
                    &json!({"version": 5, "props": {"authentication_method": "SCRAM",
                        "authentication_data": "01"}}),
                ),
                json!({"cmd": "wait", "event": "auth",
                    "match": {"reason": 0x18, "props": {"authentication_data": "aa"}}}),
                json!({"cmd": "auth", "reason": 0x18,
                    "props": {"authentication_method": "SCRAM", "authentication_data": "bb"}}),
                json!({"cmd": "wait", "event": "connack", "match": {"reason": 0}}),
                json!({"cmd": "disconnect"}),
            ],
        );
        assert_eq!(run.code(), 0, "{:?}", run.events);
    });
    let answer = served.received().into_iter().find_map(|p| match p {
        Packet::Auth(a) => Some(a),
        _ => None,
    });
    let answer = answer.expect("the probe's AUTH");
    assert_eq!(answer.reason_code, ReasonCode::CONTINUE_AUTHENTICATION);
    assert_eq!(
        answer.properties.authentication_data.as_deref(),
        Some(&[0xbb][..])
    );
}

#[test]
fn auto_reconnect_connects_again_after_the_peer_closes() {
    let served = Served::start(BrokerConfig::new());
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !served.broker().is_connected() {
                assert!(Instant::now() < deadline);
                std::thread::sleep(Duration::from_millis(5));
            }
            served.broker().connection_closed();
        });
        let run = probe(
            &[],
            &[
                connect(
                    served.port,
                    &json!({"auto_reconnect": true, "clean": false}),
                ),
                json!({"cmd": "wait", "event": "connack"}),
                json!({"cmd": "wait", "event": "disconnected", "match": {"by_peer": true}}),
                json!({"cmd": "wait", "event": "connack", "match": {"session_present": true}}),
                json!({"cmd": "disconnect"}),
                json!({"cmd": "wait_closed", "timeout_ms": 2000}),
            ],
        );
        assert_eq!(run.code(), 0, "{:?}", run.events);
    });
    assert_eq!(served.broker().connections(), 2);
}

#[test]
fn each_session_loop_line_is_a_fresh_client() {
    // The broker never acknowledges: the first line leaves a QoS 1 message unacknowledged.
    let served = Served::start(BrokerConfig::new());
    served.broker().hold_acks(true);
    std::thread::scope(|scope| {
        scope.spawn(|| close_after_each_publish(&served, 2));
        let port = served.port;
        let run = probe_lines(
            &["--session-loop"],
            &[
                format!(r#"{port} 4 0 {{"cmd":"publish","topic":"a","payload":"1","qos":1}}"#),
                format!(r#"{port} 4 0 {{"cmd":"publish","topic":"b","payload":"2","qos":1}}"#),
            ],
        );
        assert_eq!(run.code(), 0, "{:?}", run.events);
    });
    let publishes: Vec<(String, Option<u16>, bool)> = served
        .received()
        .into_iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some((
                p.topic().to_owned(),
                p.qos_pid.packet_id().map(PacketId::get),
                p.dup,
            )),
            _ => None,
        })
        .collect();
    // The second connection carries the second line's message alone, numbered from 1 again.
    assert_eq!(
        publishes,
        [
            ("a".to_owned(), Some(1), false),
            ("b".to_owned(), Some(1), false)
        ]
    );
}

#[test]
fn auto_reconnect_backs_off_from_a_broker_that_drops_after_connack() {
    // CONNACK 0x00, then DISCONNECT 0x89 (Server busy), every time.
    let served = Served::start(BrokerConfig::new());
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if served.broker().is_connected() {
                    served.broker().send_disconnect(
                        ReasonCode::SERVER_BUSY,
                        mqtt_proto::DisconnectProperties::default(),
                    );
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        let run = probe(
            &[],
            &[
                connect(served.port, &json!({"auto_reconnect": true, "version": 5})),
                json!({"cmd": "sleep", "ms": 3000}),
            ],
        );
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(run.of("disconnected").len() >= 2, "{:?}", run.events);
    });
    // Throttled delays of 0.4-0.8 s, 0.8-1.6 s, 1.6-3.2 s: at most four connections in 3 s
    // (without the backoff, one every 60 ms or so).
    let connections = served.broker().connections();
    assert!(
        (2..=4).contains(&connections),
        "{connections} connections in 3 s"
    );
}
