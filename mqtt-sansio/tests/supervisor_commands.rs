//! Each command and input of the supervisor, byte-level against the fake broker on the virtual
//! clock: unsubscribe, ack, abort, abandon, timeouts, write progress, room in bytes, flushes,
//! draining, messages and the events it passes on.

mod common;

use core::time::Duration;

use bytes::Bytes;
use common::rig::Rig;
use mqtt_proto::{
    ConnAckProperties, Disconnect, DisconnectProperties, MqttString, Packet, PacketId,
    ProtocolVersion, PubRel, Publish, QoS, QosPid, ReasonCode, SubscribeProperties, Subscription,
    TopicFilter, TopicName, UnsubscribeProperties,
};
use mqtt_sansio::{
    ClientError, Config, ConnectionEvent, DisconnectReason, Done, End, Failure, Instant, Message,
    Output, Policy, Retry, Timer,
};
use mqtt_test::{BrokerConfig, ConnectAnswer};

fn message(qos: QoS) -> Message {
    Message::new(TopicName::new("s/t").unwrap(), qos, "x")
}

fn connected(version: ProtocolVersion) -> Rig {
    let mut rig = Rig::new(version, BrokerConfig::new(), Policy::default());
    rig.outputs();
    rig
}

fn sent_packets(rig: &mut Rig) -> Vec<Packet> {
    rig.broker.take_received()
}

#[test]
fn unsubscribe_answers_its_tag_with_the_codes() {
    let mut rig = connected(ProtocolVersion::V5);
    let filter = TopicFilter::new("a/#").unwrap();
    rig.s.subscribe(
        vec![Subscription::new(filter.clone(), QoS::AtLeastOnce)],
        SubscribeProperties::default(),
        1,
    );
    rig.s
        .unsubscribe(vec![filter], UnsubscribeProperties::default(), 2);
    rig.pump();
    let codes: Vec<_> = rig
        .done()
        .into_iter()
        .map(|(tag, done)| match done {
            Done::Codes(Ok(acked)) => (tag, acked.reason_codes),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        codes,
        [
            (1, vec![ReasonCode::GRANTED_QOS_1]),
            (2, vec![ReasonCode::SUCCESS])
        ]
    );
    assert!(
        sent_packets(&mut rig)
            .iter()
            .any(|p| matches!(p, Packet::Unsubscribe(_)))
    );
    // Refused at once: answered at once.
    rig.s
        .unsubscribe(Vec::new(), UnsubscribeProperties::default(), 3);
    assert!(matches!(
        &rig.done()[..],
        [(3, Done::Codes(Err(Failure::Client(ClientError::Encode(_)))))]
    ));
}

#[test]
fn ack_is_the_sessions() {
    let mut rig = connected(ProtocolVersion::V3_1_1);
    let id = PacketId::new(4).unwrap();
    assert_eq!(rig.s.ack(id), Err(ClientError::AutomaticAcks));
    let config = Config::new(MqttString::from_static("manual")).with_manual_acks(true);
    let mut rig = Rig::with_config(config, BrokerConfig::new(), Policy::default());
    rig.outputs();
    assert_eq!(rig.s.ack(id), Err(ClientError::UnknownAck(id)));
    let publish = Publish::new(TopicName::new("in").unwrap(), QosPid::AtLeastOnce(id), "m");
    rig.broker.send_packet(&publish.into());
    rig.pump();
    assert!(matches!(&rig.outputs()[..], [Output::Message(_)]));
    assert_eq!(rig.s.ack(id), Ok(()));
    rig.pump();
    assert!(
        sent_packets(&mut rig)
            .iter()
            .any(|p| matches!(p, Packet::PubAck(a) if a.packet_id == id))
    );
}

#[test]
fn abort_closes_without_disconnect_and_stops() {
    let mut rig = connected(ProtocolVersion::V5);
    assert!(!rig.s.must_stop());
    rig.broker.hold_acks(true);
    rig.s.publish(message(QoS::AtLeastOnce), 1);
    rig.pump();
    sent_packets(&mut rig);
    rig.s.abort(rig.now, 2);
    assert!(rig.s.must_stop());
    rig.pump();
    assert!(
        !sent_packets(&mut rig)
            .iter()
            .any(|p| matches!(p, Packet::Disconnect(_))),
        "no DISCONNECT: the will is published"
    );
    let outputs = rig.outputs();
    assert!(outputs.iter().any(|o| matches!(
        o,
        Output::Event(ConnectionEvent::Disconnected(
            DisconnectReason::TransportClosed
        ))
    )));
    assert_eq!(
        rig.s.handle_closed(DisconnectReason::TransportClosed, true),
        End::Stop
    );
    rig.s.stop();
    let done = rig.done();
    assert!(done.contains(&(1, Done::Published(Err(Failure::Closed)))));
    assert!(done.contains(&(2, Done::Unit(Ok(())))));
}

#[test]
fn abandon_drains_then_disconnects_once() {
    let mut rig = connected(ProtocolVersion::V5);
    rig.broker.hold_acks(true);
    rig.s.publish(message(QoS::AtLeastOnce), 1);
    rig.pump();
    sent_packets(&mut rig);
    rig.s.abandon(rig.now);
    assert!(
        !rig.s.has_room(),
        "no more commands once every handle is gone"
    );
    rig.pump();
    assert!(sent_packets(&mut rig).is_empty(), "waits for the PUBACK");
    // A second call changes nothing: the draining deadline stays the first's.
    let deadline = rig.s.poll_timeout();
    rig.now = rig.now + Duration::from_secs(1);
    rig.s.abandon(rig.now);
    assert_eq!(rig.s.poll_timeout(), deadline);
    rig.broker.release_acks();
    rig.pump();
    assert!(matches!(
        &sent_packets(&mut rig)[..],
        [Packet::Disconnect(d)] if d.reason_code == ReasonCode::NORMAL_DISCONNECTION
    ));
    assert_eq!(
        rig.s.handle_closed(DisconnectReason::ByClient, true),
        End::Stop
    );
    // Without a connection, abandoning stops at once.
    let mut rig = connected(ProtocolVersion::V5);
    rig.s.handle_transport_closed(rig.now);
    rig.outputs();
    rig.s.abandon(rig.now);
    assert!(rig.s.must_stop());
}

#[test]
fn a_draining_disconnect_waits_for_pending_messages_too() {
    let config = Config::new(MqttString::from_static("window")).with_max_inflight(1);
    let mut rig = Rig::with_config(config, BrokerConfig::new(), Policy::default());
    rig.outputs();
    rig.broker.hold_acks(true);
    rig.s.publish(message(QoS::AtLeastOnce), 1);
    rig.s.publish(message(QoS::AtLeastOnce), 2);
    rig.pump();
    assert_eq!(rig.s.client().pending(), 1);
    rig.s.disconnect(rig.now, Duration::from_secs(10), 3);
    rig.broker.release_acks();
    rig.pump();
    // The first PUBACK let the second message out; it is still unacknowledged (held again).
    rig.broker.hold_acks(true);
    sent_packets(&mut rig);
    rig.pump();
    let packets = sent_packets(&mut rig);
    assert!(
        !packets.iter().any(|p| matches!(p, Packet::Disconnect(_))),
        "not before the second is acknowledged: {packets:?}"
    );
    rig.broker.release_acks();
    rig.pump();
    assert!(
        sent_packets(&mut rig)
            .iter()
            .any(|p| matches!(p, Packet::Disconnect(_)))
    );
}

#[test]
fn timeout_drives_the_sessions_timers_only_when_due() {
    let config =
        Config::new(MqttString::from_static("timers")).with_keep_alive(Duration::from_secs(10));
    let mut rig = Rig::with_config(config, BrokerConfig::new(), Policy::default());
    rig.outputs();
    sent_packets(&mut rig);
    let due = rig.s.poll_timeout().unwrap();
    assert_eq!(due, Instant::ZERO + Duration::from_secs(10));
    // Early: nothing.
    rig.now = Instant::ZERO + Duration::from_millis(9_999);
    rig.s.handle_timeout(rig.now);
    rig.pump();
    assert!(sent_packets(&mut rig).is_empty());
    // Due: PINGREQ.
    rig.now = due;
    rig.s.handle_timeout(rig.now);
    rig.pump();
    assert_eq!(sent_packets(&mut rig), [Packet::PingReq]);

    // A CONNACK that never comes ends the attempt.
    let mut broker = BrokerConfig::new();
    broker.connect_answer = ConnectAnswer::NoAnswer;
    let mut rig = Rig::new(ProtocolVersion::V5, broker, Policy::default());
    assert_eq!(rig.s.client().timer(), Some(Timer::ConnAck));
    rig.now = rig.s.poll_timeout().unwrap();
    rig.s.handle_timeout(rig.now);
    assert!(rig.outputs().iter().any(|o| matches!(
        o,
        Output::Event(ConnectionEvent::Disconnected(
            DisconnectReason::ConnAckTimeout
        ))
    )));
}

#[test]
fn write_progress_keeps_a_waiting_pingreq_alive() {
    let config =
        Config::new(MqttString::from_static("slow")).with_keep_alive(Duration::from_secs(10));
    let mut rig = Rig::with_config(config, BrokerConfig::new(), Policy::default());
    rig.outputs();
    // A large publish taken by the driver and not yet written.
    rig.s.publish(
        Message::new(
            TopicName::new("big").unwrap(),
            QoS::AtMostOnce,
            vec![0; 100_000],
        ),
        1,
    );
    assert!(rig.s.poll_transmit(rig.now, &mut rig.out));
    rig.now = Instant::ZERO + Duration::from_secs(10);
    rig.s.handle_timeout(rig.now);
    // The PINGREQ waits behind it: the deadline is a ping timeout from its queueing.
    let deadline = rig.s.poll_timeout().unwrap();
    assert_eq!(deadline, rig.now + Duration::from_secs(10));
    rig.now = rig.now + Duration::from_secs(7);
    rig.s.handle_write_progress(rig.now);
    assert_eq!(
        rig.s.poll_timeout(),
        Some(rig.now + Duration::from_secs(10))
    );
}

#[test]
fn room_is_bounded_in_bytes_with_the_output_counted() {
    let mut policy = Policy::default();
    policy.pending_bytes = 100;
    let config = Config::new(MqttString::from_static("bytes"));
    let mut rig = Rig::with_config(config, BrokerConfig::new(), policy);
    rig.outputs();
    rig.s.handle_transport_closed(rig.now);
    rig.outputs();
    // Each waiting message: 2 + 2 + 3 + 2 + 43 = 52 bytes encoded (QoS 1, 3.1.1).
    let sized = || {
        Message::new(
            TopicName::new("s/t").unwrap(),
            QoS::AtLeastOnce,
            vec![0; 43],
        )
    };
    rig.s.publish(sized(), 1);
    assert_eq!(rig.s.client().pending_bytes(), 52);
    assert!(rig.s.has_room());
    let mut smaller = sized();
    smaller.payload = Bytes::from(vec![0; 39]);
    rig.s.publish(smaller, 2);
    // 52 + 48 = 100: at the bound, no room.
    assert_eq!(rig.s.client().pending_bytes(), 100);
    assert!(!rig.s.has_room());

    // Connected, the bytes waiting for the driver count too.
    let mut policy = Policy::default();
    policy.pending_bytes = 100;
    let mut rig = Rig::with_config(
        Config::new(MqttString::from_static("out")),
        BrokerConfig::new(),
        policy,
    );
    rig.outputs();
    rig.s.publish(
        Message::new(TopicName::new("s/t").unwrap(), QoS::AtMostOnce, vec![0; 94]),
        1,
    );
    assert_eq!(rig.s.client().pending_bytes(), 0);
    assert!(rig.s.client().transmit_len() >= 100);
    assert!(!rig.s.has_room());
}

#[test]
fn a_flush_waits_for_sent_messages_only_and_each_covers_what_came_before_it() {
    let mut rig = connected(ProtocolVersion::V3_1_1);
    rig.broker.hold_acks(true);
    // A tagged publish outstanding does not hold a flush up.
    rig.s.publish(message(QoS::AtLeastOnce), 1);
    rig.s.flush(2);
    rig.pump();
    assert_eq!(rig.done(), [(2, Done::Unit(Ok(())))]);
    // A flush covers what was sent before it, not what comes after.
    rig.s.send(message(QoS::AtLeastOnce));
    rig.s.flush(3);
    rig.pump();
    rig.broker.release_acks();
    rig.broker.hold_acks(true);
    rig.s.send(message(QoS::AtLeastOnce));
    rig.pump();
    let done = rig.done();
    assert!(done.contains(&(3, Done::Unit(Ok(())))), "{done:?}");
    // Successful acknowledgements leave nothing to report.
    rig.broker.release_acks();
    rig.s.flush(4);
    rig.pump();
    assert_eq!(rig.done(), [(4, Done::Unit(Ok(())))]);
}

#[test]
fn a_qos0_message_the_new_connection_refuses_fails_with_its_own_tag() {
    let mut rig = connected(ProtocolVersion::V5);
    rig.s.handle_transport_closed(rig.now);
    rig.broker.connection_closed();
    rig.outputs();
    rig.s.publish(message(QoS::AtMostOnce), 1);
    let mut retained = message(QoS::AtMostOnce);
    retained.retain = true;
    rig.s.publish(retained, 2);
    rig.s.publish(message(QoS::AtMostOnce), 3);
    let mut properties = ConnAckProperties::default();
    properties.retain_available = Some(false);
    rig.broker.config_mut().connack_properties = properties;
    rig.broker.new_connection();
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    let mut done = rig.done();
    done.sort_by_key(|(tag, _)| *tag);
    assert!(matches!(&done[0], (1, Done::Published(Ok(_)))), "{done:?}");
    assert_eq!(
        done[1],
        (
            2,
            Done::Published(Err(Failure::Client(ClientError::RetainNotSupported)))
        )
    );
    assert!(matches!(&done[2], (3, Done::Published(Ok(_)))), "{done:?}");
}

#[test]
fn messages_and_suppressed_duplicates_are_passed_on() {
    let mut rig = connected(ProtocolVersion::V5);
    let id = PacketId::new(9).unwrap();
    let publish = Publish::new(TopicName::new("in").unwrap(), QosPid::ExactlyOnce(id), "m");
    rig.broker.send_packet(&publish.clone().into());
    rig.broker.send_packet(&PubRel::new(id).into());
    rig.pump();
    let outputs = rig.outputs();
    assert!(matches!(&outputs[..], [Output::Message(m)] if m.payload() == b"m"));
    // Completed, then sent again with DUP by a broker that forgot.
    let mut again = publish;
    again.dup = true;
    rig.broker.send_packet(&again.into());
    rig.broker.send_packet(&PubRel::new(id).into());
    rig.pump();
    assert_eq!(
        rig.outputs()
            .into_iter()
            .filter_map(|o| match o {
                Output::Event(e) => Some(e),
                _ => None,
            })
            .collect::<Vec<_>>(),
        [ConnectionEvent::DuplicateSuppressed { packet_id: id }]
    );
}

#[test]
fn a_server_disconnect_and_its_class() {
    let mut rig = connected(ProtocolVersion::V5);
    rig.broker.send_disconnect(
        ReasonCode::SERVER_SHUTTING_DOWN,
        DisconnectProperties::default(),
    );
    rig.pump();
    let reason = DisconnectReason::ByServer(Disconnect::new(ReasonCode::SERVER_SHUTTING_DOWN));
    assert!(rig.outputs().iter().any(|o| matches!(
        o,
        Output::Event(ConnectionEvent::Disconnected(r)) if *r == reason
    )));
    let end = rig.s.handle_closed(reason, true);
    assert_eq!(end.retry(), Some(Retry::Transient));
    assert!(!end.is_fatal());
}

#[test]
fn fatal_ends_are_those_fresh_credentials_may_cure() {
    let refused = |code| {
        End::Reason(DisconnectReason::Refused(mqtt_proto::ConnAck::new(
            false, code,
        )))
    };
    assert!(refused(ReasonCode::BAD_USER_NAME_OR_PASSWORD).is_fatal());
    assert!(!refused(ReasonCode::SERVER_BUSY).is_fatal());
    assert!(!End::Unreachable.is_fatal());
    assert!(!End::Stop.is_fatal());
    assert_eq!(End::Stop.retry(), None);
    let taken = End::Reason(DisconnectReason::ByServer(Disconnect::new(
        ReasonCode::SESSION_TAKEN_OVER,
    )));
    assert_eq!(taken.retry(), Some(Retry::TakenOver));
    assert!(!taken.is_fatal());
    let auth = End::Reason(DisconnectReason::AuthenticationFailed(
        mqtt_sansio::AuthFailed("no".into()),
    ));
    assert!(auth.is_fatal());
}

#[test]
fn credentials_and_read_pauses_reach_the_session() {
    let config = Config::new(MqttString::from_static("sup"))
        .with_version(ProtocolVersion::V5)
        .with_keep_alive(Duration::from_secs(10));
    let mut rig = Rig::unopened(config, BrokerConfig::new(), Policy::default());
    // Fresh credentials go into the next CONNECT.
    rig.s.set_credentials(
        Some(MqttString::from_static("alice")),
        Some(Bytes::from_static(b"secret")),
    );
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    let received = rig.broker.take_received();
    let Some(Packet::Connect(connect)) = received.first() else {
        panic!("{received:?}")
    };
    assert_eq!(connect.username, Some(MqttString::from_static("alice")));
    assert_eq!(connect.password, Some(Bytes::from_static(b"secret")));
    rig.outputs();

    // While reading is paused, a PINGREQ goes out without a PINGRESP deadline; resuming brings
    // the deadline back.
    rig.s.handle_read_paused(rig.now);
    rig.now = rig.now + Duration::from_secs(10);
    rig.s.handle_timeout(rig.now);
    while rig.s.poll_transmit(rig.now, &mut rig.out) {
        rig.out.clear();
        rig.s.handle_written();
    }
    assert_eq!(rig.s.client().timer(), Some(Timer::KeepAlive));
    rig.s.handle_read_resumed(rig.now);
    assert_eq!(rig.s.client().timer(), Some(Timer::PingResp));
}
