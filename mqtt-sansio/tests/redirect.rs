//! MQTT 5.0 server redirection (section 4.11): a CONNACK or DISCONNECT with 0x9C (Use another
//! server) or 0x9D (Server moved) and a Server Reference is reported, and followed when the
//! policy says so, within a hop limit and never in a loop.

mod common;

use core::time::Duration;

use common::rig::Rig;
use mqtt_proto::{
    ConnAckProperties, DisconnectProperties, MqttString, ProtocolVersion, ReasonCode,
};
use mqtt_sansio::{Config, ConnectionEvent, DisconnectReason, End, Next, Policy, Redirect};
use mqtt_test::{BrokerConfig, ConnectAnswer};

fn policy(redirect: Redirect) -> Policy {
    let mut policy = Policy::default();
    policy.redirect = redirect;
    policy
}

/// A broker that refuses every CONNECT with `code` and `reference`.
fn redirecting(code: ReasonCode, reference: &str) -> BrokerConfig {
    let mut broker = BrokerConfig::new();
    broker.connect_answer = ConnectAnswer::Refuse(code);
    let mut properties = ConnAckProperties::default();
    properties.server_reference = Some(MqttString::new(reference).unwrap());
    broker.connack_properties = properties;
    broker
}

/// One attempt against the rig's broker: the connection events, and the decision.
fn attempt(rig: &mut Rig, first: bool) -> (Vec<ConnectionEvent>, Next) {
    rig.broker.new_connection();
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    let mut events = rig.events();
    let reason = events
        .iter()
        .find_map(|e| match e {
            ConnectionEvent::Disconnected(reason) => Some(reason.clone()),
            _ => None,
        })
        .expect("the connection ended");
    let end = rig.s.handle_closed(reason, true);
    let next = rig.s.handle_end(rig.now, &end, first, false, u32::MAX);
    events.extend(rig.events());
    (events, next)
}

fn redirected(events: &[ConnectionEvent]) -> Option<(String, bool, bool)> {
    events.iter().find_map(|e| match e {
        ConnectionEvent::Redirected {
            server_reference,
            permanent,
            followed,
        } => Some((server_reference.clone(), *permanent, *followed)),
        _ => None,
    })
}

fn redirected_rig(broker: BrokerConfig, redirect: Redirect) -> Rig {
    Rig::unopened(
        Config::new(MqttString::from_static("redirected")).with_version(ProtocolVersion::V5),
        broker,
        policy(redirect),
    )
}

#[test]
fn a_connack_redirection_is_followed_at_once() {
    let mut rig = redirected_rig(
        redirecting(ReasonCode::USE_ANOTHER_SERVER, "other.example:1884"),
        Redirect::Follow { max_hops: 3 },
    );
    let (events, next) = attempt(&mut rig, true);
    assert_eq!(
        redirected(&events),
        Some(("other.example:1884".into(), false, true))
    );
    assert_eq!(
        next,
        Next::Retry(Duration::ZERO),
        "even for the first connection"
    );
    assert_eq!(rig.s.redirect(), Some("other.example:1884"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ConnectionEvent::Reconnecting { delay, .. } if delay.is_zero()))
    );
}

#[test]
fn reporting_only_goes_on_as_after_a_passing_refusal() {
    let mut rig = redirected_rig(
        redirecting(ReasonCode::SERVER_MOVED, "new.example"),
        Redirect::Report,
    );
    let (events, next) = attempt(&mut rig, false);
    assert_eq!(
        redirected(&events),
        Some(("new.example".into(), true, false))
    );
    assert_eq!(rig.s.redirect(), None);
    assert!(
        matches!(next, Next::Retry(d) if d > Duration::ZERO),
        "{next:?}"
    );
    // The first connection fails with the refusal itself.
    let mut rig = redirected_rig(
        redirecting(ReasonCode::SERVER_MOVED, "new.example"),
        Redirect::Report,
    );
    assert_eq!(attempt(&mut rig, true).1, Next::Stop);
}

#[test]
fn a_loop_and_too_many_hops_are_not_followed() {
    // The same reference again: a loop (the fake broker stands for every server here).
    let mut rig = redirected_rig(
        redirecting(ReasonCode::USE_ANOTHER_SERVER, "a.example"),
        Redirect::Follow { max_hops: 5 },
    );
    assert_eq!(attempt(&mut rig, false).1, Next::Retry(Duration::ZERO));
    let (events, next) = attempt(&mut rig, false);
    assert_eq!(
        redirected(&events),
        Some(("a.example".into(), false, false))
    );
    assert_eq!(rig.s.redirect(), None, "back to the driver's brokers");
    assert!(matches!(next, Next::Retry(d) if d > Duration::ZERO));

    // A new reference each time, two hops at most.
    let mut rig = redirected_rig(
        redirecting(ReasonCode::USE_ANOTHER_SERVER, "h0"),
        Redirect::Follow { max_hops: 2 },
    );
    for hop in 0..3 {
        rig.broker.config_mut().connack_properties.server_reference =
            Some(MqttString::new(format!("h{hop}")).unwrap());
        let (events, _) = attempt(&mut rig, false);
        let (_, _, followed) = redirected(&events).unwrap();
        assert_eq!(followed, hop < 2, "hop {hop}");
    }
}

#[test]
fn an_accepted_connection_starts_the_count_afresh_and_a_disconnect_redirects_too() {
    let mut rig = redirected_rig(
        redirecting(ReasonCode::USE_ANOTHER_SERVER, "b.example"),
        Redirect::Follow { max_hops: 1 },
    );
    assert_eq!(attempt(&mut rig, false).1, Next::Retry(Duration::ZERO));
    // The server there accepts, then moves for good with a DISCONNECT.
    rig.broker.config_mut().connect_answer = ConnectAnswer::Accept;
    rig.broker.new_connection();
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    assert!(rig.s.client().is_connected());
    let _ = rig.events();
    let mut properties = DisconnectProperties::default();
    properties.server_reference = Some(MqttString::from_static("b.example"));
    rig.broker
        .send_disconnect(ReasonCode::SERVER_MOVED, properties);
    rig.pump();
    let reason = rig
        .events()
        .into_iter()
        .find_map(|e| match e {
            ConnectionEvent::Disconnected(reason) => Some(reason),
            _ => None,
        })
        .unwrap();
    assert!(matches!(reason, DisconnectReason::ByServer(_)));
    let end = rig.s.handle_closed(reason, true);
    assert_eq!(end.redirection(), Some(("b.example", true)));
    let next = rig.s.handle_end(rig.now, &end, false, false, u32::MAX);
    assert_eq!(
        next,
        Next::Retry(Duration::ZERO),
        "the count started afresh"
    );
    assert_eq!(rig.s.redirect(), Some("b.example"));
}

#[test]
fn a_refusal_without_a_reference_is_no_redirection() {
    let mut broker = BrokerConfig::new();
    broker.connect_answer = ConnectAnswer::Refuse(ReasonCode::USE_ANOTHER_SERVER);
    let mut rig = redirected_rig(broker, Redirect::Follow { max_hops: 3 });
    let (events, next) = attempt(&mut rig, false);
    assert_eq!(redirected(&events), None);
    assert!(matches!(next, Next::Retry(d) if d > Duration::ZERO));
    assert_eq!(End::Unreachable.redirection(), None);
}
