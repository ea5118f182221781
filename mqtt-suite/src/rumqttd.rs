//! rumqttd (MQTT 3.1.1 only) in this process, on a free loopback port: the WebSocket broker
//! of the transport scenarios (the Debian build of Mosquitto has no WebSocket listener), and
//! a broker without MQTT 5.0 for the version fallback. Its threads end with the test process.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Starts a broker with a WebSocket listener; its port once it listens.
pub fn websocket_broker() -> u16 {
    start(true)
}

/// Starts a broker with a TCP listener of MQTT 3.1.1 only; its port once it listens.
pub fn v4_broker() -> u16 {
    start(false)
}

fn start(websocket: bool) -> u16 {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen: SocketAddr = ([127, 0, 0, 1], port).into();
    let server = rumqttd::ServerSettings {
        name: "ws".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections: rumqttd::ConnectionSettings {
            connection_timeout_ms: 5_000,
            max_payload_size: 1 << 20,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = rumqttd::Config {
        router: rumqttd::RouterConfig {
            max_connections: 64,
            max_outgoing_packet_count: 200,
            max_segment_size: 1 << 20,
            max_segment_count: 10,
            ..rumqttd::RouterConfig::default()
        },
        ws: websocket.then(|| HashMap::from([("ws".to_owned(), server.clone())])),
        v4: (!websocket).then(|| HashMap::from([("v4".to_owned(), server)])),
        ..rumqttd::Config::default()
    };
    std::thread::Builder::new()
        .name("rumqttd".into())
        .spawn(move || {
            if let Err(e) = rumqttd::Broker::new(config).start() {
                eprintln!("rumqttd: {e}");
            }
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(listen).is_err() {
        assert!(
            Instant::now() < deadline,
            "rumqttd did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    port
}
