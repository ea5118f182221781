//! The application's hold on the connection: reconnecting at once instead of waiting out the
//! backoff, and pausing reading.

use std::time::{Duration, Instant};

use mqtt_proto::QoS;
use mqtt_sansio::{Backoff, ConnectionEvent};

use super::{WAIT, connected, options};
use crate::{Adapter, Connection, Mosquitto};

/// The next event that `wanted` accepts, within [`WAIT`].
fn event_matching<C: Connection>(
    client: &C,
    wanted: impl Fn(&ConnectionEvent) -> bool,
) -> ConnectionEvent {
    let deadline = Instant::now() + WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if let Some(event) = client.next_event(left) {
            if wanted(&event) {
                return event;
            }
        }
    }
    panic!("no such event within {WAIT:?}")
}

/// A client waiting out a long backoff after its broker went away connects at once when told
/// the broker is back.
pub fn reconnect_now_skips_the_backoff<A: Adapter>() {
    let mut broker = Mosquitto::start();
    let mut o = options(&broker.url(), "suite-reconnect-now");
    // Every delay is at least half the base: 30 s, twice the test's longest wait.
    o.policy.backoff = Backoff::new(Duration::from_secs(60), 2, Duration::from_secs(120));
    let client = connected::<A>(o);
    broker.stop();
    let reconnecting = event_matching(&client, |e| {
        matches!(e, ConnectionEvent::Reconnecting { .. })
    });
    let ConnectionEvent::Reconnecting { delay, .. } = reconnecting else {
        unreachable!()
    };
    assert!(delay >= Duration::from_secs(30), "{delay:?}");
    broker.start_again();
    let asked = Instant::now();
    client.reconnect_now().unwrap();
    event_matching(&client, |e| matches!(e, ConnectionEvent::Connected { .. }));
    assert!(asked.elapsed() < WAIT, "{:?}", asked.elapsed());
    // Once connected, it changes nothing.
    client.reconnect_now().unwrap();
    assert_eq!(
        client.subscribe("suite/now", QoS::AtLeastOnce).unwrap(),
        QoS::AtLeastOnce
    );
    client.disconnect().unwrap();
}

/// While reading is paused, messages stay with the broker; after resuming they all arrive,
/// in order.
pub fn pause_holds_messages_until_resume<A: Adapter>() {
    let broker = Mosquitto::start();
    let subscriber = connected::<A>(options(&broker.url(), "suite-paused"));
    subscriber
        .subscribe("suite/paused", QoS::AtLeastOnce)
        .unwrap();
    subscriber.pause().unwrap();
    let publisher = connected::<A>(options(&broker.url(), "suite-pauser"));
    for n in 0..3_u8 {
        publisher
            .publish("suite/paused", QoS::AtLeastOnce, false, &[n])
            .unwrap();
    }
    assert!(
        subscriber
            .next_message(Duration::from_millis(500))
            .is_none(),
        "nothing is delivered while paused"
    );
    subscriber.resume().unwrap();
    for n in 0..3_u8 {
        let message = subscriber
            .next_message(WAIT)
            .expect("delivered after resume");
        assert_eq!(message.payload(), &[n][..]);
    }
    publisher.disconnect().unwrap();
    subscriber.disconnect().unwrap();
}
