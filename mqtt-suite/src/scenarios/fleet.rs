//! Fleets of brokers: failover from one broker to the next.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use mqtt_driver::Options;
use mqtt_proto::{QoS, TopicName};
use mqtt_sansio::{Backoff, ConnectionEvent, Message};

use super::{WAIT, connected, options};
use crate::{Adapter, Connection, Mosquitto};

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
