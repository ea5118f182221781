//! Request/response (MQTT 5.0 section 4.10) through every adapter, against Mosquitto: many
//! requests in flight at once answered by a responder on another adapter, a responder that
//! never answers, and what needs 5.0 or a Response Topic.

use std::time::{Duration, Instant};

use mqtt_driver::Error;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_sansio::ClientError;

use super::{WAIT, connected, options};
use crate::adapters::{Blocking, Tokio};
use crate::{Adapter, Connection, Mosquitto};

/// The service's topic.
const SERVICE: &str = "suite/rr/reverse";

/// Requests in flight at once, from this many threads.
const THREADS: usize = 5;
const PER_THREAD: usize = 10;

fn v5<A: Adapter>(url: &str, id: &str) -> A::Connection {
    let mut o = options(url, id);
    o.config.version = ProtocolVersion::V5;
    connected::<A>(o)
}

/// The requester on adapter `A`, the responder on another one.
pub fn requests_get_their_responses<A: Adapter>() {
    if A::NAME == Blocking::NAME {
        with_responder::<A, Tokio>();
    } else {
        with_responder::<A, Blocking>();
    }
}

fn with_responder<A: Adapter, R: Adapter>() {
    let broker = Mosquitto::start();
    let url = broker.url();
    let responder = v5::<R>(&url, "suite-rr-responder");
    responder.subscribe(SERVICE, QoS::AtLeastOnce).unwrap();
    let requester = v5::<A>(&url, "suite-rr-requester");

    std::thread::scope(|scope| {
        // The responder answers with the payload reversed until it is told to stop.
        scope.spawn(|| {
            loop {
                let request = responder.next_message(WAIT).expect("a request");
                if request.payload() == b"stop" {
                    break;
                }
                let mut answer = request.payload().to_vec();
                answer.reverse();
                responder.respond(&request, &answer).unwrap();
            }
        });
        let requesters: Vec<_> = (0..THREADS)
            .map(|t| {
                let requester = &requester;
                scope.spawn(move || {
                    for n in 0..PER_THREAD {
                        let question = format!("request {t}-{n}");
                        let response = requester
                            .request(SERVICE, question.as_bytes(), WAIT)
                            .unwrap_or_else(|e| panic!("{question}: {e}"));
                        let expected: Vec<u8> = question.bytes().rev().collect();
                        assert_eq!(response.payload(), &expected[..], "{question}");
                    }
                })
            })
            .collect();
        for r in requesters {
            r.join().unwrap();
        }
        requester
            .publish(SERVICE, QoS::AtLeastOnce, false, b"stop")
            .unwrap();
    });
    // The responses went to their requests, not to the message stream.
    assert!(requester.next_message(Duration::from_millis(200)).is_none());

    // A request without the Response Topic a response needs cannot be answered.
    requester
        .subscribe("suite/rr/plain", QoS::AtLeastOnce)
        .unwrap();
    requester
        .publish("suite/rr/plain", QoS::AtLeastOnce, false, b"no topic")
        .unwrap();
    let plain = requester.next_message(WAIT).expect("the plain message");
    assert!(matches!(
        requester.respond(&plain, b"?"),
        Err(Error::NoResponseTopic)
    ));
    requester.disconnect().unwrap();
    responder.disconnect().unwrap();
}

/// Nobody answers: the request fails with its timeout, no sooner; the client goes on. Before
/// MQTT 5.0 there is no request/response.
pub fn a_request_nobody_answers_times_out<A: Adapter>() {
    let broker = Mosquitto::start();
    let requester = v5::<A>(&broker.url(), "suite-rr-unanswered");
    let timeout = Duration::from_millis(700);
    let asked = Instant::now();
    let outcome = requester.request("suite/rr/nobody", b"hello?", timeout);
    let waited = asked.elapsed();
    assert!(
        matches!(outcome, Err(Error::RequestTimeout(t)) if t == timeout),
        "{outcome:?}"
    );
    assert!(waited >= timeout, "{waited:?}");
    assert!(waited < timeout + Duration::from_secs(3), "{waited:?}");
    // The client still works, requests included (this one answers itself).
    requester
        .subscribe("suite/rr/echo", QoS::AtLeastOnce)
        .unwrap();
    let sent = requester.request("suite/rr/echo", b"ping", Duration::from_millis(300));
    assert!(matches!(sent, Err(Error::RequestTimeout(_))), "{sent:?}");
    let echoed = requester.next_message(WAIT).expect("its own request");
    requester.respond(&echoed, b"pong").unwrap();
    requester.disconnect().unwrap();

    let old = connected::<A>(options(&broker.url(), "suite-rr-311"));
    let refused = old.request("suite/rr/x", b"?", timeout);
    assert!(
        matches!(refused, Err(Error::Client(ClientError::NeedsV5))),
        "{refused:?}"
    );
    old.disconnect().unwrap();
}
