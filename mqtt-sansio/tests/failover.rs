//! A fleet of brokers: after a failure the next broker is tried at once, the backoff applies
//! per round of brokers, a first connection tries each broker once, and neither a fatal
//! refusal nor a session taken over moves to another broker.

use core::time::Duration;

use mqtt_proto::{ConnAck, Disconnect, ReasonCode};
use mqtt_sansio::{Backoff, DisconnectReason, End, Instant, Next, Policy, Reconnect, Takeover};

fn policy() -> Policy {
    let mut policy = Policy::default();
    policy.backoff = Backoff::new(Duration::from_millis(100), 2, Duration::from_secs(10));
    policy
}

const FULL: u32 = u32::MAX;

fn lost() -> End {
    End::Reason(DisconnectReason::TransportClosed)
}

/// The decisions for `ends` in a row (none of them first), each with the broker it goes to.
fn decisions(reconnect: &mut Reconnect, ends: &[End]) -> Vec<(Next, usize)> {
    ends.iter()
        .map(|end| {
            let next = reconnect.next(Instant::ZERO, end, false, false, FULL);
            (next, reconnect.broker())
        })
        .collect()
}

#[test]
fn the_backoff_applies_per_round_not_per_broker() {
    let mut reconnect = Reconnect::new(&policy());
    reconnect.set_brokers(3);
    assert_eq!(reconnect.broker(), 0);
    let retry = |ms| Next::Retry(Duration::from_millis(ms));
    let ends = vec![End::Unreachable; 7];
    assert_eq!(
        decisions(&mut reconnect, &ends),
        [
            (retry(0), 1),
            (retry(0), 2),
            (retry(100), 0),
            (retry(0), 1),
            (retry(0), 2),
            (retry(200), 0),
            (retry(0), 1),
        ]
    );
    assert_eq!(reconnect.attempt(), 2, "one attempt per round");
}

#[test]
fn a_first_connection_tries_every_broker_once() {
    let mut reconnect = Reconnect::new(&policy());
    reconnect.set_brokers(3);
    let first = |r: &mut Reconnect| r.next(Instant::ZERO, &End::Unreachable, true, false, FULL);
    assert_eq!(first(&mut reconnect), Next::Retry(Duration::ZERO));
    assert_eq!(first(&mut reconnect), Next::Retry(Duration::ZERO));
    assert_eq!(reconnect.broker(), 2);
    assert_eq!(
        first(&mut reconnect),
        Next::Stop,
        "every broker failed once"
    );
}

#[test]
fn a_lost_connection_moves_on_and_an_accepted_one_starts_a_new_round() {
    let mut reconnect = Reconnect::new(&policy());
    reconnect.set_brokers(2);
    // Up on broker 0, then lost: broker 1 at once.
    reconnect.handle_connected(Instant::ZERO);
    assert_eq!(
        decisions(&mut reconnect, &[lost()]),
        [(Next::Retry(Duration::ZERO), 1)]
    );
    // Broker 1 fails too: the round is over.
    assert_eq!(
        decisions(&mut reconnect, &[End::Unreachable]),
        [(Next::Retry(Duration::from_millis(100)), 0)]
    );
    // Broker 0 accepts; when it goes, broker 1 comes at once again.
    reconnect.handle_connected(Instant::ZERO);
    assert_eq!(
        decisions(&mut reconnect, &[lost()]),
        [(Next::Retry(Duration::ZERO), 1)]
    );
}

#[test]
fn busy_brokers_hand_over_to_the_next_and_fatal_refusals_stop() {
    let mut reconnect = Reconnect::new(&policy());
    reconnect.set_brokers(2);
    let refused = |code| End::Reason(DisconnectReason::Refused(ConnAck::new(false, code)));
    assert_eq!(
        decisions(&mut reconnect, &[refused(ReasonCode::SERVER_BUSY)]),
        [(Next::Retry(Duration::ZERO), 1)],
        "a busy broker: the next one"
    );
    assert_eq!(
        decisions(&mut reconnect, &[refused(ReasonCode::NOT_AUTHORIZED)]),
        [(Next::Stop, 1)],
        "the same credentials go to every broker"
    );
}

#[test]
fn only_refusals_that_would_repeat_are_fatal() {
    let refused = |code| End::Reason(DisconnectReason::Refused(ConnAck::new(false, code)));
    assert!(refused(ReasonCode::NOT_AUTHORIZED).is_fatal());
    assert!(!refused(ReasonCode::SERVER_BUSY).is_fatal());
    assert!(!End::Unreachable.is_fatal());
    assert!(!End::Stop.is_fatal());
}

#[test]
fn a_session_taken_over_stays_with_its_broker() {
    let mut policy = policy();
    policy.takeover = Takeover::Reconnect(Duration::from_secs(1));
    let mut reconnect = Reconnect::new(&policy);
    reconnect.set_brokers(2);
    let taken = End::Reason(DisconnectReason::ByServer(Disconnect::new(
        ReasonCode::SESSION_TAKEN_OVER,
    )));
    let [(next, broker)] = decisions(&mut reconnect, &[taken])[..] else {
        unreachable!()
    };
    assert!(matches!(next, Next::Retry(d) if d >= Duration::from_secs(1)));
    assert_eq!(broker, 0);
}

#[test]
fn without_reconnecting_only_the_first_connection_goes_round() {
    let mut policy = policy();
    policy.reconnect = false;
    let mut reconnect = Reconnect::new(&policy);
    reconnect.set_brokers(2);
    assert_eq!(
        reconnect.next(Instant::ZERO, &End::Unreachable, true, false, FULL),
        Next::Retry(Duration::ZERO)
    );
    reconnect.handle_connected(Instant::ZERO);
    assert_eq!(
        reconnect.next(Instant::ZERO, &lost(), false, false, FULL),
        Next::Stop
    );
}

#[test]
fn one_broker_backs_off_after_every_failure_as_before() {
    let mut reconnect = Reconnect::new(&policy());
    reconnect.set_brokers(0);
    let ends = vec![End::Unreachable; 3];
    let delays: Vec<_> = decisions(&mut reconnect, &ends);
    assert_eq!(
        delays,
        [
            (Next::Retry(Duration::from_millis(100)), 0),
            (Next::Retry(Duration::from_millis(200)), 0),
            (Next::Retry(Duration::from_millis(400)), 0),
        ]
    );
    assert_eq!(
        reconnect.next(Instant::ZERO, &End::Unreachable, true, false, FULL),
        Next::Stop
    );
}

#[test]
fn fewer_brokers_than_the_current_index_start_from_the_first() {
    let mut reconnect = Reconnect::new(&policy());
    reconnect.set_brokers(3);
    let _ = decisions(&mut reconnect, &[End::Unreachable, End::Unreachable]);
    assert_eq!(reconnect.broker(), 2);
    reconnect.set_brokers(2);
    assert_eq!(reconnect.broker(), 0);
}
