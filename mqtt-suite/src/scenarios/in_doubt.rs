//! A QoS 2 message in doubt: the broker acknowledged it with PUBREC, then lost the session
//! before the client's PUBREL reached it. Mosquitto passes a QoS 2 message on only at PUBREL, so
//! it never reached the subscriber: the client sends it again as a new message
//! (`InDoubt::Requeue`, the default), and the subscriber gets it once.

use std::time::Duration;

use mqtt_driver::Options;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_sansio::{ConnectionEvent, InDoubt};

use super::{WAIT, connected, options};
use crate::chaos::CuttingProxy;
use crate::{Adapter, Connection, Mosquitto};

const TOPIC: &str = "suite/in-doubt";
const PAYLOAD: &[u8] = b"exactly once, if possible";

/// The PUBLISH's size in 5.0: fixed header, topic, identifier, property length, the Topic Alias
/// the session gives it (Mosquitto takes aliases), payload.
fn publish_len() -> u64 {
    (2 + 2 + TOPIC.len() + 2 + 1 + 3 + PAYLOAD.len()) as u64
}

fn publisher<A: Adapter>(proxy: &CuttingProxy, in_doubt: InDoubt) -> A::Connection {
    // A clean start, and a session that ends with the connection: the broker forgets it.
    let mut o: Options = options(&proxy.url(), "suite-in-doubt");
    o.config.version = ProtocolVersion::V5;
    o.config.in_doubt = in_doubt;
    connected::<A>(o)
}

pub fn qos2_in_doubt_is_sent_again_after_a_session_loss<A: Adapter>() {
    let broker = Mosquitto::start();
    let mut o = options(&broker.url(), "suite-in-doubt-sub");
    o.config.version = ProtocolVersion::V5;
    let subscriber = connected::<A>(o);
    subscriber.subscribe(TOPIC, QoS::ExactlyOnce).unwrap();

    for in_doubt in [InDoubt::Requeue, InDoubt::Fail] {
        let proxy = CuttingProxy::start(broker.port, 0);
        let publisher = publisher::<A>(&proxy, in_doubt);
        // The PUBLISH goes through, its PUBREC comes back, the first byte of the PUBREL is the
        // last the broker gets from this connection.
        proxy.arm_exact(true, publish_len() + 1);
        let result = publisher.publish(TOPIC, QoS::ExactlyOnce, false, PAYLOAD);
        assert!(proxy.cuts() >= 1, "{in_doubt:?}: the connection was cut");
        let mut received = 0;
        while let Some(message) = subscriber.next_message(Duration::from_secs(1)) {
            assert_eq!(message.payload(), PAYLOAD);
            received += 1;
        }
        if in_doubt == InDoubt::Requeue {
            result.expect("sent again and completed");
            assert_eq!(received, 1, "delivered once");
        } else {
            let error = result.expect_err("in doubt");
            assert!(error.to_string().contains("PUBREC"), "{error}");
            assert_eq!(received, 0, "not sent again");
        }
        let mut reset = false;
        while let Some(event) = publisher.next_event(Duration::from_millis(10)) {
            if let ConnectionEvent::SessionReset(r) = event {
                assert_eq!(r.released.len(), 1, "{r:?}");
                reset = true;
            }
        }
        assert!(reset, "{in_doubt:?}: the broker had lost the session");
        publisher.disconnect().unwrap();
    }
    assert!(subscriber.next_message(WAIT / 15).is_none());
    subscriber.disconnect().unwrap();
}
