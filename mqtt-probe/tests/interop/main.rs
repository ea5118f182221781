//! The interop matrix: one list of MQTT 3.1.1 scenarios run through `mqtt-probe` against real
//! brokers, each started on a free loopback port and stopped by its process id. Prints the
//! matrix (scenario × broker: pass / FAIL / n/a) and checks each cell against what is known of
//! the broker, so that a change in this client, or in a broker, shows.
//!
//! Brokers: Mosquitto (Debian's package) and rumqttd (the `rumqttd` example of this crate) by
//! default; `INTEROP_BROKERS=all` adds aedes (from npm) and amqtt (from the Python package index),
//! installed on first use under
//! `target/interop/`. `INTEROP_BROKERS=mosquitto,aedes` picks some. Run the whole matrix with
//! `mqtt-probe/interop.sh`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

mod actor;
mod brokers;
mod scenarios;

use brokers::{Broker, start};
use scenarios::{
    Scenario, Verdict, connect, dollar, keepalive, offline, overlapping, qos0, qos1, qos2,
    redelivery, refused, retained, unsubscribe, will,
};

const SCENARIOS: &[(&str, Scenario)] = &[
    ("connect", connect),
    ("refused (protocol level 5)", refused),
    ("QoS 0 both ways", qos0),
    ("QoS 1 both ways", qos1),
    ("QoS 2 both ways", qos2),
    ("retained messages", retained),
    ("will", will),
    ("persistent session, offline messages", offline),
    ("unsubscribe", unsubscribe),
    ("overlapping subscriptions", overlapping),
    ("$-topics not matched by #", dollar),
    ("keepalive", keepalive),
    ("redelivery on reconnect", redelivery),
];

/// What each broker is known to do where it is not a plain pass: the cell's possible prefixes.
fn expected(broker: Broker, scenario: &str) -> &'static [&'static str] {
    match (broker, scenario) {
        // A 5.0 broker accepts protocol level 5; rumqttd 0.20 closes the connection on
        // SUBSCRIBE to a $-filter; amqtt 0.12 takes no client publications to $-topics.
        (Broker::Mosquitto, "refused (protocol level 5)")
        | (Broker::Rumqttd | Broker::Amqtt, "$-topics not matched by #") => &["n/a"],
        // Mosquitto 2.0.11 checks keep alive every few seconds: 2 to 5 s for a 1 s keep alive.
        (Broker::Mosquitto, "keepalive") => &["FAIL [MQTT-3.1.2-24]", "pass"],
        // rumqttd 0.20 closes the connection without CONNACK 0x01.
        (Broker::Rumqttd, "refused (protocol level 5)") => &["FAIL [MQTT-3.1.2-2]"],
        // rumqttd 0.20 and aedes 1.2 send an unacknowledged message again without DUP.
        (Broker::Rumqttd | Broker::Aedes, "redelivery on reconnect") => &["FAIL [MQTT-3.3.1-1]"],
        // amqtt 0.12: no offline messages for a resumed session, no keep alive enforcement,
        // no redelivery.
        (Broker::Amqtt, "persistent session, offline messages") => &["FAIL [MQTT-3.1.2-5]"],
        (Broker::Amqtt, "keepalive") => &["FAIL [MQTT-3.1.2-24]"],
        (Broker::Amqtt, "redelivery on reconnect") => &["FAIL [MQTT-4.4.0-1]"],
        _ => &["pass"],
    }
}

/// The short form of a verdict for the matrix: `pass`, `n/a`, or `FAIL` with the rule.
fn cell(v: &Verdict) -> String {
    match v {
        Verdict::Pass => "pass".into(),
        Verdict::NotSupported(_) => "n/a".into(),
        Verdict::Fail(why) => match why.split_once(']') {
            Some((rule, _)) if why.starts_with('[') => format!("FAIL {rule}]"),
            _ => "FAIL".into(),
        },
    }
}

fn detail(v: &Verdict) -> Option<&str> {
    match v {
        Verdict::Pass => None,
        Verdict::Fail(why) | Verdict::NotSupported(why) => Some(why),
    }
}

#[test]
fn interop_matrix() {
    let wanted = std::env::var("INTEROP_BROKERS").unwrap_or_default();
    let brokers: Vec<Broker> = [
        Broker::Mosquitto,
        Broker::Rumqttd,
        Broker::Aedes,
        Broker::Amqtt,
    ]
    .into_iter()
    .filter(|b| match wanted.as_str() {
        "" => matches!(b, Broker::Mosquitto | Broker::Rumqttd),
        "all" => true,
        list => list.split(',').any(|n| n.trim() == b.name()),
    })
    .collect();
    let mut results: BTreeMap<(usize, Broker), Verdict> = BTreeMap::new();
    for &broker in &brokers {
        let running = start(broker);
        for (i, (name, scenario)) in SCENARIOS.iter().enumerate() {
            let ns = format!("{}{i}", broker.name());
            let verdict = scenario(running.port(), &ns);
            eprintln!("{} / {name}: {}", broker.name(), cell(&verdict));
            results.insert((i, broker), verdict);
        }
    }
    // The matrix, as Markdown, with the details of every cell that is not a pass below it.
    let mut table = String::from("| scenario |");
    for b in &brokers {
        let _ = write!(table, " {} |", b.name());
    }
    table += "\n|---|";
    table += &"---|".repeat(brokers.len());
    table.push('\n');
    let mut notes = String::new();
    let mut surprises = Vec::new();
    for (i, (name, _)) in SCENARIOS.iter().enumerate() {
        let _ = write!(table, "| {name} |");
        for &b in &brokers {
            let verdict = &results[&(i, b)];
            let text = cell(verdict);
            let _ = write!(table, " {text} |");
            if let Some(why) = detail(verdict) {
                let _ = writeln!(notes, "- {} / {name}: {why}", b.name());
            }
            if !expected(b, name).iter().any(|e| text.starts_with(e)) {
                surprises.push(format!(
                    "{} / {name}: {text}: {}",
                    b.name(),
                    detail(verdict).unwrap_or("")
                ));
            }
        }
        table.push('\n');
    }
    println!("{table}\n{notes}");
    assert!(
        surprises.is_empty(),
        "unexpected cells:\n{}",
        surprises.join("\n")
    );
}
