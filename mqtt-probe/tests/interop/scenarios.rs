//! The scenarios, each a function of a broker's port and a namespace for its topics.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::actor::{Actor, QUIET, SHORT, Step};

/// The outcome of a scenario on a broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    Fail(String),
    /// The broker does not offer what the scenario needs (not a spec violation).
    NotSupported(String),
}

pub(crate) type Scenario = fn(u16, &str) -> Verdict;

pub(crate) fn verdict(step: Step) -> Verdict {
    step.map_or_else(Verdict::Fail, |()| Verdict::Pass)
}

pub(crate) fn connect(port: u16, ns: &str) -> Verdict {
    let mut a = Actor::start(port);
    verdict((|| {
        let connack = a.connect(&format!("{ns}-c"), &json!({}))?;
        if connack["reason"] != 0 {
            return Err(format!("refused: {connack}"));
        }
        a.send(&json!({"cmd": "disconnect"}));
        a.next("disconnected", &json!({"by_peer": false}), SHORT)?;
        Ok(())
    })())
}

/// [MQTT-3.1.2-2]: a 3.1.1 server answers an unsupported protocol level with CONNACK 0x01 (the
/// probe reports it as 5.0's 0x84, Unsupported Protocol Version, since it sent a 5.0 CONNECT);
/// a 5.0 server accepts it.
pub(crate) fn refused(port: u16, ns: &str) -> Verdict {
    let mut a = Actor::start(port);
    let connack = match a.connect(&format!("{ns}-v5"), &json!({"version": 5})) {
        Ok(c) => c,
        Err(e) => {
            return Verdict::Fail(format!(
                "[MQTT-3.1.2-2] no CONNACK for protocol level 5: {e}"
            ));
        }
    };
    match connack["reason"].as_u64() {
        Some(1 | 0x84) => verdict(
            a.next("disconnected", &json!({"by_peer": true}), SHORT)
                .map(|_| ()),
        ),
        Some(0) => Verdict::NotSupported("speaks MQTT 5.0: accepted protocol level 5".into()),
        _ => Verdict::Fail(format!(
            "[MQTT-3.1.2-2] CONNACK {connack} for level 5, not 0x01"
        )),
    }
}

pub(crate) fn round_trip(port: u16, ns: &str, qos: u8) -> Verdict {
    let (mut sub, mut publisher) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        sub.connect(&format!("{ns}-sub"), &json!({}))?;
        let topic = format!("interop/{ns}/q{qos}");
        let suback = sub.subscribe(&topic, qos)?;
        if suback["reasons"] != json!([qos]) {
            return Err(format!("SUBACK {suback}, expected QoS {qos} granted"));
        }
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(&json!({"cmd": "publish", "topic": topic, "payload": "hello", "qos": qos}));
        publisher.next("published", &json!({"qos": qos}), SHORT)?;
        let message = sub.next("message", &json!({"topic": topic}), SHORT)?;
        if message["qos"] != qos || message["payload_hex"] != "68656c6c6f" {
            return Err(format!("received {message}"));
        }
        if qos > 0 {
            sub.next("inbound_complete", &json!({}), SHORT)?;
        }
        Ok(())
    })())
}

pub(crate) fn qos0(port: u16, ns: &str) -> Verdict {
    round_trip(port, ns, 0)
}
pub(crate) fn qos1(port: u16, ns: &str) -> Verdict {
    round_trip(port, ns, 1)
}
pub(crate) fn qos2(port: u16, ns: &str) -> Verdict {
    round_trip(port, ns, 2)
}

/// [MQTT-3.3.1-6]: a new subscriber receives the retained message with RETAIN set; an empty
/// retained message clears it [MQTT-3.3.1-10].
pub(crate) fn retained(port: u16, ns: &str) -> Verdict {
    let (mut publisher, mut sub) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/retained");
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(
            &json!({"cmd": "publish", "topic": topic, "payload": "kept", "qos": 1, "retain": true}),
        );
        publisher.next("published", &json!({}), SHORT)?;
        sub.connect(&format!("{ns}-sub"), &json!({}))?;
        sub.subscribe(&topic, 1)?;
        let message = sub
            .next("message", &json!({"topic": topic}), SHORT)
            .map_err(|e| format!("[MQTT-3.3.1-6] {e}"))?;
        if message["retain"] != true {
            return Err(format!(
                "[MQTT-3.3.1-9] RETAIN not set on a retained message: {message}"
            ));
        }
        publisher.send(
            &json!({"cmd": "publish", "topic": topic, "payload": "", "qos": 1, "retain": true}),
        );
        publisher.next("published", &json!({"pkid": 2}), SHORT)?;
        let mut late = Actor::start(port);
        late.connect(&format!("{ns}-late"), &json!({}))?;
        late.subscribe(&topic, 1)?;
        late.none("message", &json!({"topic": topic}), QUIET)
            .map_err(|e| format!("[MQTT-3.3.1-10] an empty retained message did not clear it: {e}"))
    })())
}

/// [MQTT-3.1.2-8]: the will is published when the connection closes without DISCONNECT.
pub(crate) fn will(port: u16, ns: &str) -> Verdict {
    let (mut sub, mut mortal) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/will");
        sub.connect(&format!("{ns}-sub"), &json!({}))?;
        sub.subscribe(&topic, 1)?;
        mortal.connect(
            &format!("{ns}-mortal"),
            &json!({"will": {"topic": topic, "payload": "gone", "qos": 1}}),
        )?;
        mortal.send(&json!({"cmd": "drop"}));
        sub.next(
            "message",
            &json!({"topic": topic, "payload_hex": "676f6e65"}),
            SHORT,
        )
        .map_err(|e| format!("[MQTT-3.1.2-8] {e}"))?;
        Ok(())
    })())
}

/// [MQTT-3.1.2-4], [MQTT-3.2.2-2]: a persistent session is resumed (Session Present) with the
/// QoS 1 messages published while the client was away.
pub(crate) fn offline(port: u16, ns: &str) -> Verdict {
    let (mut sub, mut publisher) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/offline");
        let id = format!("{ns}-sub");
        sub.connect(&id, &json!({"clean": false}))?;
        sub.subscribe(&topic, 1)?;
        sub.send(&json!({"cmd": "disconnect"}));
        sub.next("disconnected", &json!({}), SHORT)?;
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher
            .send(&json!({"cmd": "publish", "topic": topic, "payload": "while away", "qos": 1}));
        publisher.next("published", &json!({}), SHORT)?;
        let connack = sub.connect(&id, &json!({"clean": false}))?;
        if connack["session_present"] != true {
            return Err(format!("[MQTT-3.2.2-2] Session Present not set: {connack}"));
        }
        sub.next("message", &json!({"topic": topic}), SHORT)
            .map_err(|e| format!("[MQTT-3.1.2-5] offline message not delivered: {e}"))?;
        // Clean up the session.
        sub.send(&json!({"cmd": "disconnect"}));
        Ok(())
    })())
}

/// [MQTT-3.10.4-6]: UNSUBACK, and no more messages for the filter.
pub(crate) fn unsubscribe(port: u16, ns: &str) -> Verdict {
    let (mut sub, mut publisher) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/unsub");
        sub.connect(&format!("{ns}-sub"), &json!({}))?;
        sub.subscribe(&topic, 1)?;
        sub.send(&json!({"cmd": "unsubscribe", "filters": [topic]}));
        sub.next("unsuback", &json!({}), SHORT)
            .map_err(|e| format!("[MQTT-3.10.4-4] {e}"))?;
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(&json!({"cmd": "publish", "topic": topic, "payload": "x", "qos": 1}));
        publisher.next("published", &json!({}), SHORT)?;
        sub.none("message", &json!({"topic": topic}), QUIET)
            .map_err(|e| format!("[MQTT-3.10.4-1] delivered after UNSUBSCRIBE: {e}"))
    })())
}

/// [MQTT-3.3.5-1]: overlapping subscriptions deliver at the highest QoS granted (one copy, or
/// one per subscription, either is allowed).
pub(crate) fn overlapping(port: u16, ns: &str) -> Verdict {
    let (mut sub, mut publisher) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/a/b");
        sub.connect(&format!("{ns}-sub"), &json!({}))?;
        sub.subscribe(&format!("interop/{ns}/#"), 1)?;
        sub.subscribe(&topic, 2)?;
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(&json!({"cmd": "publish", "topic": topic, "payload": "x", "qos": 2}));
        publisher.next("published", &json!({}), SHORT)?;
        let first = sub.next("message", &json!({"topic": topic}), SHORT)?;
        let second = sub.next("message", &json!({"topic": topic}), QUIET).ok();
        let qos: Vec<_> = [Some(&first), second.as_ref()]
            .into_iter()
            .flatten()
            .map(|m| m["qos"].as_u64().unwrap_or(0))
            .collect();
        if qos.contains(&2) {
            Ok(())
        } else {
            Err(format!(
                "[MQTT-3.3.5-1] delivered at QoS {qos:?}, not at the maximum granted (2)"
            ))
        }
    })())
}

/// [MQTT-4.7.2-1]: `#` does not match topics starting with `$`.
pub(crate) fn dollar(port: u16, ns: &str) -> Verdict {
    let (mut all, mut dollar, mut publisher) =
        (Actor::start(port), Actor::start(port), Actor::start(port));
    let matched_nothing = (|| {
        all.connect(&format!("{ns}-all"), &json!({}))?;
        all.subscribe("#", 0)?;
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(&json!({"cmd": "publish", "topic": "$interop/x", "payload": "x", "qos": 0}));
        all.none("message", &json!({"topic": "$interop/x"}), QUIET)
            .map_err(|e| format!("[MQTT-4.7.2-1] # matched a $-topic: {e}"))?;
        // Mosquitto publishes $SYS topics: none may reach `#` either.
        all.none("message", &json!({}), Duration::from_millis(10))
            .map_err(|e| format!("[MQTT-4.7.2-1] # received {e}"))
    })();
    if let Err(e) = matched_nothing {
        return Verdict::Fail(e);
    }
    // Whether the publication reached the broker at all: a subscriber to `$interop/#`.
    if let Err(e) = dollar
        .connect(&format!("{ns}-dollar"), &json!({}))
        .and_then(|_| dollar.subscribe("$interop/#", 0))
    {
        return Verdict::NotSupported(format!(
            "# matched nothing, but SUBSCRIBE to $interop/# got no SUBACK ([MQTT-3.8.4-1]): {e}"
        ));
    }
    publisher.send(&json!({"cmd": "publish", "topic": "$interop/x", "payload": "y", "qos": 0}));
    if dollar
        .next("message", &json!({"topic": "$interop/x"}), QUIET)
        .is_err()
    {
        return Verdict::NotSupported(
            "# matched nothing; clients cannot publish to $-topics".into(),
        );
    }
    verdict(
        all.none("message", &json!({"topic": "$interop/x"}), QUIET)
            .map_err(|e| format!("[MQTT-4.7.2-1] # matched a $-topic: {e}")),
    )
}

/// [MQTT-3.1.2-24]: a server closes a connection silent for 1.5 × keep alive; PINGREQ keeps it
/// open [MQTT-3.12.4-1].
pub(crate) fn keepalive(port: u16, ns: &str) -> Verdict {
    let (mut pinging, mut silent) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        pinging.connect(&format!("{ns}-ping"), &json!({"keepalive": 1}))?;
        silent.connect(
            &format!("{ns}-silent"),
            &json!({"keepalive": 1, "suppress_pings": true}),
        )?;
        let start = Instant::now();
        silent
            .next(
                "disconnected",
                &json!({"by_peer": true}),
                Duration::from_secs(10),
            )
            .map_err(|e| format!("[MQTT-3.1.2-24] a silent client was not disconnected: {e}"))?;
        let after = start.elapsed();
        pinging
            .none("disconnected", &json!({}), Duration::from_millis(500))
            .map_err(|e| format!("[MQTT-3.12.4-1] a pinging client was disconnected: {e}"))?;
        // 1.5 s, with half a second for scheduling.
        if after > Duration::from_secs(2) {
            return Err(format!(
                "[MQTT-3.1.2-24] a client silent for 1.5 × keep alive (1.5 s) was disconnected \
                 only after {:.1} s",
                after.as_secs_f64()
            ));
        }
        Ok(())
    })())
}

/// [MQTT-4.4.0-1]: an unacknowledged QoS 1 message is sent again, with DUP, when the session
/// resumes.
pub(crate) fn redelivery(port: u16, ns: &str) -> Verdict {
    let (mut sub, mut publisher) = (Actor::start(port), Actor::start(port));
    verdict((|| {
        let topic = format!("interop/{ns}/redelivery");
        let id = format!("{ns}-sub");
        sub.connect(&id, &json!({"clean": false, "manual_acks": true}))?;
        sub.subscribe(&topic, 1)?;
        publisher.connect(&format!("{ns}-pub"), &json!({}))?;
        publisher.send(&json!({"cmd": "publish", "topic": topic, "payload": "again", "qos": 1}));
        sub.next("message", &json!({"topic": topic}), SHORT)?;
        sub.send(&json!({"cmd": "drop"}));
        sub.next("disconnected", &json!({}), SHORT)?;
        sub.connect(&id, &json!({"clean": false, "manual_acks": true}))?;
        let again = sub
            .next("message", &json!({"topic": topic}), SHORT)
            .map_err(|e| format!("[MQTT-4.4.0-1] not sent again: {e}"))?;
        if again["dup"] != true {
            return Err(format!("[MQTT-3.3.1-1] sent again without DUP: {again}"));
        }
        let pkid = again["pkid"].clone();
        sub.send(&json!({"cmd": "ack", "pkid": pkid}));
        sub.next("inbound_complete", &json!({}), SHORT)?;
        sub.send(&json!({"cmd": "disconnect"}));
        Ok(())
    })())
}
