//! Reconnecting without a storm: against a broker that accepts and drops at once, and against
//! two clients with one client identifier.

use std::time::{Duration, Instant};

use mqtt_driver::{Jitter, Options};
use mqtt_proto::{ProtocolVersion, ReasonCode};
use mqtt_sansio::{Backoff, ConnectionEvent, DisconnectReason, Takeover};
use mqtt_test::BrokerConfig;

use super::WAIT;
use crate::{Adapter, AfterConnack, Connection, Mosquitto, Scripted};

/// The events until `Stopped` (included), each within [`WAIT`].
fn until_stopped(client: &impl Connection) -> Vec<ConnectionEvent> {
    let mut events = Vec::new();
    while let Some(event) = client.next_event(WAIT) {
        let stopped = event == ConnectionEvent::Stopped;
        events.push(event);
        if stopped {
            break;
        }
    }
    events
}

/// How many connections the broker accepts and drops.
const DROPS: usize = 200;

/// A broker that accepts every connection with CONNACK 0x00 and drops it at once, 200 times:
/// the delays the client reports are exactly those of its backoff for the seeded jitter
/// (throttled for Server busy), and the broker never sees two connections closer together.
pub fn accepted_then_dropped_backs_off<A: Adapter>() {
    let ms = Duration::from_millis;
    let backoff = Backoff::new(ms(2), 2, ms(16)).with_floor(ms(1));
    for (after, throttled) in [
        (AfterConnack::Disconnect(ReasonCode::SERVER_BUSY), true),
        (AfterConnack::Close, false),
    ] {
        let server = Scripted::start(BrokerConfig::new(), after);
        let mut o = Options::new(&server.url(), "storm").unwrap();
        o.config.version = ProtocolVersion::V5;
        o.policy.backoff = backoff;
        o.jitter = Jitter::seeded(11);
        let client = A::connect(o).expect("the first connection is accepted");
        let expected_jitter = Jitter::seeded(11);
        let mut retries = Vec::new();
        while retries.len() < DROPS {
            match client.next_event(WAIT) {
                Some(ConnectionEvent::Reconnecting { attempt, delay, .. }) => {
                    retries.push((attempt, delay));
                }
                Some(ConnectionEvent::Connected { .. } | ConnectionEvent::Disconnected(_)) => {}
                other => panic!("{after:?}: {other:?} after {} retries", retries.len()),
            }
        }
        client.abort().unwrap();
        let expected: Vec<(u32, Duration)> = (0..DROPS)
            .map(|n| {
                let attempt = u32::try_from(n).unwrap();
                let jitter = expected_jitter.next();
                let delay = if throttled {
                    backoff.throttled_delay(attempt, jitter)
                } else {
                    backoff.delay(attempt, jitter)
                };
                (attempt + 1, delay)
            })
            .collect();
        assert_eq!(retries, expected, "{after:?}");
        let accepted = server.accepted();
        assert!(accepted.len() >= DROPS, "{after:?}: {}", accepted.len());
        for (n, pair) in accepted.windows(2).enumerate() {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= expected[n].1,
                "{after:?}: connection {} came {gap:?} after the one before, its delay was {:?}",
                n + 2,
                expected[n].1
            );
        }
    }
}

/// A server that says the session was taken over (DISCONNECT 0x8E): with the default policy
/// the client stops and says so; with a reconnect period it comes back no sooner.
pub fn session_taken_over_follows_the_policy<A: Adapter>() {
    let server = Scripted::start(
        BrokerConfig::new(),
        AfterConnack::Disconnect(ReasonCode::SESSION_TAKEN_OVER),
    );
    let mut o = Options::new(&server.url(), "suite-taken").unwrap();
    o.config.version = ProtocolVersion::V5;
    let client = A::connect(o.clone()).expect("accepted");
    let events = until_stopped(&client);
    assert!(
        matches!(
            &events[..],
            [
                ConnectionEvent::Connected { .. },
                ConnectionEvent::Disconnected(DisconnectReason::ByServer(d)),
                ConnectionEvent::SessionTakenOver,
                ConnectionEvent::Stopped,
            ] if d.reason_code == ReasonCode::SESSION_TAKEN_OVER
        ),
        "{events:?}"
    );
    assert_eq!(server.accepted().len(), 1);

    let period = Duration::from_millis(300);
    o.policy.takeover = Takeover::Reconnect(period);
    let before = server.accepted().len();
    let client = A::connect(o).expect("accepted");
    let mut delays = Vec::new();
    while delays.len() < 5 {
        match client.next_event(WAIT) {
            Some(ConnectionEvent::Reconnecting { delay, .. }) => delays.push(delay),
            Some(_) => {}
            None => panic!("no retry: {delays:?}"),
        }
    }
    client.abort().unwrap();
    assert!(
        delays
            .iter()
            .all(|d| *d >= period && *d <= period + period / 4),
        "{delays:?}"
    );
    let accepted = server.accepted();
    for pair in accepted[before..].windows(2) {
        assert!(pair[1] - pair[0] >= period, "{accepted:?}");
    }
}

/// Two clients with one client identifier against Mosquitto, which closes the connection it
/// takes over without a word (2.0.11 sends no DISCONNECT 0x8E, even in MQTT 5.0): the client
/// cannot tell a takeover from a lost connection, so only the backoff slows the two down.
///
/// Every takeover adds an attempt to the count of the client taken over; every stable period
/// that one of them stays up takes one off. So beyond the climb to the delays that match the
/// stable period, the two make at most one takeover per stable period. Here the policy is
/// scaled down (1 s stable period, 10 ms base, 10 s cap): over 10 s, at most 10 takeovers and
/// the climb, 11 attempts (10 ms to 10 s) for each client.
pub fn session_takeover_is_not_a_loop<A: Adapter>() {
    let broker = Mosquitto::start();
    let stable = Duration::from_secs(1);
    let window = Duration::from_secs(10);
    let (base, cap) = (Duration::from_millis(10), Duration::from_secs(10));
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let twin = || {
            let mut o = Options::new(&broker.url(), "suite-twin").unwrap();
            o.config.version = version;
            o.policy.backoff = Backoff::new(base, 2, cap);
            o.policy.stable_after = stable;
            o
        };
        let first = A::connect(twin()).expect("first");
        let second = A::connect(twin()).expect("second");
        let start = Instant::now();
        let mut takeovers = Vec::new();
        while start.elapsed() < window {
            for client in [&first, &second] {
                if let Some(ConnectionEvent::Disconnected(_)) =
                    client.next_event(Duration::from_millis(5))
                {
                    takeovers.push(start.elapsed());
                }
            }
        }
        first.abort().unwrap();
        second.abort().unwrap();
        let climb = (cap.as_millis() / base.as_millis()).ilog2() + 1;
        let most = u32::try_from(window.as_secs() / stable.as_secs()).unwrap() + 2 * climb;
        assert!(
            takeovers.len() <= most as usize,
            "{version:?}: {} takeovers in {window:?}, at most {most}: {takeovers:?}",
            takeovers.len()
        );
        assert!(!takeovers.is_empty(), "{version:?}: they do take turns");
    }
}

/// An application that reads no events while the client reconnects 1,000 times: the client
/// never waits for it, keeps the newest events, and the first event it reads says exactly how
/// many it missed.
pub fn stalled_event_consumer_learns_what_it_missed<A: Adapter>() {
    let server = Scripted::start(BrokerConfig::new(), AfterConnack::Close);
    let mut o = Options::new(&server.url(), "suite-lagging").unwrap();
    o.policy.backoff = Backoff::new(Duration::ZERO, 1, Duration::ZERO);
    o.event_capacity = 16;
    let client = A::connect(o).expect("the first connection is accepted");
    let start = Instant::now();
    while server.accepted().len() < 1000 {
        assert!(
            start.elapsed() < WAIT * 4,
            "{} connections",
            server.accepted().len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    client.abort().unwrap();
    let events = until_stopped(&client);
    // The queue's 16, and what came while they were read.
    assert!(events.len() <= 20, "{}", events.len());
    let Some(ConnectionEvent::Lagged { missed }) = events.first() else {
        panic!("{:?}", events.first())
    };
    // Each connection made Connected, Disconnected and Reconnecting, in that order: the event
    // after the count is the one at that place of the sequence.
    let cycle = u32::try_from(missed / 3).unwrap() + 1;
    let first = &events[1];
    let expected = match missed % 3 {
        0 => matches!(first, ConnectionEvent::Connected { .. }),
        1 => matches!(first, ConnectionEvent::Disconnected(_)),
        _ => matches!(first, ConnectionEvent::Reconnecting { attempt, .. } if *attempt == cycle),
    };
    assert!(expected, "{missed} missed, then {first:?}");
    // At least 2,999 events for 1,000 connections, at most 15 of them kept.
    assert!(*missed >= 2984, "{missed}");
    assert_eq!(events.last(), Some(&ConnectionEvent::Stopped));
    let attempts: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            ConnectionEvent::Reconnecting { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert!(
        attempts.windows(2).all(|w| w[1] == w[0] + 1),
        "the newest, in order: {attempts:?}"
    );
}
