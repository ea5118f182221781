//! Fleets of brokers: failover from one broker to the next, and redirection by the server.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use mqtt_driver::{Error, Options};
use mqtt_proto::{MqttString, ProtocolVersion, QoS, ReasonCode, TopicName};
use mqtt_sansio::{Backoff, ConnectionEvent, Message, Redirect};

use super::{WAIT, connected, options};
use crate::{Adapter, AfterConnack, Connection, Mosquitto, Scripted};

/// The numbers of the messages `subscriber` receives within `wait` of each other, into `into`.
fn drain(subscriber: &impl Connection, into: &mut BTreeSet<u16>, wait: Duration) {
    while let Some(message) = subscriber.next_message(wait) {
        into.insert(u16::from_be_bytes(message.payload().try_into().unwrap()));
    }
}

/// Two Mosquitto brokers with a subscriber on each and a publisher given both: the first is
/// stopped while QoS 1 messages flow. The publisher moves to the second, which has no session
/// (messages in flight go again as new ones), and every message `send` took reaches one
/// subscriber or the other.
///
/// The first broker is stopped with SIGTERM and started again at the end, so that what it
/// acknowledged and had not yet delivered (its queue for its subscriber, which SIGTERM saves)
/// still reaches that subscriber. With SIGKILL those messages die with the broker, which had
/// taken them from the client (5, 12 and 39 of 2,000 in three runs here), and no client can
/// make up for that.
pub fn failover_loses_no_accepted_message<A: Adapter>() {
    const COUNT: u16 = 2000;
    let mut first = Mosquitto::persistent();
    // No limit on the messages queued for the subscriber, which reads only at the end:
    // Mosquitto drops what passes its default of 1,000 without a word.
    let second = Mosquitto::with_config("max_queued_messages 0");
    let mut o = options(&first.url(), "fleet-sub-first");
    o.config.clean_start = false;
    o.config.session_expiry_interval = Some(3600);
    let on_first = connected::<A>(o);
    on_first
        .subscribe("fleet/stream", QoS::AtLeastOnce)
        .unwrap();
    let on_second = connected::<A>(options(&second.url(), "fleet-sub-second"));
    on_second
        .subscribe("fleet/stream", QoS::AtLeastOnce)
        .unwrap();

    let mut o = Options::with_brokers([first.url(), second.url()], "fleet-publisher").unwrap();
    o.policy.backoff = Backoff::new(Duration::from_millis(50), 2, Duration::from_millis(400));
    let publisher = A::connect(o).unwrap();
    assert!(matches!(
        publisher.next_event(WAIT),
        Some(ConnectionEvent::Connected { broker: 0, .. })
    ));
    let topic = TopicName::new("fleet/stream").unwrap();
    let sending = std::thread::spawn(move || {
        for n in 0..COUNT {
            let message = Message::new(topic.clone(), QoS::AtLeastOnce, n.to_be_bytes().to_vec());
            publisher.send(message).unwrap();
        }
        let flushed = publisher.flush();
        (publisher, flushed)
    });
    let mut received = BTreeSet::new();
    while received.len() < usize::from(COUNT / 4) {
        let message = on_first.next_message(WAIT).expect("messages flow");
        received.insert(u16::from_be_bytes(message.payload().try_into().unwrap()));
    }
    first.stop();
    let (publisher, flushed) = sending.join().unwrap();
    flushed.expect("every message acknowledged, by one broker or the other");
    // The second broker's, then the first broker's queue once it is back.
    first.start_again();
    let deadline = Instant::now() + WAIT;
    while received.len() < usize::from(COUNT) && Instant::now() < deadline {
        drain(&on_second, &mut received, Duration::from_millis(100));
        drain(&on_first, &mut received, Duration::from_millis(100));
    }

    let mut on = None;
    while let Some(event) = publisher.next_event(Duration::from_millis(10)) {
        if let ConnectionEvent::Connected { broker, .. } = event {
            on = Some(broker);
        }
    }
    let missing: Vec<u16> = (0..COUNT).filter(|n| !received.contains(n)).collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    assert_eq!(on, Some(1), "the publisher ends on the second broker");
    publisher.disconnect().unwrap();
    on_second.disconnect().unwrap();
    on_first.disconnect().unwrap();
}

/// The scripted broker refuses every CONNECT with 0x9C (Use another server) and a Server
/// Reference naming a real Mosquitto: followed, the client ends there; only reported, the
/// first connection fails with the refusal.
pub fn a_redirection_to_mosquitto_is_followed<A: Adapter>() {
    let mosquitto = Mosquitto::start();
    let mut script = mqtt_test::BrokerConfig::new();
    script.connect_answer = mqtt_test::ConnectAnswer::Refuse(ReasonCode::USE_ANOTHER_SERVER);
    script.connack_properties.server_reference =
        Some(MqttString::new(format!("127.0.0.1:{}", mosquitto.port)).unwrap());
    let redirecting = Scripted::start(script, AfterConnack::Serve);

    let mut o = options(&redirecting.url(), "fleet-redirected");
    o.config.version = ProtocolVersion::V5;
    o.policy.redirect = Redirect::Follow { max_hops: 2 };
    let client = A::connect(o).expect("connected where the reference says");
    let mut redirected = false;
    loop {
        match client.next_event(WAIT) {
            Some(ConnectionEvent::Redirected {
                server_reference,
                permanent: false,
                followed: true,
            }) => {
                assert_eq!(server_reference, format!("127.0.0.1:{}", mosquitto.port));
                redirected = true;
            }
            Some(ConnectionEvent::Connected { .. }) => break,
            Some(_) => {}
            None => panic!("not connected"),
        }
    }
    assert!(redirected);
    assert_eq!(
        client
            .subscribe("fleet/redirected", QoS::AtLeastOnce)
            .unwrap(),
        QoS::AtLeastOnce
    );
    client
        .publish("fleet/redirected", QoS::AtLeastOnce, false, b"here")
        .unwrap();
    assert_eq!(client.next_message(WAIT).unwrap().payload(), b"here");
    assert_eq!(mosquitto.connections(), 1, "{}", mosquitto.log());
    client.disconnect().unwrap();

    let mut o = options(&redirecting.url(), "fleet-reported");
    o.config.version = ProtocolVersion::V5;
    match A::connect(o) {
        Err(Error::Refused(code)) => assert_eq!(code, ReasonCode::USE_ANOTHER_SERVER),
        Err(e) => panic!("not the refusal: {e}"),
        Ok(_) => panic!("followed a redirection the policy only reports"),
    }
}

/// The version of the next connection accepted.
fn connected_version(client: &impl Connection) -> ProtocolVersion {
    let deadline = Instant::now() + WAIT;
    loop {
        match client.next_event(deadline.saturating_duration_since(Instant::now())) {
            Some(ConnectionEvent::Connected { version, .. }) => return version,
            Some(_) => {}
            None => panic!("not connected"),
        }
    }
}

/// "5.0, else 3.1.1" against brokers without MQTT 5.0: rumqttd's 3.1.1 listener (which closes
/// the connection on a 5.0 CONNECT, without CONNACK) and the scripted broker (which answers a
/// 5.0 CONNECT with a 3.1.1 CONNACK 0x01, as [MQTT-3.1.2-2] says). The client connects in
/// 3.1.1, says so, carries messages, and reconnects in 3.1.1 straight away.
pub fn version_fallback_reaches_3_1_1_brokers<A: Adapter>() {
    let rumqttd = crate::rumqttd::v4_broker();
    let mut o = options(&format!("mqtt://127.0.0.1:{rumqttd}"), "fleet-fallback");
    o.config.version = ProtocolVersion::V5;
    o.policy.version_fallback = true;
    let client = A::connect(o).expect("connected in 3.1.1");
    assert_eq!(connected_version(&client), ProtocolVersion::V3_1_1);
    client
        .subscribe("fleet/fallback", QoS::AtLeastOnce)
        .unwrap();
    client
        .publish("fleet/fallback", QoS::AtLeastOnce, false, b"3.1.1")
        .unwrap();
    assert_eq!(client.next_message(WAIT).unwrap().payload(), b"3.1.1");
    client.disconnect().unwrap();

    let mut script = mqtt_test::BrokerConfig::new();
    script.speaks_v5 = false;
    let scripted = Scripted::start(script, AfterConnack::Serve);
    let mut o = options(&scripted.url(), "fleet-fallback-scripted");
    o.config.version = ProtocolVersion::V5;
    o.policy.version_fallback = true;
    let client = A::connect(o).expect("connected in 3.1.1");
    assert_eq!(connected_version(&client), ProtocolVersion::V3_1_1);
    assert_eq!(
        scripted.accepted().len(),
        2,
        "refused in 5.0, accepted in 3.1.1"
    );
    scripted.kick();
    assert_eq!(connected_version(&client), ProtocolVersion::V3_1_1);
    assert_eq!(
        scripted.accepted().len(),
        3,
        "3.1.1 at once: no second refusal"
    );
    client.disconnect().unwrap();

    // Without the setting, the refusal is the caller's.
    let mut o = options(&scripted.url(), "fleet-no-fallback");
    o.config.version = ProtocolVersion::V5;
    match A::connect(o) {
        Err(Error::Refused(code)) => assert_eq!(code, ReasonCode::UNSUPPORTED_PROTOCOL_VERSION),
        Err(e) => panic!("not the refusal: {e}"),
        Ok(_) => panic!("connected in 5.0 to a broker without it"),
    }
}
