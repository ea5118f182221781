//! The driver acknowledges a read at once when it awaits answers and has nothing to write
//! ([`Transport::acknowledge_now`]), and leaves the acknowledgement to its next write, or to the
//! OS when it awaits nothing: a broker with Nagle's algorithm on would hold its next answers for
//! up to a delayed ACK.
//!
//! The runtime here counts the calls (async-net's TCP, through `FuturesIo::with_acknowledge`);
//! the broker is a socket scripted byte by byte.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use mqtt_driver::{FuturesIo, Options, Runtime, Timer};
use mqtt_proto::{ProtocolVersion, QoS};

/// Calls of `acknowledge_now` on the TCP connections of [`Counting`].
static ACKNOWLEDGED: AtomicUsize = AtomicUsize::new(0);
/// Calls of `acknowledge_now` on the TCP connections of [`Unsupported`].
static REFUSED: AtomicUsize = AtomicUsize::new(0);

struct AsyncIoTimer(async_io::Timer);

impl Timer for AsyncIoTimer {
    fn reset(&mut self, at: Instant) {
        self.0.set_at(at);
    }

    fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

/// A runtime whose TCP connections count, and perform, each immediate acknowledgement.
#[derive(Clone)]
struct Counting;

/// A runtime whose TCP connections cannot acknowledge at once, and count being asked.
#[derive(Clone)]
struct Unsupported;

fn counted(tcp: &async_net::TcpStream) -> std::io::Result<()> {
    ACKNOWLEDGED.fetch_add(1, Ordering::SeqCst);
    mqtt_driver::acknowledge_now(tcp)
}

fn refused(_: &async_net::TcpStream) -> std::io::Result<()> {
    REFUSED.fetch_add(1, Ordering::SeqCst);
    Err(std::io::ErrorKind::Unsupported.into())
}

macro_rules! runtime {
    ($runtime:ty, $acknowledge:expr) => {
        impl Runtime for $runtime {
            type Tcp = FuturesIo<async_net::TcpStream>;
            type Timer = AsyncIoTimer;

            fn now(&self) -> Instant {
                Instant::now()
            }

            async fn connect(&self, host: &str, port: u16) -> std::io::Result<Self::Tcp> {
                let tcp = async_net::TcpStream::connect((host, port)).await?;
                tcp.set_nodelay(true)?;
                Ok(FuturesIo::new(tcp).with_acknowledge($acknowledge))
            }

            fn timer(&self, at: Instant) -> AsyncIoTimer {
                AsyncIoTimer(async_io::Timer::at(at))
            }

            fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>) {
                std::thread::spawn(move || async_io::block_on(task));
            }
        }
    };
}

runtime!(Counting, counted);
runtime!(Unsupported, refused);

/// Reads one MQTT packet: its first byte and the rest after the remaining length.
fn read_packet(socket: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut first = [0_u8; 1];
    socket.read_exact(&mut first).expect("a packet");
    let (mut length, mut shift) = (0_usize, 0);
    loop {
        let mut byte = [0_u8; 1];
        socket.read_exact(&mut byte).expect("its length");
        length |= usize::from(byte[0] & 0x7f) << shift;
        shift += 7;
        if byte[0] & 0x80 == 0 {
            break;
        }
    }
    let mut rest = vec![0_u8; length];
    socket.read_exact(&mut rest).expect("its body");
    (first[0], rest)
}

/// Accepts the client's connection and answers its CONNECT (3.1.1).
fn accept(listener: &TcpListener) -> TcpStream {
    let (mut socket, _) = listener.accept().expect("the client connects");
    socket.set_read_timeout(Some(Duration::from_secs(10))).ok();
    assert_eq!(read_packet(&mut socket).0, 0x10, "CONNECT");
    socket
        .write_all(&[0x20, 0x02, 0x00, 0x00])
        .expect("CONNACK");
    socket
}

fn options(listener: &TcpListener) -> Options {
    let port = listener.local_addr().expect("bound").port();
    let mut options =
        Options::new(&format!("mqtt://127.0.0.1:{port}"), "acknowledging").expect("options");
    options.config.version = ProtocolVersion::V3_1_1;
    options
}

/// Waits (bounded) until `counter` reaches `at_least`; its value.
fn settle(counter: &AtomicUsize, at_least: usize) -> usize {
    let until = Instant::now() + Duration::from_secs(5);
    while counter.load(Ordering::SeqCst) < at_least && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    counter.load(Ordering::SeqCst)
}

/// A QoS 1 message of one byte to `t`.
fn message() -> mqtt_sansio::Message {
    let topic = mqtt_proto::TopicName::new("t").expect("a topic");
    mqtt_sansio::Message::new(topic, QoS::AtLeastOnce, "x")
}

/// Reads the PUBLISH of a QoS 1 message; its packet identifier.
fn read_publish(socket: &mut TcpStream) -> [u8; 2] {
    let (kind, body) = read_packet(socket);
    assert_eq!(kind & 0xf0, 0x30, "PUBLISH");
    let topic = usize::from(u16::from_be_bytes([body[0], body[1]]));
    [body[2 + topic], body[3 + topic]]
}

/// A PUBACK read while another is awaited and nothing is to be written is acknowledged at once;
/// the last one (nothing awaited any more) is not, nor is a PUBLISH the client answers with its
/// PUBACK (which carries the acknowledgement), nor the CONNACK.
#[test]
fn reads_that_leave_nothing_to_write_are_acknowledged_at_once_while_answers_are_awaited() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let options = options(&listener);
    let (go, next) = std::sync::mpsc::channel::<()>();
    let broker = std::thread::spawn(move || {
        let mut socket = accept(&listener);
        let first = read_publish(&mut socket);
        let second = read_publish(&mut socket);
        socket
            .write_all(&[0x40, 0x02, first[0], first[1]])
            .expect("PUBACK");
        // Alone in its read, once the test has seen the first PUBACK's acknowledgement.
        next.recv().expect("the test goes on");
        socket
            .write_all(&[0x40, 0x02, second[0], second[1]])
            .expect("PUBACK");
        next.recv().expect("the test goes on");
        // A QoS 1 message to the client, which answers with its PUBACK [MQTT-4.3.2-2].
        socket
            .write_all(&[0x32, 0x07, 0x00, 0x01, b't', 0x00, 0x09, b'h', b'i'])
            .expect("PUBLISH");
        assert_eq!(read_packet(&mut socket), (0x40, vec![0x00, 0x09]));
        socket
    });
    async_io::block_on(async {
        let (client, mut messages, _events) = mqtt_driver::connect(Counting, options)
            .await
            .expect("connected");
        // Nothing was awaited after the CONNACK.
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(ACKNOWLEDGED.load(Ordering::SeqCst), 0, "the CONNACK");
        for _ in 0..2 {
            client.send(message()).await.expect("queued");
        }
        assert_eq!(
            settle(&ACKNOWLEDGED, 1),
            1,
            "the first PUBACK, the second awaited"
        );
        go.send(()).expect("the broker waits");
        client.flush().await.expect("both acknowledged");
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(ACKNOWLEDGED.load(Ordering::SeqCst), 1, "the last PUBACK");
        go.send(()).expect("the broker waits");
        let message = messages.recv().await.expect("the message");
        assert_eq!(message.payload(), b"hi".as_slice());
        let socket = broker.join().expect("the broker's script");
        // The PUBLISH's acknowledgement went with the client's PUBACK.
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(ACKNOWLEDGED.load(Ordering::SeqCst), 1, "the PUBLISH");
        drop(socket);
        drop(client);
    });
}

/// A transport that cannot acknowledge at once is asked once per connection, not at every read.
#[test]
fn a_transport_that_cannot_is_asked_once() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let options = options(&listener);
    let broker = std::thread::spawn(move || {
        let mut socket = accept(&listener);
        let ids: Vec<[u8; 2]> = (0..4).map(|_| read_publish(&mut socket)).collect();
        for id in ids {
            socket
                .write_all(&[0x40, 0x02, id[0], id[1]])
                .expect("PUBACK");
            // Each in a read of its own.
            std::thread::sleep(Duration::from_millis(30));
        }
        socket
    });
    async_io::block_on(async {
        let (client, _messages, _events) = mqtt_driver::connect(Unsupported, options)
            .await
            .expect("connected");
        for _ in 0..4 {
            client.send(message()).await.expect("queued");
        }
        client.flush().await.expect("all acknowledged");
        let socket = broker.join().expect("the broker's script");
        // The first PUBACK, three still awaited: asked, refused, never asked again.
        assert_eq!(REFUSED.load(Ordering::SeqCst), 1);
        drop(socket);
        drop(client);
    });
}
