//! An MQTT 3.1.1 and 5.0 client on `std::net` and threads, with no async runtime inside.
//!
//! A thin driver around the [`mqtt_sansio`] state machine: one connection thread opens the
//! socket, reads it with a read timeout that follows the session's next deadline, and
//! reconnects with backoff; the cloneable [`Client`] applies commands from any thread and
//! writes what they produce. Received messages come out of a bounded [`Messages`] receiver (a
//! consumer that stops taking them makes the client stop reading the socket, without a false
//! keepalive timeout), connection changes out of [`Events`].
//!
//! ```no_run
//! # fn run() -> Result<(), mqtt_blocking::Error> {
//! use mqtt_blocking::{Options, connect};
//! use mqtt_proto::QoS;
//!
//! let (client, messages, _events) = connect(Options::new("mqtt://localhost", "demo")?)?;
//! client.subscribe("greetings/#", QoS::AtLeastOnce)?;
//! client.publish("greetings/world", QoS::AtLeastOnce, false, "hello")?; // blocks until PUBACK
//! for message in messages.iter().take(1) {
//!     println!("{}: {:?}", message.topic(), message.payload());
//! }
//! client.disconnect()?;
//! # Ok(())
//! # }
//! ```
//!
//! Addresses, options, TLS and credentials are those of `mqtt-tokio` (the [`mqtt_driver`]
//! crate): `mqtt://`, `tcp://`, `mqtts://`, `tls://`, `ws://` and `wss://` (feature
//! `websocket`), `unix:///path`, proxies ([`ProxySetting`]), fleets
//! ([`Options::with_brokers`]); a [`CredentialsHook`] runs on the
//! connection thread before each attempt ([`CredentialsHook::from_fn`] for a plain function).

#![forbid(unsafe_code)]

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod driver;
mod link;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use bytes::Bytes;
pub use mqtt_driver::session::Farewell;
use mqtt_driver::session::{Command, Control, Reply};
pub use mqtt_driver::{
    Address, AddressError, AuthenticatorFactory, Credentials, CredentialsHook, Error, Jitter,
    Numbered, Options, Proxy, ProxyError, ProxyKind, ProxySetting, Roots, Stats, StoreOptions,
    TlsOptions, WebSocketError, WebSocketOptions,
};
use mqtt_driver::{EventQueue, StatsCell};
pub use mqtt_driver::{record, store, trace};
use mqtt_proto::{
    AuthProperties, Publish, QoS, ReasonCode, SubscribeProperties, Subscription, TopicFilter,
    TopicName, UnsubscribeProperties,
};
use mqtt_sansio::ClientError;
pub use mqtt_sansio::{
    Acked, AuthFailed, Authenticator, Backoff, ConnectionEvent, Message, Policy, Published,
    Redirect, Takeover,
};

use crate::driver::Shared;

/// Connects to the broker and starts the connection thread; returns once the broker accepted
/// the first connection.
///
/// # Errors
/// What [`Options::validate`] finds ([`Error::Certificate`] for a missing or unusable
/// certificate file, say); then the first connection's failure: [`Error::Io`],
/// [`Error::Tls`], [`Error::Proxy`], [`Error::WebSocket`], [`Error::ConnectTimeout`],
/// [`Error::Refused`] with the broker's reason code, [`Error::Disconnected`].
pub fn connect(options: Options) -> Result<(Client, Messages, Events), Error> {
    options.validate()?;
    let (message_tx, message_rx) = mpsc::sync_channel(options.message_capacity.max(1));
    let (event_tx, event_rx) = mqtt_driver::event_queue(options.event_capacity);
    let (first_tx, first_rx) = oneshot::channel();
    let shared = Arc::new(Shared::new(&options, message_tx, event_tx, first_tx)?);
    let stats = shared.lock().session.stats_cell();
    let disconnect_timeout = options.policy.disconnect_timeout;
    std::thread::Builder::new()
        .name("mqtt-connection".into())
        .spawn({
            let shared = shared.clone();
            move || driver::run(&shared, &options)
        })?;
    first_rx.recv().map_err(|_| Error::Closed)??;
    let handle = Arc::new(Handle {
        shared: shared.clone(),
    });
    Ok((
        Client {
            handle,
            disconnect_timeout,
            stats: stats.clone(),
        },
        Messages {
            rx: message_rx,
            changed: shared.clone(),
            stats,
        },
        Events(event_rx),
    ))
}

/// Disconnects cleanly when the last [`Client`] is dropped.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        let now = state.now();
        state.session.control(now, None);
        state.pump(&self.shared.changed);
    }
}

/// A cloneable handle: every method may be called from any thread.
#[derive(Clone)]
pub struct Client {
    handle: Arc<Handle>,
    disconnect_timeout: Duration,
    /// Where the session publishes its figures.
    stats: StatsCell,
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Client(..)")
    }
}

/// The outcome of a publish that did not wait for it.
#[derive(Debug)]
pub struct Token(oneshot::Receiver<Result<Published, Error>>);

impl Token {
    /// Blocks until the broker acknowledged the message (QoS 0: until it was written).
    ///
    /// # Errors
    /// As [`Client::publish`].
    pub fn wait(self) -> Result<Published, Error> {
        self.0.recv().unwrap_or(Err(Error::Closed))
    }

    /// [`wait`](Self::wait) for at most `timeout`; `None` when it has not finished.
    ///
    /// # Errors
    /// As [`Client::publish`].
    #[must_use]
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Result<Published, Error>> {
        match self.0.recv_timeout(timeout) {
            Ok(result) => Some(result),
            Err(oneshot::RecvTimeoutError::Timeout) => None,
            Err(oneshot::RecvTimeoutError::Disconnected) => Some(Err(Error::Closed)),
        }
    }
}

impl Client {
    fn shared(&self) -> &Shared {
        &self.handle.shared
    }

    /// Sends a request to `topic` and blocks until its response comes (MQTT 5.0
    /// request/response), at most `timeout`: as the async adapters' `request`, which says
    /// how the response topic is chosen.
    ///
    /// # Errors
    /// [`Error::RequestTimeout`], [`Error::Client`] (`NeedsV5` before MQTT 5.0),
    /// [`Error::ResponseTopic`], and those of
    /// [`publish`](Self::publish).
    pub fn request(
        &self,
        topic: &str,
        payload: impl Into<Bytes>,
        timeout: Duration,
    ) -> Result<Numbered<Publish>, Error> {
        let message = Message::new(TopicName::new(topic)?, QoS::AtLeastOnce, payload);
        self.request_message(message, timeout)
    }

    /// [`request`](Self::request) with a message of the application's own.
    ///
    /// # Errors
    /// As [`request`](Self::request).
    pub fn request_message(
        &self,
        message: Message,
        timeout: Duration,
    ) -> Result<Numbered<Publish>, Error> {
        self.call(|reply| Command::Request(message, timeout, reply))
    }

    /// Answers `request` with `payload` on its Response Topic, with its Correlation Data, at
    /// its QoS; blocks as [`publish`](Self::publish) does.
    ///
    /// # Errors
    /// [`Error::NoResponseTopic`] for a message without one; those of
    /// [`publish`](Self::publish).
    pub fn respond(
        &self,
        request: &Publish,
        payload: impl Into<Bytes>,
    ) -> Result<Published, Error> {
        self.publish_message(mqtt_driver::response(request, payload)?)?
            .wait()
    }

    /// The client's figures, as they stood after the latest change of the session: a lock and
    /// a copy, cheap enough to call on every message (see [`Stats`]).
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats.get()
    }

    /// Applies a command once the session has room (blocking until it has) and writes.
    fn apply(&self, command: Command) -> Result<(), Error> {
        let mut state = self.shared().with_room().ok_or(Error::Closed)?;
        let now = state.now();
        state.session.command(now, command);
        state.pump(&self.shared().changed);
        Ok(())
    }

    /// Applies a command with a reply and blocks until the reply comes.
    fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        self.apply(make(tx))?;
        rx.recv().unwrap_or(Err(Error::Closed))
    }

    /// Publishes `payload` to `topic`; blocks until the broker acknowledged it (QoS 1: PUBACK,
    /// QoS 2: PUBCOMP) or, at QoS 0, until it was written. While disconnected, the message
    /// waits in the session and goes out after reconnecting.
    ///
    /// # Errors
    /// [`Error::InvalidTopic`], [`Error::Client`] (QoS or retain not supported, too large),
    /// [`Error::Failed`] for a failure reason code from the broker, [`Error::Closed`].
    pub fn publish(
        &self,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: impl Into<Bytes>,
    ) -> Result<Published, Error> {
        let mut message = Message::new(TopicName::new(topic)?, qos, payload);
        message.retain = retain;
        self.publish_message(message)?.wait()
    }

    /// Publishes a [`Message`] without waiting for the outcome: the [`Token`] has it. Blocks
    /// only while the session has no room.
    ///
    /// # Errors
    /// [`Error::Closed`] when the client stopped.
    pub fn publish_message(&self, message: Message) -> Result<Token, Error> {
        let (tx, rx) = oneshot::channel();
        self.apply(Command::Publish(message, tx))?;
        Ok(Token(rx))
    }

    /// Queues a message without a token: [`flush`](Self::flush) reports the outcome. Blocks
    /// only while the session has no room. Nothing is allocated per message beyond what the
    /// caller's `Message` holds. With a session store ([`Options::store`]), a QoS 1 or 2
    /// message is in the store when `send` returns: it survives the process.
    ///
    /// # Errors
    /// [`Error::Closed`] when the client stopped.
    pub fn send(&self, message: Message) -> Result<(), Error> {
        self.apply(Command::Send(message))
    }

    /// [`send`](Self::send) without blocking.
    ///
    /// # Errors
    /// [`Error::Client`] with [`ClientError::QueueFull`] when the session has no room (the
    /// message is not queued); [`Error::Closed`].
    pub fn try_send(&self, message: Message) -> Result<(), Error> {
        let mut state = self.shared().lock();
        if state.stopped {
            return Err(Error::Closed);
        }
        if !state.session.supervisor().has_room() {
            return Err(Error::Client(ClientError::QueueFull(
                state.session.supervisor().client().pending(),
            )));
        }
        let now = state.now();
        state.session.command(now, Command::Send(message));
        state.pump(&self.shared().changed);
        Ok(())
    }

    /// Blocks until every message given to [`send`](Self::send) before it is acknowledged (or
    /// written, at QoS 0).
    ///
    /// # Errors
    /// The first failure among those messages since the last flush; [`Error::Closed`].
    pub fn flush(&self) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        let mut state = self.shared().lock();
        if state.stopped {
            return Err(Error::Closed);
        }
        let now = state.now();
        state.session.command(now, Command::Flush(tx));
        state.pump(&self.shared().changed);
        drop(state);
        rx.recv().unwrap_or(Err(Error::Closed))
    }

    /// Subscribes to `filter` at `qos`; blocks until the broker answered.
    ///
    /// # Errors
    /// [`Error::InvalidTopic`], [`Error::Failed`] when the broker refused the filter,
    /// [`Error::Client`], [`Error::Closed`].
    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<QoS, Error> {
        let sub = Subscription::new(TopicFilter::new(filter)?, qos);
        let acked = self.subscribe_many(vec![sub], SubscribeProperties::default())?;
        mqtt_driver::granted(&acked.reason_codes)
    }

    /// Subscribes to several filters; one code per filter (granted QoS or failure).
    ///
    /// # Errors
    /// [`Error::Client`], [`Error::Closed`].
    pub fn subscribe_many(
        &self,
        subscriptions: Vec<Subscription>,
        properties: SubscribeProperties,
    ) -> Result<Acked, Error> {
        self.call(|tx| Command::Subscribe(subscriptions, properties, tx))
    }

    /// Unsubscribes; the broker's codes (MQTT 5.0; empty for 3.1.1).
    ///
    /// # Errors
    /// [`Error::Client`], [`Error::Closed`].
    pub fn unsubscribe(
        &self,
        filters: Vec<TopicFilter>,
        properties: UnsubscribeProperties,
    ) -> Result<Acked, Error> {
        self.call(|tx| Command::Unsubscribe(filters, properties, tx))
    }

    /// Acknowledges a received QoS 1 or 2 message (with manual acks configured).
    ///
    /// # Errors
    /// [`Error::Client`] for an unknown identifier or automatic acks, [`Error::Closed`].
    pub fn ack(&self, publish: &Publish) -> Result<(), Error> {
        let Some(id) = publish.qos_pid.packet_id() else {
            return Ok(());
        };
        let (tx, rx) = oneshot::channel();
        let mut state = self.shared().lock();
        let now = state.now();
        state.session.command(now, Command::Ack(id, tx));
        state.pump(&self.shared().changed);
        drop(state);
        rx.recv().unwrap_or(Err(Error::Closed))
    }

    /// Waits for the messages in flight (at most [`Policy::disconnect_timeout`](mqtt_sansio::Policy::disconnect_timeout)), sends
    /// DISCONNECT and stops the connection thread; the receivers end.
    ///
    /// # Errors
    /// [`Error::Closed`] when the client already stopped.
    pub fn disconnect(&self) -> Result<(), Error> {
        self.disconnect_within(self.disconnect_timeout)
    }

    /// [`disconnect`](Self::disconnect), waiting at most `timeout` for the messages in flight.
    ///
    /// # Errors
    /// [`Error::Closed`] when the client already stopped.
    pub fn disconnect_within(&self, timeout: Duration) -> Result<(), Error> {
        let farewell = Farewell {
            timeout,
            ..Farewell::default()
        };
        self.disconnect_with(farewell)
    }

    /// [`disconnect`](Self::disconnect) with the DISCONNECT's reason code and properties
    /// (MQTT 5.0): Disconnect with Will Message (0x04) has the broker publish the will, a
    /// Session Expiry Interval changes how long it keeps the session.
    ///
    /// # Errors
    /// [`Error::Closed`] when the client already stopped.
    pub fn disconnect_with(&self, farewell: Farewell) -> Result<(), Error> {
        self.control(|tx| Control::Disconnect(Box::new(farewell), tx))
    }

    /// Sends an AUTH (MQTT 5.0 enhanced authentication without an authenticator): the answer
    /// to a [`ConnectionEvent::Auth`] challenge, or Re-authenticate (0x19) with the method and
    /// data to start a re-authentication.
    ///
    /// # Errors
    /// [`Error::Client`] (MQTT 3.1.1, no connection, too large), [`Error::Closed`].
    pub fn auth(&self, reason_code: ReasonCode, properties: AuthProperties) -> Result<(), Error> {
        self.call(|tx| Command::Auth(reason_code, properties, tx))
    }

    /// Re-authenticates with the authenticator of [`Options::authenticator`] (MQTT 5.0,
    /// section 4.12.1).
    ///
    /// # Errors
    /// [`Error::Client`] without an authenticator, before MQTT 5.0 or without a connection;
    /// [`Error::Closed`].
    pub fn reauthenticate(&self) -> Result<(), Error> {
        self.call(Command::Reauthenticate)
    }

    /// Closes the connection without DISCONNECT, as a crash would (the broker publishes the
    /// will), and stops the connection thread.
    ///
    /// # Errors
    /// [`Error::Closed`] when the client already stopped.
    pub fn abort(&self) -> Result<(), Error> {
        self.control(Control::Abort)
    }

    /// While waiting to reconnect, ends the wait: the next attempt starts at once (the
    /// application learned that the network is back, say). While connected, or while an
    /// attempt is under way, it changes nothing.
    ///
    /// # Errors
    /// [`Error::Closed`] when the client already stopped.
    pub fn reconnect_now(&self) -> Result<(), Error> {
        self.control(Control::ReconnectNow)
    }

    /// Stops reading the connection once the read under way returns: received messages stay
    /// with the broker (TCP slows it down) until [`resume`](Self::resume), as when the
    /// application does not take them from [`Messages`]. The session goes on sending, and
    /// keeps the connection alive without expecting the PINGRESP it does not read.
    ///
    /// # Errors
    /// [`Error::Closed`] when the client already stopped.
    pub fn pause(&self) -> Result<(), Error> {
        self.control(|tx| Control::PauseReading(true, tx))
    }

    /// Reads the connection again after [`pause`](Self::pause).
    ///
    /// # Errors
    /// [`Error::Closed`] when the client already stopped.
    pub fn resume(&self) -> Result<(), Error> {
        self.control(|tx| Control::PauseReading(false, tx))
    }

    /// Applies a control command and blocks until its reply comes.
    fn control(&self, make: impl FnOnce(Reply<()>) -> Control) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        let mut state = self.shared().lock();
        if state.stopped {
            return Err(Error::Closed);
        }
        let now = state.now();
        state.session.control(now, Some(make(tx)));
        state.pump(&self.shared().changed);
        drop(state);
        rx.recv().unwrap_or(Err(Error::Closed))
    }
}

/// Received messages, bounded: when the application does not take them, the client stops
/// reading the socket and TCP slows the broker down.
#[derive(Debug)]
pub struct Messages {
    rx: Receiver<Numbered<Publish>>,
    changed: Arc<Shared>,
    /// Counts the messages taken.
    stats: StatsCell,
}

impl core::fmt::Debug for Shared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Shared(..)")
    }
}

impl Messages {
    /// A message taken, or the end of the stream: once the client stopped, the messages the
    /// stream had no room for come after those in it, and then `None`.
    fn taken(&self, message: Option<Numbered<Publish>>, ended: bool) -> Option<Numbered<Publish>> {
        if message.is_some() {
            self.stats.message_taken();
            let shared = &self.changed;
            // Room in the stream for half of it: the connection thread, which may hold
            // messages back for it, hands them over (and reads again once it has none).
            if shared.in_stream.fetch_sub(1, Ordering::AcqRel) == shared.resume_at + 1 {
                // Under the lock, so that a connection thread that has not started waiting
                // yet does not miss it: it fills the stream and waits, or it is woken.
                let _state = shared.lock();
                shared.changed.notify_all();
            }
            return message;
        }
        if ended {
            return self.changed.lock().leftover();
        }
        None
    }

    /// The next message; `None` when the client stopped and every message was taken.
    #[must_use]
    pub fn recv(&self) -> Option<Numbered<Publish>> {
        let next = self.rx.recv();
        let ended = next.is_err();
        self.taken(next.ok(), ended)
    }

    /// The next message within `timeout`; `None` on timeout, or when the client stopped and
    /// every message was taken.
    #[must_use]
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Numbered<Publish>> {
        let next = self.rx.recv_timeout(timeout);
        let ended = matches!(next, Err(RecvTimeoutError::Disconnected));
        self.taken(next.ok(), ended)
    }

    /// The next message if one is waiting.
    #[must_use]
    pub fn try_recv(&self) -> Option<Numbered<Publish>> {
        let next = self.rx.try_recv();
        let ended = matches!(next, Err(mpsc::TryRecvError::Disconnected));
        self.taken(next.ok(), ended)
    }

    /// Every message, blocking for each, until the client stops.
    pub fn iter(&self) -> impl Iterator<Item = Numbered<Publish>> + '_ {
        std::iter::from_fn(|| self.recv())
    }
}

/// Connection events, bounded ([`Options::event_capacity`]): the connection thread never waits
/// for the application, and when the application lags behind the oldest events give way to a
/// [`ConnectionEvent::Lagged`] that counts them.
#[derive(Debug)]
pub struct Events(EventQueue);

impl Events {
    /// The next event; `None` when the client stopped and every event was taken.
    #[must_use]
    pub fn recv(&self) -> Option<Numbered<ConnectionEvent>> {
        self.0.recv_blocking()
    }

    /// The next event within `timeout`.
    #[must_use]
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Numbered<ConnectionEvent>> {
        self.0.recv_timeout(timeout)
    }

    /// The next event if one is waiting.
    #[must_use]
    pub fn try_recv(&self) -> Option<Numbered<ConnectionEvent>> {
        self.0.try_recv()
    }
}
