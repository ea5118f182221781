//! Embedding the core yourself: the whole driver contract in one hand-written loop over a
//! blocking `std::net::TcpStream` — what an adapter for mio, an embedded executor or a game
//! loop does.
//!
//! Each turn: hand the client's bytes to the socket (`poll_transmit`), take its events
//! (`poll_event`), then wait for bytes until its deadline (`poll_timeout`): bytes go to
//! `handle_read`, a passed deadline to `handle_timeout`. The client never reads a clock; the
//! loop gives it `now` with every call.
//!
//! Run against a broker (it subscribes, publishes to itself, and leaves once the message is
//! back): `cargo run -p mqtt-sansio --example custom_loop -- 127.0.0.1:1883`

use std::error::Error;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::BytesMut;
use mqtt_proto::{
    MqttString, QoS, ReasonCode, SubscribeProperties, Subscription, TopicFilter, TopicName,
};
use mqtt_sansio::{Client, Config, Event, Instant, Message};

fn main() -> Result<(), Box<dyn Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:1883".to_owned());
    let mut socket = TcpStream::connect(&address)?;
    socket.set_nodelay(true)?;
    #[expect(
        clippy::disallowed_methods,
        reason = "the loop is the driver: it owns the clock and passes `now` in"
    )]
    let start = std::time::Instant::now();
    let now = || Instant::from_nanos(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));

    let mut client = Client::new(Config::new(MqttString::from_static("custom-loop")));
    client.handle_transport_open(now());
    // Commands may come before CONNACK: they wait in the session and go out once connected.
    let topic = "custom/loop";
    client.subscribe(
        vec![Subscription::new(
            TopicFilter::new(topic)?,
            QoS::AtLeastOnce,
        )],
        SubscribeProperties::default(),
    )?;
    client.publish(Message::new(
        TopicName::new(topic)?,
        QoS::AtLeastOnce,
        "hello from a hand-written loop",
    ))?;

    let mut out = BytesMut::new();
    let mut buf = [0_u8; 4096];
    loop {
        // 1. Bytes out.
        while client.poll_transmit(now(), &mut out) {}
        socket.write_all(&out)?;
        out.clear();

        // 2. Events.
        while let Some(event) = client.poll_event() {
            match event {
                Event::Connected(c) => {
                    println!("connected (session present: {})", c.session_present);
                }
                Event::Subscribed { reason_codes, .. } => println!("subscribed: {reason_codes:?}"),
                Event::Published { packet_id, .. } => println!("acknowledged: {packet_id:?}"),
                Event::Message(message) => {
                    let text = String::from_utf8_lossy(message.payload());
                    println!("received on {}: {text}", message.topic());
                    client.disconnect(ReasonCode::NORMAL_DISCONNECTION, None)?;
                }
                Event::Disconnected(reason) => {
                    // The DISCONNECT, if any, is still to be written.
                    while client.poll_transmit(now(), &mut out) {}
                    socket.write_all(&out)?;
                    println!("disconnected: {reason:?}");
                    return Ok(());
                }
                other => println!("{other:?}"),
            }
        }

        // 3. Wait for bytes until the deadline.
        let wait = client
            .poll_timeout()
            .map_or(Duration::from_secs(60), |deadline| {
                deadline.saturating_duration_since(now())
            });
        socket.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        match socket.read(&mut buf) {
            Ok(0) => client.handle_transport_closed(now()),
            Ok(n) => client.handle_read(now(), &buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                client.handle_timeout(now());
            }
            Err(e) => return Err(e.into()),
        }
    }
}
