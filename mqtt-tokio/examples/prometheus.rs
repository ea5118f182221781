//! The client's figures (`Client::stats`) in Prometheus' text exposition format.
//!
//! Connects to `MQTT_URL` (default `mqtt://127.0.0.1:1883`), sends itself a few messages, then
//! prints the figures once; with `--serve ADDR` it keeps publishing and answers every HTTP
//! request on `ADDR` (for example `127.0.0.1:9464`) with the figures of that moment, as a
//! Prometheus scrape target:
//!
//! ```sh
//! MQTT_URL=mqtt://localhost:1883 cargo run -p mqtt-tokio --example prometheus
//! MQTT_URL=mqtt://localhost:1883 cargo run -p mqtt-tokio --example prometheus -- --serve 127.0.0.1:9464
//! ```

use std::error::Error;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use mqtt_proto::QoS;
use mqtt_tokio::{Options, Stats, connect};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("MQTT_URL").unwrap_or_else(|_| "mqtt://127.0.0.1:1883".to_owned());
    let serve = std::env::args().skip_while(|a| a != "--serve").nth(1);
    let (client, mut messages, _events) =
        connect(Options::new(&url, "prometheus-example")?).await?;
    client
        .subscribe("prometheus-example/#", QoS::AtLeastOnce)
        .await?;
    for n in 0..10 {
        client
            .publish(
                "prometheus-example/n",
                QoS::AtLeastOnce,
                false,
                format!("{n}"),
            )
            .await?;
        tokio::time::timeout(Duration::from_secs(5), messages.recv()).await?;
    }
    let Some(addr) = serve else {
        print!("{}", render(&client.stats(), Instant::now()));
        client.disconnect().await?;
        return Ok(());
    };
    // Traffic to watch: a message a second, taken as it comes.
    let publisher = client.clone();
    tokio::spawn(async move {
        loop {
            let _ = publisher
                .publish("prometheus-example/tick", QoS::AtLeastOnce, false, "tick")
                .await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    tokio::spawn(async move { while messages.recv().await.is_some() {} });
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("serving the figures on http://{addr}/metrics");
    loop {
        let (mut stream, _) = listener.accept().await?;
        // Whatever the request, the answer is the figures: the whole of a scrape target.
        let mut request = [0; 1024];
        let _ = stream.read(&mut request).await?;
        let body = render(&client.stats(), Instant::now());
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await?;
    }
}

/// The figures in the text exposition format: counters end in `_total`, durations are seconds.
fn render(stats: &Stats, now: Instant) -> String {
    let mut out = String::new();
    traffic(&mut out, stats);
    counters(&mut out, stats);
    gauges(&mut out, stats, now);
    round_trips(&mut out, stats);
    out
}

/// Packets and bytes by type, each way.
fn traffic(out: &mut String, stats: &Stats) {
    let s = &stats.session;
    for (name, help, traffic) in [
        ("sent", "sent to the broker", &s.sent),
        ("received", "received from the broker", &s.received),
    ] {
        for (unit, of) in [("packets", "Packets"), ("bytes", "Bytes of the packets")] {
            let family = format!("mqtt_{unit}_{name}_total");
            header(out, &family, "counter", &format!("{of} {help}, by type."));
            for (packet, packets, bytes) in traffic.iter() {
                let label = format!("{packet:?}").to_uppercase();
                let value = if unit == "packets" { packets } else { bytes };
                let _ = writeln!(out, "{family}{{type=\"{label}\"}} {value}");
            }
        }
    }
}

/// The counters of the session and of the task, a sample each.
fn counters(out: &mut String, stats: &Stats) {
    let s = &stats.session;
    for (name, help, value) in [
        ("mqtt_connections_total", "Transports opened.", s.connection),
        (
            "mqtt_reconnects_total",
            "Connections accepted after the first.",
            stats.reconnects,
        ),
        (
            "mqtt_commands_refused_total",
            "Commands refused at once.",
            s.refused,
        ),
        (
            "mqtt_commands_failed_total",
            "Accepted commands that failed later.",
            s.failed,
        ),
        (
            "mqtt_messages_rejected_total",
            "Messages the broker refused.",
            s.rejected,
        ),
        (
            "mqtt_duplicates_suppressed_total",
            "QoS 2 duplicates held back.",
            s.duplicates_suppressed,
        ),
        (
            "mqtt_messages_expired_total",
            "Messages whose time to live ended before they were sent.",
            s.expired,
        ),
    ] {
        header(out, name, "counter", help);
        let _ = writeln!(out, "{name} {value}");
    }
}

/// What stands now, a sample each.
fn gauges(out: &mut String, stats: &Stats, now: Instant) {
    let uptime = stats
        .connected_since
        .map_or(0.0, |t| now.duration_since(t).as_secs_f64());
    header(
        out,
        "mqtt_connected_seconds",
        "gauge",
        "How long the connection has been up.",
    );
    let _ = writeln!(out, "mqtt_connected_seconds {uptime}");
    for (name, help, value) in [
        (
            "mqtt_connected",
            "Whether the broker accepted the connection.",
            usize::from(stats.connected_since.is_some()),
        ),
        (
            "mqtt_inflight_out",
            "Outbound QoS 1 and 2 messages in flight.",
            stats.inflight_out,
        ),
        (
            "mqtt_inflight_in",
            "Inbound QoS 1 and 2 messages not completed.",
            stats.inflight_in,
        ),
        (
            "mqtt_awaiting_pubrel",
            "Inbound QoS 2 messages waiting for PUBREL.",
            stats.awaiting_pubrel,
        ),
        (
            "mqtt_pending_messages",
            "Messages waiting for a connection or room.",
            stats.pending,
        ),
        (
            "mqtt_pending_bytes",
            "The encoded size of the pending messages.",
            stats.pending_bytes,
        ),
        (
            "mqtt_commands_queued",
            "Commands the task has not taken yet.",
            stats.commands_queued,
        ),
        (
            "mqtt_bytes_queued",
            "Bytes not yet written to the socket.",
            stats.bytes_queued,
        ),
        (
            "mqtt_messages_waiting",
            "Messages the application has not taken.",
            stats.messages_waiting,
        ),
        (
            "mqtt_reading_paused",
            "Whether the client stopped reading.",
            usize::from(stats.reading_paused),
        ),
    ] {
        header(out, name, "gauge", help);
        let _ = writeln!(out, "{name} {value}");
    }
}

/// PINGREQ, PUBLISH at QoS 1 and at QoS 2: the latest round trip and the smoothed one.
fn round_trips(out: &mut String, stats: &Stats) {
    let s = &stats.session;
    header(
        out,
        "mqtt_round_trip_seconds",
        "gauge",
        "Round trips: the latest, and smoothed.",
    );
    for (exchange, rtt) in [
        ("ping", &s.ping),
        ("puback", &s.puback),
        ("pubcomp", &s.pubcomp),
    ] {
        for (which, value) in [("recent", rtt.recent()), ("smoothed", rtt.smoothed())] {
            if let Some(value) = value {
                let seconds = value.as_secs_f64();
                let labels = format!("exchange=\"{exchange}\",value=\"{which}\"");
                let _ = writeln!(out, "mqtt_round_trip_seconds{{{labels}}} {seconds}");
            }
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}
