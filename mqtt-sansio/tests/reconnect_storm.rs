//! No reconnect storm: a broker that accepts and then drops the connection at once is not
//! reconnected to at once. The backoff starts afresh only after a connection stayed up for the
//! stable period; throttling codes keep the throttled backoff after CONNACK; a session taken
//! over (0x8E) follows the takeover policy.

mod common;

use core::time::Duration;

use common::rig::Rig;
use mqtt_proto::{DisconnectProperties, MqttString, ProtocolVersion, ReasonCode};
use mqtt_sansio::{
    Backoff, Config, ConnectionEvent, DisconnectReason, End, Instant, Next, Output, Policy,
    Takeover,
};
use mqtt_test::{BrokerConfig, SplitMix64};

/// How the broker ends each connection after its CONNACK 0x00.
#[derive(Clone, Copy, Debug)]
enum Drop {
    /// DISCONNECT with this reason code.
    Disconnect(ReasonCode),
    /// The connection closes without a packet.
    Close,
}

struct Sim {
    rig: Rig,
    jitter: SplitMix64,
    /// Every connection event so far.
    log: Vec<ConnectionEvent>,
}

impl Sim {
    fn new(policy: Policy) -> Self {
        let config =
            Config::new(MqttString::from_static("storm")).with_version(ProtocolVersion::V5);
        Self {
            rig: Rig::unopened(config, BrokerConfig::new(), policy),
            jitter: SplitMix64::new(0x5EED),
            log: Vec::new(),
        }
    }

    /// A uniformly random jitter.
    fn jitter(&mut self) -> u32 {
        (self.jitter.next_u64() >> 32) as u32
    }

    /// One connection: accepted, up for `up`, then ended by the broker as `drop` says.
    fn connection(&mut self, up: Duration, drop: Drop) -> End {
        let rig = &mut self.rig;
        rig.broker.new_connection();
        rig.s.handle_transport_open(rig.now);
        rig.pump();
        assert!(rig.s.client().is_connected(), "CONNACK 0x00");
        rig.now = rig.now + up;
        match drop {
            Drop::Disconnect(code) => {
                rig.broker
                    .send_disconnect(code, DisconnectProperties::default());
                rig.pump();
            }
            Drop::Close => {
                rig.broker.connection_closed();
                rig.s.handle_transport_closed(rig.now);
            }
        }
        self.collect();
        let reason = self
            .log
            .iter()
            .rev()
            .find_map(|event| match event {
                ConnectionEvent::Disconnected(reason) => Some(reason.clone()),
                _ => None,
            })
            .expect("the connection ended");
        self.rig.s.handle_closed(reason, true)
    }

    fn collect(&mut self) {
        while let Some(output) = self.rig.s.poll_output() {
            if let Output::Event(event) = output {
                self.log.push(event);
            }
        }
    }

    /// The connection events since the last call.
    fn outputs(&mut self) -> Vec<ConnectionEvent> {
        self.collect();
        core::mem::take(&mut self.log)
    }

    /// The decision after `end`; `None` to stop.
    fn next(&mut self, end: &End) -> Option<Duration> {
        let jitter = self.jitter();
        match self
            .rig
            .s
            .handle_end(self.rig.now, end, false, false, jitter)
        {
            Next::Retry(delay) => Some(delay),
            _ => None,
        }
    }
}

/// 200 connections accepted and dropped at once: every delay lies between the floor and the
/// ceiling of its attempt, the ceilings grow to the cap, and the first ten seconds see a
/// handful of attempts, not 150.
#[test]
fn accepted_then_dropped_200_times_backs_off() {
    for drop in [
        Drop::Close,
        Drop::Disconnect(ReasonCode::NOT_AUTHORIZED),
        Drop::Disconnect(ReasonCode::UNSPECIFIED_ERROR),
    ] {
        let backoff = Backoff::DEFAULT;
        let mut sim = Sim::new(Policy::default());
        let mut in_first_10_s = 0;
        for attempt in 0..200_u32 {
            let end = sim.connection(Duration::ZERO, drop);
            let delay = sim.next(&end).expect("transient: retry");
            assert!(
                delay >= backoff.floor(),
                "{drop:?} attempt {attempt}: {delay:?}"
            );
            assert!(
                delay <= backoff.ceiling(attempt),
                "{drop:?} attempt {attempt}: {delay:?} above {:?}",
                backoff.ceiling(attempt)
            );
            if sim.rig.now < Instant::ZERO + Duration::from_secs(10) {
                in_first_10_s += 1;
            }
            sim.rig.now = sim.rig.now + delay;
        }
        assert!(
            in_first_10_s <= 12,
            "{drop:?}: {in_first_10_s} attempts in 10 s"
        );
        // 200 attempts take hours at the cap, not seconds.
        assert!(
            sim.rig.now > Instant::ZERO + Duration::from_secs(3600),
            "{drop:?}"
        );
        let reconnecting: Vec<u32> = sim
            .outputs()
            .into_iter()
            .filter_map(|e| match e {
                ConnectionEvent::Reconnecting { attempt, .. } => Some(attempt),
                _ => None,
            })
            .collect();
        assert_eq!(reconnecting, (1..=200).collect::<Vec<_>>(), "{drop:?}");
    }
}

/// Server busy, quota exceeded and connection rate exceeded after CONNACK keep the throttled
/// backoff: at least half of the ceiling three steps up, growing with each attempt.
#[test]
fn throttling_codes_after_connack_keep_the_throttled_backoff() {
    for code in [
        ReasonCode::SERVER_BUSY,
        ReasonCode::QUOTA_EXCEEDED,
        ReasonCode::CONNECTION_RATE_EXCEEDED,
    ] {
        let backoff = Backoff::DEFAULT;
        let mut sim = Sim::new(Policy::default());
        for attempt in 0..30_u32 {
            let end = sim.connection(Duration::ZERO, Drop::Disconnect(code));
            let delay = sim.next(&end).expect("throttle: retry");
            let ceiling = backoff.ceiling(attempt + 3);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{code:?} attempt {attempt}: {delay:?}"
            );
            sim.rig.now = sim.rig.now + delay;
        }
    }
}

/// Each stable period a connection stayed up takes one attempt off the count: a connection a
/// moment short of it takes none, one up for many periods starts the backoff afresh.
#[test]
fn the_backoff_comes_down_only_as_connections_stay_up() {
    let mut policy = Policy::default();
    policy.stable_after = Duration::from_secs(20);
    let mut sim = Sim::new(policy);
    let close = Drop::Close;
    for _ in 0..6 {
        let end = sim.connection(Duration::ZERO, close);
        let delay = sim.next(&end).unwrap();
        sim.rig.now = sim.rig.now + delay;
    }
    let jitter_after = |sim: &mut Sim, up: Duration| {
        let end = sim.connection(up, close);
        // The jitter the decision will draw.
        let jitter = (sim.jitter.clone().next_u64() >> 32) as u32;
        let delay = sim.next(&end).unwrap();
        sim.rig.now = sim.rig.now + delay;
        (delay, jitter)
    };
    // Up for just under the stable period: the seventh attempt's ceiling.
    let (delay, jitter) = jitter_after(&mut sim, Duration::from_millis(19_999));
    assert_eq!(delay, Backoff::DEFAULT.delay(6, jitter));
    // Up for two and a half periods: two attempts off (7 made, 5 counted).
    let (delay, jitter) = jitter_after(&mut sim, Duration::from_secs(50));
    assert_eq!(delay, Backoff::DEFAULT.delay(5, jitter));
    // Up for an hour: from the start.
    let (delay, jitter) = jitter_after(&mut sim, Duration::from_secs(3600));
    assert_eq!(delay, Backoff::DEFAULT.delay(0, jitter));
    // A stable period of zero: every accepted connection starts it afresh.
    let mut policy = Policy::default();
    policy.stable_after = Duration::ZERO;
    let mut sim = Sim::new(policy);
    for _ in 0..5 {
        let (delay, jitter) = jitter_after(&mut sim, Duration::ZERO);
        assert_eq!(delay, Backoff::DEFAULT.delay(0, jitter));
    }
}

/// Session taken over, with the default policy: reported as its own event, then stop.
#[test]
fn a_session_taken_over_stops_by_default() {
    let mut sim = Sim::new(Policy::default());
    let end = sim.connection(
        Duration::from_secs(60),
        Drop::Disconnect(ReasonCode::SESSION_TAKEN_OVER),
    );
    assert!(matches!(
        &end,
        End::Reason(DisconnectReason::ByServer(d)) if d.reason_code == ReasonCode::SESSION_TAKEN_OVER
    ));
    assert_eq!(sim.next(&end), None);
    assert_eq!(
        sim.outputs().last(),
        Some(&ConnectionEvent::SessionTakenOver)
    );
    // Even with fresh credentials: they are not what is wrong.
    assert_eq!(
        sim.rig.s.handle_end(sim.rig.now, &end, false, true, 0),
        Next::Stop,
        "fresh credentials do not make a takeover worth a retry"
    );
}

/// Session taken over, with a reconnect period: one attempt per period, a quarter of it
/// jittered, however long the connection had been up.
#[test]
fn a_session_taken_over_comes_back_after_the_period() {
    let mut policy = Policy::default();
    policy.takeover = Takeover::Reconnect(Duration::from_secs(60));
    let mut sim = Sim::new(policy);
    for up in [Duration::ZERO, Duration::from_secs(3600)] {
        let end = sim.connection(up, Drop::Disconnect(ReasonCode::SESSION_TAKEN_OVER));
        let delay = sim.next(&end).unwrap();
        assert!(
            delay >= Duration::from_secs(60) && delay <= Duration::from_secs(75),
            "{delay:?}"
        );
        let events = sim.outputs();
        assert!(matches!(
            &events[..],
            [
                ConnectionEvent::Connected { .. },
                ConnectionEvent::Disconnected(_),
                ConnectionEvent::SessionTakenOver,
                ConnectionEvent::Reconnecting { .. }
            ]
        ));
        sim.rig.now = sim.rig.now + delay;
    }
    assert_eq!(
        sim.rig
            .s
            .handle_end(sim.rig.now, &End::Stop, false, false, 0),
        Next::Stop
    );
}
