//! The hand-written loop of `custom_loop.rs`, with the [`Supervisor`] around the session: the
//! same driver contract (inputs `handle_*` with `now`, then every `poll_*` drained), plus what
//! a long-running client needs around it: each command's outcome comes back with a tag of the
//! loop's choosing, and when the connection ends the supervisor says whether and when to connect
//! again (backoff with jitter, the session resumed).
//!
//! Run against a broker (it subscribes, publishes to itself, and leaves once the message is
//! back): `cargo run -p mqtt-sansio --example supervised_loop -- 127.0.0.1:1883`

use std::error::Error;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use mqtt_proto::{MqttString, QoS, SubscribeProperties, Subscription, TopicFilter, TopicName};
use mqtt_sansio::{
    Chunks, Config, ConnectionEvent, Done, End, Instant, Message, Next, Output, Policy, Supervisor,
};

/// What the loop waits for: the tags it gives the supervisor's commands.
#[derive(Debug)]
enum Tag {
    Subscribed,
    Published,
    Disconnected,
}

fn main() -> Result<(), Box<dyn Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:1883".to_owned());
    #[expect(
        clippy::disallowed_methods,
        reason = "the loop is the driver: it owns the clock and passes `now` in"
    )]
    let start = std::time::Instant::now();
    let now = || Instant::from_nanos(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));

    let config = Config::new(MqttString::from_static("supervised-loop"));
    let mut sup: Supervisor<Tag> = Supervisor::new(config, Policy::default());
    // Commands may come before the connection: they wait in the session.
    let topic = "supervised/loop";
    sup.subscribe(
        vec![Subscription::new(
            TopicFilter::new(topic)?,
            QoS::AtLeastOnce,
        )],
        SubscribeProperties::default(),
        Tag::Subscribed,
    );
    sup.publish(
        Message::new(
            TopicName::new(topic)?,
            QoS::AtLeastOnce,
            "hello, supervised",
        ),
        Tag::Published,
    );

    // Until a connection is accepted, a failure ends the program instead of a retry.
    let mut accepted = false;
    loop {
        let end = match TcpStream::connect(&address) {
            Ok(socket) => connection(&mut sup, socket, &now, &mut accepted)?,
            Err(_) => End::Unreachable,
        };
        // Whether and when to connect again: the supervisor's decision, with the loop's own
        // randomness for the jitter.
        let jitter = start.elapsed().subsec_nanos();
        if let Next::Retry(delay) = sup.handle_end(now(), &end, !accepted, false, jitter) {
            drain(&mut sup);
            #[expect(
                clippy::disallowed_methods,
                reason = "the loop is the driver: it sleeps, the core never does"
            )]
            std::thread::sleep(delay);
            continue;
        }
        sup.stop();
        drain(&mut sup);
        return Ok(());
    }
}

/// One connection, from the open socket to its end.
fn connection(
    sup: &mut Supervisor<Tag>,
    mut socket: TcpStream,
    now: &impl Fn() -> Instant,
    accepted: &mut bool,
) -> Result<End, Box<dyn Error>> {
    socket.set_nodelay(true)?;
    sup.handle_transport_open(now());
    let mut out = Chunks::new();
    let mut read_buf = BytesMut::with_capacity(4096);
    let mut buf = [0_u8; 4096];
    loop {
        // 1. Bytes out: everything the session has, written before the next `poll_transmit`.
        while sup.poll_transmit(now(), &mut out) {
            let bytes = out.copy_to_bytes(out.len());
            if socket.write_all(&bytes).is_err() {
                sup.handle_transport_closed(now());
            }
            sup.handle_written();
        }
        // 2. Outputs: answers to the tags, messages, events.
        let mut ended = None;
        while let Some(output) = sup.poll_output() {
            match output {
                Output::Done(tag, done) => println!("{tag:?}: {}", outcome(&done)),
                Output::Message(message) => {
                    let text = String::from_utf8_lossy(message.payload());
                    println!("received on {}: {text}", message.topic());
                    sup.disconnect(now(), Duration::from_secs(1), Tag::Disconnected);
                }
                Output::Event(ConnectionEvent::Disconnected(reason)) => ended = Some(reason),
                Output::Event(ConnectionEvent::Connected {
                    session_present, ..
                }) => {
                    *accepted = true;
                    println!("connected (session present: {session_present})");
                }
                Output::Event(event) => println!("{event:?}"),
            }
        }
        if let Some(reason) = ended {
            // The last bytes (a DISCONNECT) were written above; close, and learn how it ended.
            let _ = socket.shutdown(std::net::Shutdown::Both);
            let end = sup.handle_closed(reason, true);
            drain(sup);
            return Ok(end);
        }
        if sup.must_stop() {
            return Ok(End::Stop);
        }
        // 3. Wait for bytes until the deadline.
        let wait = sup
            .poll_timeout()
            .map_or(Duration::from_secs(60), |deadline| {
                deadline.saturating_duration_since(now())
            });
        socket.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        match socket.read(&mut buf) {
            Ok(0) => sup.handle_transport_closed(now()),
            Ok(n) => {
                read_buf.extend_from_slice(buf.get(..n).unwrap_or_default());
                sup.handle_read(now(), &mut read_buf);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                sup.handle_timeout(now());
            }
            Err(_) => sup.handle_transport_closed(now()),
        }
    }
}

/// Prints what is left to say between connections.
fn drain(sup: &mut Supervisor<Tag>) {
    while let Some(output) = sup.poll_output() {
        match output {
            Output::Done(tag, done) => println!("{tag:?}: {}", outcome(&done)),
            other => println!("{other:?}"),
        }
    }
}

fn outcome(done: &Done) -> String {
    match done {
        Done::Published(Ok(published)) => format!("acknowledged ({:?})", published.reason_code),
        Done::Codes(Ok(acked)) => format!("granted {:?}", acked.reason_codes),
        Done::Unit(Ok(())) => "done".to_owned(),
        other => format!("{other:?}"),
    }
}
