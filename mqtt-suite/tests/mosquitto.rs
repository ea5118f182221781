//! The broker harness: brokers started at once by parallel tests are each their own process on
//! their own port, in their own directory.

use mqtt_suite::Mosquitto;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A CONNECT (MQTT 3.1.1, clean session, keep alive 60 s, client id `harness`) and the
/// CONNACK it gets.
fn connack(port: u16) -> [u8; 4] {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"\x10\x13\x00\x04MQTT\x04\x02\x00\x3c\x00\x07harness")
        .unwrap();
    let mut reply = [0; 4];
    stream.read_exact(&mut reply).unwrap();
    reply
}

#[test]
fn brokers_started_at_once_are_each_their_own() {
    let brokers: Vec<Mosquitto> = std::thread::scope(|scope| {
        let starts: Vec<_> = (0..12).map(|_| scope.spawn(Mosquitto::start)).collect();
        starts.into_iter().map(|s| s.join().unwrap()).collect()
    });
    let mut ports: Vec<u16> = brokers.iter().map(|b| b.port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), brokers.len(), "two brokers share a port");
    let mut dirs: Vec<_> = brokers.iter().map(|b| b.dir().to_owned()).collect();
    dirs.sort();
    dirs.dedup();
    assert_eq!(dirs.len(), brokers.len(), "two brokers share a directory");
    for broker in &brokers {
        assert_eq!(connack(broker.port), [0x20, 0x02, 0x00, 0x00]);
        assert!(broker.log().contains(&format!("port {}", broker.port)));
    }
    // Stopping one leaves the others running, and its directory goes with it.
    let mut brokers = brokers;
    let gone = brokers.pop().unwrap();
    let dir = gone.dir().to_owned();
    drop(gone);
    assert!(!dir.exists());
    for broker in &brokers {
        assert_eq!(connack(broker.port), [0x20, 0x02, 0x00, 0x00]);
    }
}

#[test]
fn a_broker_starts_again_on_its_port() {
    let mut broker = Mosquitto::start();
    assert_eq!(broker.connections(), 0, "the harness connects to no broker");
    broker.stop();
    assert!(TcpStream::connect(("127.0.0.1", broker.port)).is_err());
    broker.start_again();
    assert_eq!(connack(broker.port), [0x20, 0x02, 0x00, 0x00]);
    assert_eq!(broker.log().matches(" running").count(), 2);
    assert_eq!(broker.connections(), 1, "{}", broker.log());
}

#[test]
fn a_port_taken_by_another_listener_is_no_start() {
    let mut broker = Mosquitto::start();
    broker.stop();
    // Something else takes the port while the broker is down: a connection to the port
    // succeeds, but Mosquitto cannot listen there, and the harness must not take the one for
    // the other.
    let _squatter = std::net::TcpListener::bind(("127.0.0.1", broker.port)).unwrap();
    let start = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| broker.start_again()));
    let why = *start.unwrap_err().downcast::<String>().unwrap();
    assert!(why.contains("did not start again"), "{why}");
    assert!(why.contains("exited"), "{why}");
}
