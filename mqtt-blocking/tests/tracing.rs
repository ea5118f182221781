//! The connection thread reports through `tracing` inside the span of its attempt: the one
//! test of this file sets the process's subscriber, which every thread uses.

use mqtt_blocking::{Options, connect};
use mqtt_proto::QoS;
use mqtt_suite::{Captured, Mosquitto};

#[test]
fn the_connection_thread_traces_inside_the_attempt() {
    let captured = Captured::default();
    tracing::subscriber::set_global_default(captured.subscriber(tracing::Level::TRACE)).unwrap();

    let broker = Mosquitto::start();
    let (client, _messages, _events) =
        connect(Options::new(&broker.url(), "blocking-traced").unwrap()).unwrap();
    client
        .publish("traced", QoS::ExactlyOnce, false, "secret payload")
        .unwrap();
    client.disconnect().unwrap();

    let log = captured.text();
    let span = format!(
        "attempt{{broker=\"mqtt://127.0.0.1:{}\" attempt=1 version=\"3.1.1\"}}",
        broker.port
    );
    for line in [
        "packet=Connect",
        "connected connection=1",
        "dir=\"out\" packet=Publish id=1",
        "dir=\"in\" packet=PubRec id=1",
        "dir=\"out\" packet=PubRel id=1",
        "dir=\"in\" packet=PubComp id=1",
        "disconnected connection=1",
    ] {
        let found = log.lines().find(|l| l.contains(line));
        let found = found.unwrap_or_else(|| panic!("no {line:?} in:\n{log}"));
        assert!(found.contains(&span), "{line:?} outside the span: {found}");
    }
    assert!(!log.contains("secret payload"), "{log}");
}
