//! Against a scripted broker on a loopback port, on the real clock with short timers: timers
//! (CONNACK timeout, keep alive, backoff), refusals with any reason code, draining on
//! disconnect, and what `send`, `flush` and `try_send` report. (Tokio's paused clock would let
//! time jump while bytes are on their way through the sockets.)

mod common;

use core::time::Duration;

use bytes::Bytes;
use common::fake::Served;
use mqtt_proto::{Packet, ProtocolVersion, QoS, ReasonCode, TopicName};
use mqtt_sansio::{Backoff, ClientError, DisconnectReason, Message};
use mqtt_test::{BrokerConfig, ConnectAnswer};
use mqtt_tokio::{ConnectionEvent, Error, Events, Options, connect};
use tokio::time::Instant;

/// Bounds a wait: a test that hangs fails.
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(15), future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

fn options(served: &Served, version: ProtocolVersion) -> Options {
    let mut options = Options::new(&served.url(), "scripted").unwrap();
    options.config.version = version;
    // Ceilings of 20, 40, 80 and 160 ms; never less than 10 ms.
    options.policy.backoff = Backoff::new(ms(20), 2, ms(160));
    options
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What a wait on the real clock may take beyond what it should, on a loaded machine.
const SLACK: Duration = Duration::from_secs(1);

async fn next(events: &mut Events) -> ConnectionEvent {
    within("an event", events.recv())
        .await
        .expect("an event")
        .into_inner()
}

fn publishes(received: &[Packet]) -> usize {
    received
        .iter()
        .filter(|p| matches!(p, Packet::Publish(_)))
        .count()
}

#[tokio::test]
async fn no_connack_times_out_after_the_configured_delay() {
    let mut config = BrokerConfig::new();
    config.connect_answer = ConnectAnswer::NoAnswer;
    let served = Served::start(config).await;
    let mut options = options(&served, ProtocolVersion::V3_1_1);
    options.config.connack_timeout = ms(300);
    let start = Instant::now();
    let error = within("connect", connect(options)).await.unwrap_err();
    assert!(matches!(error, Error::ConnectTimeout), "{error:?}");
    let waited = start.elapsed();
    assert!(waited >= ms(300) && waited < ms(300) + SLACK, "{waited:?}");
    assert!(matches!(served.received()[..], [Packet::Connect(_)]));
}

#[tokio::test]
async fn a_silent_broker_is_detected_by_keep_alive_and_reconnected_with_backoff() {
    let mut config = BrokerConfig::new();
    config.answer_pings = false;
    let served = Served::start(config).await;
    let mut options = options(&served, ProtocolVersion::V3_1_1);
    options.config.keep_alive = Duration::from_secs(1);
    options.config.ping_timeout = Some(ms(500));
    let (client, _messages, mut events) = within("connect", connect(options)).await.unwrap();
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Connected { .. }
    ));
    let start = Instant::now();
    let event = next(&mut events).await;
    assert_eq!(
        event,
        ConnectionEvent::Disconnected(DisconnectReason::KeepAliveTimeout)
    );
    // The PINGREQ after 1 s of silence, then no PINGRESP within the ping timeout (0.5 s).
    let waited = start.elapsed();
    assert!(
        waited >= ms(1000) && waited <= ms(1500) + SLACK,
        "{waited:?}"
    );
    assert!(served.received().contains(&Packet::PingReq));
    // The next attempt waits a jittered delay between the floor and the first ceiling.
    let ConnectionEvent::Reconnecting { attempt, delay, .. } = next(&mut events).await else {
        panic!("no reconnection")
    };
    assert_eq!(attempt, 1);
    assert!(delay >= ms(10) && delay <= ms(20), "{delay:?}");
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Connected { .. }
    ));
    assert_eq!(served.broker().connections(), 2);
    within("disconnect", client.disconnect()).await.unwrap();
}

/// Accepts the first connection, then cuts it and answers every later CONNECT with `code`.
async fn refused_after_a_first_connection(
    version: ProtocolVersion,
    code: ReasonCode,
) -> (Served, mqtt_tokio::Client, Events) {
    let served = Served::start(BrokerConfig::new()).await;
    let (client, _messages, mut events) = within("connect", connect(options(&served, version)))
        .await
        .unwrap();
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Connected { .. }
    ));
    served.with(|broker| broker.config_mut().connect_answer = ConnectAnswer::Refuse(code));
    served.cut();
    assert_eq!(
        next(&mut events).await,
        ConnectionEvent::Disconnected(DisconnectReason::TransportClosed)
    );
    (served, client, events)
}

#[tokio::test]
async fn a_fatal_refusal_stops_reconnecting() {
    for (version, code) in [
        (
            ProtocolVersion::V5,
            ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
        ),
        (ProtocolVersion::V5, ReasonCode::BANNED),
        (ProtocolVersion::V5, ReasonCode::NOT_AUTHORIZED),
        (
            ProtocolVersion::V3_1_1,
            ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
        ),
        (
            ProtocolVersion::V3_1_1,
            ReasonCode::BAD_USER_NAME_OR_PASSWORD,
        ),
    ] {
        let (served, client, mut events) = refused_after_a_first_connection(version, code).await;
        assert!(matches!(
            next(&mut events).await,
            ConnectionEvent::Reconnecting { attempt: 1, .. }
        ));
        let event = next(&mut events).await;
        assert!(
            matches!(&event, ConnectionEvent::Disconnected(DisconnectReason::Refused(c)) if c.reason_code == code),
            "{version} {code:?}: {event:?}"
        );
        assert_eq!(next(&mut events).await, ConnectionEvent::Stopped);
        // No attempt after that, however long one waits (here three times the longest delay).
        tokio::time::sleep(ms(500)).await;
        assert_eq!(served.broker().connections(), 2, "{version} {code:?}");
        assert!(matches!(
            client
                .publish("after/stop", QoS::AtMostOnce, false, "x")
                .await,
            Err(Error::Closed)
        ));
    }
}

#[tokio::test]
async fn a_transient_refusal_backs_off_exponentially_until_accepted() {
    let (served, client, mut events) =
        refused_after_a_first_connection(ProtocolVersion::V3_1_1, ReasonCode::SERVER_UNAVAILABLE)
            .await;
    for expected in 1..=5_u32 {
        let ConnectionEvent::Reconnecting { attempt, delay, .. } = next(&mut events).await else {
            panic!("no reconnection")
        };
        assert_eq!(attempt, expected);
        // Jittered between the floor (10 ms) and a ceiling of 20, 40, 80, 160, 160 ms.
        let ceiling = ms(20 << (expected - 1).min(3));
        assert!(
            delay >= ms(10) && delay <= ceiling,
            "attempt {attempt}: {delay:?}"
        );
        let start = Instant::now();
        let event = next(&mut events).await;
        assert!(
            matches!(
                event,
                ConnectionEvent::Disconnected(DisconnectReason::Refused(_))
            ),
            "{event:?}"
        );
        assert!(
            start.elapsed() >= delay,
            "waited {:?} < {delay:?}",
            start.elapsed()
        );
    }
    served.with(|broker| broker.config_mut().connect_answer = ConnectAnswer::Accept);
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Reconnecting { attempt: 6, .. }
    ));
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Connected { .. }
    ));
    assert_eq!(served.broker().connections(), 7);
    within("disconnect", client.disconnect()).await.unwrap();
}

#[tokio::test]
async fn server_busy_waits_at_least_half_the_ceiling() {
    let (served, client, mut events) =
        refused_after_a_first_connection(ProtocolVersion::V5, ReasonCode::SERVER_BUSY).await;
    // The cut itself is transient; the refusals after it are throttled.
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Reconnecting { attempt: 1, .. }
    ));
    for attempt in 2..=4_u32 {
        assert!(matches!(
            next(&mut events).await,
            ConnectionEvent::Disconnected(DisconnectReason::Refused(_))
        ));
        let event = next(&mut events).await;
        let ConnectionEvent::Reconnecting { delay, .. } = event else {
            panic!("{event:?}")
        };
        // Three steps up the curve (capped at 160 ms), at least half of it.
        let ceiling = options(&served, ProtocolVersion::V5)
            .policy
            .backoff
            .ceiling(attempt - 1 + 3);
        assert!(
            delay >= ceiling / 2 && delay <= ceiling,
            "attempt {attempt}: {delay:?}"
        );
    }
    within("disconnect", client.disconnect()).await.unwrap();
}

#[tokio::test]
async fn disconnect_waits_for_the_messages_in_flight() {
    let served = Served::start(BrokerConfig::new()).await;
    let (client, _messages, _events) = within(
        "connect",
        connect(options(&served, ProtocolVersion::V3_1_1)),
    )
    .await
    .unwrap();
    served.with(|broker| broker.hold_acks(true));
    let topic = TopicName::new("drain/me").unwrap();
    for n in 0..5_u8 {
        let message = Message::new(topic.clone(), QoS::AtLeastOnce, Bytes::from(vec![n]));
        client.send(message).await.unwrap();
    }
    let disconnecting = tokio::spawn({
        let client = client.clone();
        async move { client.disconnect().await }
    });
    tokio::time::sleep(ms(300)).await;
    let received = served.received();
    assert_eq!(publishes(&received), 5);
    assert!(!received.iter().any(|p| matches!(p, Packet::Disconnect(_))));
    assert!(!disconnecting.is_finished());

    served.with(mqtt_test::FakeBroker::release_acks);
    within("disconnect", disconnecting).await.unwrap().unwrap();
    // The broker's task reads the DISCONNECT.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let received = served.received();
    assert!(
        matches!(received.last(), Some(Packet::Disconnect(_))),
        "{received:?}"
    );
}

#[tokio::test]
async fn disconnect_gives_up_waiting_after_its_timeout() {
    let served = Served::start(BrokerConfig::new()).await;
    let (client, _messages, mut events) = within(
        "connect",
        connect(options(&served, ProtocolVersion::V3_1_1)),
    )
    .await
    .unwrap();
    served.with(|broker| broker.hold_acks(true));
    let topic = TopicName::new("never/acked").unwrap();
    client
        .send(Message::new(topic, QoS::ExactlyOnce, "x"))
        .await
        .unwrap();
    let start = Instant::now();
    within("disconnect", client.disconnect_within(ms(300)))
        .await
        .unwrap();
    let waited = start.elapsed();
    assert!(waited >= ms(300) && waited < ms(300) + SLACK, "{waited:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(matches!(
        served.received().last(),
        Some(Packet::Disconnect(_))
    ));
    // The unacknowledged message is reported to whoever waits for it.
    assert!(matches!(client.flush().await, Err(Error::Closed)));
    let mut stopped = false;
    while let Some(event) = events.recv().await {
        stopped |= event.item == ConnectionEvent::Stopped;
    }
    assert!(stopped);
}

#[tokio::test]
async fn flush_reports_the_first_failure_among_sent_messages() {
    let mut config = BrokerConfig::new();
    config.publish_reason_code = ReasonCode::QUOTA_EXCEEDED;
    let served = Served::start(config).await;
    let (client, _messages, _events) =
        within("connect", connect(options(&served, ProtocolVersion::V5)))
            .await
            .unwrap();
    let topic = TopicName::new("over/quota").unwrap();
    for _ in 0..3 {
        client
            .send(Message::new(topic.clone(), QoS::AtLeastOnce, "x"))
            .await
            .unwrap();
    }
    let error = within("flush", client.flush()).await.unwrap_err();
    assert!(
        matches!(error, Error::Failed(ReasonCode::QUOTA_EXCEEDED)),
        "{error:?}"
    );
    // Reported once: the next flush has nothing to report.
    served.with(|broker| broker.config_mut().publish_reason_code = ReasonCode::SUCCESS);
    client
        .send(Message::new(topic.clone(), QoS::AtLeastOnce, "y"))
        .await
        .unwrap();
    within("flush", client.flush()).await.unwrap();
    assert_eq!(publishes(&served.received()), 4);
    within("disconnect", client.disconnect()).await.unwrap();
}

#[tokio::test]
async fn try_send_fails_at_once_when_the_queue_is_full() {
    let served = Served::start(BrokerConfig::new()).await;
    let mut options = options(&served, ProtocolVersion::V3_1_1);
    options.command_capacity = 1;
    let (client, _messages, _events) = within("connect", connect(options)).await.unwrap();
    let topic = TopicName::new("full/queue").unwrap();
    // No await in between: the connection task has not taken the first one yet.
    client
        .try_send(Message::new(topic.clone(), QoS::AtLeastOnce, "1"))
        .unwrap();
    let error = client
        .try_send(Message::new(topic.clone(), QoS::AtLeastOnce, "2"))
        .unwrap_err();
    assert!(
        matches!(error, Error::Client(ClientError::QueueFull(1))),
        "{error:?}"
    );
    assert!(error.to_string().contains("full"), "{error}");
    within("flush", client.flush()).await.unwrap();
    assert_eq!(
        publishes(&served.received()),
        1,
        "the refused one was not sent"
    );
    within("disconnect", client.disconnect()).await.unwrap();
}
