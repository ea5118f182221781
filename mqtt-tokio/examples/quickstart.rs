//! Connects, subscribes, publishes at each QoS and prints what arrives.
//!
//! Uses the broker at `MQTT_URL` (for example `mqtt://localhost:1883`); without it, starts an
//! embedded broker in this process, so it runs on a machine with nothing else installed:
//!
//! ```sh
//! cargo run -p mqtt-tokio --example quickstart
//! MQTT_URL=mqtt://localhost:1883 cargo run -p mqtt-tokio --example quickstart
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use mqtt_proto::QoS;
use mqtt_tokio::{ConnectionEvent, Numbered, Options, connect};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = match std::env::var("MQTT_URL") {
        Ok(url) => url,
        Err(_) => embedded_broker()?,
    };
    println!("broker: {url}");
    let (client, mut messages, mut events) = connect(Options::new(&url, "quickstart")?).await?;
    if let Some(Numbered {
        connection,
        item: ConnectionEvent::Connected {
            session_present, ..
        },
    }) = events.recv().await
    {
        println!("connected (connection {connection}, session present: {session_present})");
    }

    let granted = client.subscribe("quickstart/#", QoS::ExactlyOnce).await?;
    println!("subscribed to quickstart/# with {granted:?}");

    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let topic = format!("quickstart/qos{}", qos as u8);
        let done = client
            .publish(&topic, qos, false, format!("hello at {qos:?}"))
            .await?;
        println!(
            "published to {topic}: {:?}, packet id {:?}",
            done.reason_code, done.packet_id
        );
    }

    for _ in 0..3 {
        let message = tokio::time::timeout(Duration::from_secs(5), messages.recv())
            .await?
            .ok_or("the client stopped")?;
        println!(
            "received on {} at {:?}: {}",
            message.topic(),
            message.qos(),
            String::from_utf8_lossy(message.payload())
        );
    }
    client.disconnect().await?;
    println!("disconnected");
    Ok(())
}

/// Starts rumqttd on a free loopback port in a thread of its own; returns its URL.
fn embedded_broker() -> Result<String, Box<dyn Error>> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
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
        name: "quickstart".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    let config = rumqttd::Config {
        router: rumqttd::RouterConfig {
            max_connections: 16,
            max_outgoing_packet_count: 200,
            max_segment_size: 1 << 20,
            max_segment_count: 10,
            ..rumqttd::RouterConfig::default()
        },
        v4: Some(HashMap::from([("quickstart".to_owned(), server)])),
        ..rumqttd::Config::default()
    };
    std::thread::spawn(move || {
        if let Err(e) = rumqttd::Broker::new(config).start() {
            eprintln!("embedded broker: {e}");
        }
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(listen).is_err() {
        if Instant::now() > deadline {
            return Err("the embedded broker did not start".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(format!("mqtt://{listen}"))
}
