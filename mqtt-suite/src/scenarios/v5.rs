//! What MQTT 5.0 gives the application beyond messages, through every adapter: the CONNACK's
//! properties on the connected event, and a disconnect with its own reason code.

use std::time::Duration;

use mqtt_driver::session::Farewell;
use mqtt_proto::{LastWill, ProtocolVersion, QoS, ReasonCode, TopicName};
use mqtt_sansio::ConnectionEvent;

use super::{WAIT, connected, options};
use crate::{Adapter, Connection, Mosquitto};

/// An empty client identifier gets one assigned by the broker, on the connected event
/// [MQTT-3.2.2-16]; DISCONNECT with Disconnect with Will Message (0x04) has the broker publish
/// the will, which a normal disconnect does not.
pub fn connack_properties_and_disconnect_with_will<A: Adapter>() {
    let broker = Mosquitto::start();
    let mut o = options(&broker.url(), "");
    o.config.version = ProtocolVersion::V5;
    let anonymous = A::connect(o).expect("connected");
    let event = anonymous.next_event(WAIT);
    let Some(ConnectionEvent::Connected { connack, .. }) = event else {
        panic!("{event:?}")
    };
    let assigned = connack
        .properties
        .assigned_client_identifier
        .clone()
        .expect("the broker assigns an identifier");
    assert!(!assigned.as_str().is_empty());
    anonymous.disconnect().unwrap();

    let watcher = connected::<A>(options(&broker.url(), "suite-will-watcher"));
    watcher
        .subscribe("suite/wills/#", QoS::AtLeastOnce)
        .unwrap();
    let mut o = options(&broker.url(), "suite-leaving");
    o.config.version = ProtocolVersion::V5;
    o.config.will = Some(LastWill::new(
        TopicName::new("suite/wills/leaving").unwrap(),
        "gone on purpose",
    ));
    let leaving = connected::<A>(o);
    leaving
        .disconnect_with(Farewell {
            timeout: Duration::from_secs(1),
            reason_code: ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
            ..Farewell::default()
        })
        .unwrap();
    let will = watcher.next_message(WAIT).expect("the will, on request");
    assert_eq!(will.payload(), &b"gone on purpose"[..]);
    watcher.disconnect().unwrap();
}

/// Topic aliases the session gives itself against Mosquitto (its Topic Alias Maximum is 10):
/// every message comes back under its own topic, and a long topic goes out in full once per
/// topic, the alias alone after that, as the client's byte count shows.
pub fn automatic_topic_aliases_reach_the_broker<A: Adapter>() {
    const TOPICS: [&str; 3] = [
        "suite/aliases/a-rather-long-topic-name/that-goes-on/and-on/0",
        "suite/aliases/a-rather-long-topic-name/that-goes-on/and-on/1",
        "suite/aliases/a-rather-long-topic-name/that-goes-on/and-on/2",
    ];
    const ROUNDS: usize = 10;
    let broker = Mosquitto::start();
    let mut o = options(&broker.url(), "suite-aliases");
    o.config.version = ProtocolVersion::V5;
    let client = A::connect(o).expect("connected");
    let event = client.next_event(WAIT);
    let Some(ConnectionEvent::Connected { limits, .. }) = event else {
        panic!("{event:?}")
    };
    assert!(limits.topic_alias_maximum >= 3, "{limits:?}");
    client
        .subscribe("suite/aliases/#", QoS::AtLeastOnce)
        .unwrap();
    for round in 0..ROUNDS {
        for topic in TOPICS {
            client
                .publish(
                    topic,
                    QoS::AtLeastOnce,
                    false,
                    &[u8::try_from(round).unwrap()],
                )
                .unwrap();
            let message = client.next_message(WAIT).expect("the message comes back");
            assert_eq!(
                (message.topic(), message.payload()),
                (topic, &[u8::try_from(round).unwrap()][..])
            );
        }
    }
    // In full: 2 + 2 + the topic + 2 (id) + 1 + 3 (alias) + 1 (payload) bytes; by alias: 11.
    let stats = client.stats();
    let full = (11 + TOPICS[0].len() as u64) * TOPICS.len() as u64;
    let by_alias = 11 * (TOPICS.len() * (ROUNDS - 1)) as u64;
    assert_eq!(
        stats.session.sent.bytes(mqtt_proto::PacketType::Publish),
        full + by_alias
    );
    client.disconnect().unwrap();
}
