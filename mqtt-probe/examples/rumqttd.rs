//! rumqttd (MQTT 3.1.1) on 127.0.0.1 and the port given, until killed: a broker of the interop
//! matrix (`tests/interop.rs`), started as a process of its own.
//!
//! Run: `cargo run -p mqtt-probe --example rumqttd -- 1884`

use std::collections::HashMap;
use std::net::SocketAddr;

fn main() {
    let Some(port) = std::env::args().nth(1).and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: rumqttd PORT");
        std::process::exit(2);
    };
    let listen: SocketAddr = ([127, 0, 0, 1], port).into();
    let connections = rumqttd::ConnectionSettings {
        connection_timeout_ms: 5_000,
        max_payload_size: 1 << 20,
        max_inflight_count: 100,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let server = rumqttd::ServerSettings {
        name: "interop".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    let config = rumqttd::Config {
        router: rumqttd::RouterConfig {
            max_connections: 64,
            max_outgoing_packet_count: 200,
            max_segment_size: 1 << 20,
            max_segment_count: 10,
            ..rumqttd::RouterConfig::default()
        },
        v4: Some(HashMap::from([("interop".to_owned(), server)])),
        ..rumqttd::Config::default()
    };
    if let Err(e) = rumqttd::Broker::new(config).start() {
        eprintln!("rumqttd: {e}");
        std::process::exit(1);
    }
}
