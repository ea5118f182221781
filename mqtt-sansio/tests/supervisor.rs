//! The supervisor's bookkeeping against the fake broker: when each tagged command is done, what
//! a flush reports, a draining disconnect, room for commands, and the reconnect decision.

mod common;

use core::time::Duration;

use common::rig::Rig;
use mqtt_proto::{ConnAck, MqttString, ProtocolVersion, QoS, ReasonCode, TopicName};
use mqtt_sansio::{
    Backoff, ClientError, Config, ConnectionEvent, DisconnectReason, Done, End, Failure, Instant,
    Message, Next, Output, Policy, Supervisor,
};
use mqtt_test::BrokerConfig;

fn message(qos: QoS) -> Message {
    Message::new(TopicName::new("s/t").unwrap(), qos, "x")
}

#[test]
fn a_qos0_publish_is_done_once_written_not_once_taken() {
    let mut rig = Rig::new(
        ProtocolVersion::V3_1_1,
        BrokerConfig::new(),
        Policy::default(),
    );
    rig.outputs();
    rig.s.publish(message(QoS::AtMostOnce), 7);
    assert!(rig.s.poll_transmit(rig.now, &mut rig.out));
    assert!(
        rig.done().is_empty(),
        "in the write buffer, not yet written"
    );
    rig.out.clear();
    rig.s.handle_written();
    assert!(matches!(&rig.done()[..], [(7, Done::Published(Ok(_)))]));
}

#[test]
fn a_flush_waits_for_every_sent_message_and_reports_the_first_failure_once() {
    let mut broker = BrokerConfig::new();
    broker.publish_reason_code = ReasonCode::QUOTA_EXCEEDED;
    let mut rig = Rig::new(ProtocolVersion::V5, broker, Policy::default());
    rig.outputs();
    rig.broker.hold_acks(true);
    for _ in 0..3 {
        rig.s.send(message(QoS::AtLeastOnce));
    }
    rig.s.flush(1);
    rig.pump();
    assert!(rig.done().is_empty(), "acknowledgements held");
    rig.broker.release_acks();
    rig.pump();
    assert_eq!(
        rig.done(),
        [(
            1,
            Done::Unit(Err(Failure::Failed(ReasonCode::QUOTA_EXCEEDED)))
        )]
    );
    rig.s.flush(2);
    assert_eq!(rig.done(), [(2, Done::Unit(Ok(())))]);
}

#[test]
fn disconnect_drains_then_times_out() {
    let mut rig = Rig::new(
        ProtocolVersion::V3_1_1,
        BrokerConfig::new(),
        Policy::default(),
    );
    rig.outputs();
    rig.broker.hold_acks(true);
    rig.s.publish(message(QoS::AtLeastOnce), 1);
    rig.pump();
    rig.s.disconnect(rig.now, Duration::from_secs(2), 9);
    assert!(!rig.s.has_room(), "no commands while draining");
    rig.pump();
    assert!(!rig.broker.is_closed(), "waits for the PUBACK");
    assert_eq!(
        rig.s.poll_timeout(),
        Some(Instant::ZERO + Duration::from_secs(2))
    );
    rig.now = Instant::ZERO + Duration::from_secs(2);
    rig.s.handle_timeout(rig.now);
    rig.pump();
    assert!(rig.broker.is_closed(), "DISCONNECT after the timeout");
    let outputs = rig.outputs();
    assert!(outputs.iter().any(|o| matches!(
        o,
        Output::Event(ConnectionEvent::Disconnected(DisconnectReason::ByClient))
    )));
    assert_eq!(
        rig.s.handle_closed(DisconnectReason::ByClient, true),
        End::Stop
    );
    rig.s.stop();
    let done = rig.done();
    assert!(done.contains(&(1, Done::Published(Err(Failure::Closed)))));
    assert!(done.contains(&(9, Done::Unit(Ok(())))));
}

#[test]
fn room_is_bounded_while_connected() {
    let mut policy = Policy::default();
    policy.connected_pending = 2;
    let config = Config::new(MqttString::from_static("room")).with_max_inflight(1);
    let mut rig = Rig::with_config(config, BrokerConfig::new(), policy);
    rig.outputs();
    let s = &mut rig.s;
    assert!(s.client().is_connected());
    s.publish(message(QoS::AtLeastOnce), 1); // in flight
    s.publish(message(QoS::AtLeastOnce), 2); // pending
    assert!(s.has_room());
    s.publish(message(QoS::AtLeastOnce), 3); // pending: 2 of 2
    assert!(!s.has_room());
}

#[test]
fn room_never_passes_the_sessions_own_bound() {
    // The session takes fewer messages than the policy lets wait: the driver must stop taking
    // commands at the session's bound, or the next one fails with QueueFull instead of waiting.
    let mut policy = Policy::default();
    policy.connected_pending = 64;
    let config = Config::new(MqttString::from_static("room"))
        .with_max_inflight(1)
        .with_max_pending(2);
    let mut rig = Rig::with_config(config, BrokerConfig::new(), policy);
    rig.outputs();
    let s = &mut rig.s;
    assert!(s.client().is_connected());
    s.publish(message(QoS::AtLeastOnce), 1); // in flight
    s.publish(message(QoS::AtLeastOnce), 2); // pending: 1 of 2
    assert!(s.has_room());
    s.publish(message(QoS::AtLeastOnce), 3); // pending: 2 of 2
    assert!(!s.has_room(), "the session's max_pending bounds the room");
    assert!(
        std::iter::from_fn(|| s.poll_output()).all(|o| !matches!(o, Output::Done(..))),
        "nothing refused"
    );
}

#[test]
fn the_reconnect_decision_follows_the_policy() {
    let refused = |code| End::Reason(DisconnectReason::Refused(ConnAck::new(false, code)));
    let mut policy = Policy::default();
    policy.backoff = Backoff::new(Duration::from_millis(100), 2, Duration::from_secs(1));
    let config = Config::new(MqttString::from_static("next"));
    let mut s: Supervisor<u32> = Supervisor::new(config.clone(), policy.clone());
    // The first connection's failure goes to whoever waits for it.
    assert_eq!(
        s.handle_end(Instant::ZERO, &End::Unreachable, true, false, 0),
        Next::Stop
    );
    // Later: transient failures retry under growing ceilings, with an event each.
    let jitter = u32::MAX;
    assert_eq!(
        s.handle_end(Instant::ZERO, &End::Unreachable, false, false, jitter),
        Next::Retry(Duration::from_millis(100))
    );
    assert_eq!(
        s.handle_end(
            Instant::ZERO,
            &refused(ReasonCode::SERVER_UNAVAILABLE),
            false,
            false,
            jitter
        ),
        Next::Retry(Duration::from_millis(200))
    );
    let events: Vec<_> = core::iter::from_fn(|| s.poll_output())
        .filter_map(|o| match o {
            Output::Event(ConnectionEvent::Reconnecting { attempt, .. }) => Some(attempt),
            _ => None,
        })
        .collect();
    assert_eq!(events, [1, 2]);
    // Fatal refusals stop, unless the credentials changed.
    let bad = refused(ReasonCode::BAD_USER_NAME_OR_PASSWORD);
    assert_eq!(
        s.handle_end(Instant::ZERO, &bad, false, false, jitter),
        Next::Stop
    );
    assert!(matches!(
        s.handle_end(Instant::ZERO, &bad, false, true, jitter),
        Next::Retry(_)
    ));
    assert_eq!(
        s.handle_end(Instant::ZERO, &End::Stop, false, false, jitter),
        Next::Stop
    );
    // Reconnecting off.
    policy.reconnect = false;
    let mut s: Supervisor<u32> = Supervisor::new(config, policy);
    assert_eq!(
        s.handle_end(Instant::ZERO, &End::Unreachable, false, false, jitter),
        Next::Stop
    );
}

/// A QoS 0 message the session had encoded but not yet handed over when the connection ended
/// is not written: it fails with the connection's end, not success.
#[test]
fn a_qos0_publish_lost_with_its_connection_fails() {
    let mut rig = Rig::new(
        ProtocolVersion::V3_1_1,
        BrokerConfig::new(),
        Policy::default(),
    );
    rig.outputs();
    rig.s.publish(message(QoS::AtMostOnce), 1);
    rig.s.send(message(QoS::AtMostOnce));
    rig.s.flush(2);
    rig.s.handle_transport_closed(rig.now);
    let done = rig.done();
    let lost = Failure::Disconnected(DisconnectReason::TransportClosed);
    assert_eq!(
        done,
        [
            (1, Done::Published(Err(lost.clone()))),
            (2, Done::Unit(Err(lost)))
        ]
    );
    // Nothing is reported written later.
    let _ = rig.s.handle_closed(DisconnectReason::TransportClosed, true);
    assert!(rig.done().is_empty());
}

/// A message queued while disconnected that the new connection's limits refuse fails with the
/// session's error; the ones that fit go on.
#[test]
fn a_publish_the_new_connection_refuses_fails_with_its_tag() {
    let mut broker = BrokerConfig::new();
    broker.connack_properties.maximum_qos = Some(QoS::AtLeastOnce);
    let mut rig = Rig::new(ProtocolVersion::V5, BrokerConfig::new(), Policy::default());
    rig.outputs();
    rig.s.handle_transport_closed(rig.now);
    rig.broker.connection_closed();
    rig.outputs();
    rig.s.publish(message(QoS::ExactlyOnce), 1);
    rig.s.publish(message(QoS::AtMostOnce), 2);
    rig.s.publish(message(QoS::AtLeastOnce), 3);
    *rig.broker.config_mut() = broker;
    rig.broker.new_connection();
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    let done = rig.done();
    assert_eq!(
        done.iter().map(|(tag, _)| *tag).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(matches!(
        &done[0].1,
        Done::Published(Err(Failure::Client(ClientError::QosNotSupported { .. })))
    ));
    assert!(matches!(&done[1].1, Done::Published(Ok(_))));
    assert!(matches!(&done[2].1, Done::Published(Ok(_))));
}

/// After a session loss a message sent again has a new packet identifier: its caller gets the
/// outcome under that one; the resubscription's answer is an event.
#[test]
fn a_requeued_publish_completes_under_its_new_identifier() {
    let mut rig = Rig::new(
        ProtocolVersion::V3_1_1,
        BrokerConfig::new(),
        Policy::default(),
    );
    rig.outputs();
    rig.s.subscribe(
        vec![mqtt_proto::Subscription::new(
            mqtt_proto::TopicFilter::new("s/#").unwrap(),
            QoS::AtLeastOnce,
        )],
        mqtt_proto::SubscribeProperties::default(),
        1,
    );
    rig.pump();
    rig.broker.hold_acks(true);
    rig.s.publish(message(QoS::AtLeastOnce), 2);
    rig.pump();
    assert!(matches!(&rig.done()[..], [(1, Done::Codes(Ok(_)))]));
    rig.s.handle_transport_closed(rig.now);
    rig.broker.connection_closed();
    rig.broker.expire_session("sup");
    rig.broker.hold_acks(false);
    rig.broker.new_connection();
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    let outputs = rig.outputs();
    let renumbered = outputs.iter().find_map(|o| match o {
        Output::Event(ConnectionEvent::SessionReset(reset)) => Some(reset.requeued[0]),
        _ => None,
    });
    let renumbered = renumbered.expect("a session reset");
    assert_ne!(renumbered.before, renumbered.after);
    assert!(outputs.iter().any(|o| matches!(
        o,
        Output::Done(2, Done::Published(Ok(p))) if p.packet_id == Some(renumbered.after)
    )));
    assert!(outputs.iter().any(|o| matches!(
        o,
        Output::Event(ConnectionEvent::Resubscribed(results)) if results.len() == 1
    )));
}
