//! The handles the application holds, the same on every runtime: [`Client`] (commands in,
//! results out), [`Messages`] and [`Events`], and [`connect`], which starts the connection
//! task on a [`Runtime`].

use core::time::Duration;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use event_listener::Event;
use mqtt_proto::{
    AuthProperties, Publish, QoS, ReasonCode, SubscribeProperties, Subscription, TopicFilter,
    TopicName, UnsubscribeProperties,
};
use mqtt_sansio::{Acked, ClientError, ConnectionEvent, Message, Published};

use crate::driver::{Channels, Driver};
use crate::runtime::Runtime;
use crate::session::{Command, Control, Farewell, Reply, Session};
use crate::{Error, EventQueue, Numbered, Options, Stats, StatsCell, event_queue};
use tokio::sync::mpsc;

/// Connects to the broker and starts the connection task on `runtime`.
///
/// Resolves once the broker accepted the first connection, with the handle and the two streams;
/// the task then keeps the connection up (reconnecting when it ends, if
/// [`Policy::reconnect`](mqtt_sansio::Policy::reconnect)) until [`Client::disconnect`] or every handle is dropped. The
/// adapters call this with their runtime: `mqtt_tokio::connect`, `mqtt_async_std::connect`.
///
/// Cancel safety: dropping the future before it completes stops the task.
///
/// # Errors
/// [`Error::Certificate`] for a missing or unusable certificate file; then the first
/// connection's failure: [`Error::Io`] (refused, unreachable), [`Error::Tls`] (a failed
/// handshake: an untrusted certificate, a name mismatch), [`Error::ConnectTimeout`],
/// [`Error::Refused`] with the broker's reason code, [`Error::Disconnected`].
pub async fn connect<R: Runtime>(
    runtime: R,
    options: Options,
) -> Result<(Client, Messages, Events), Error> {
    let (handles, first) = start(&runtime, options)?;
    first.await.map_err(|_| Error::Closed)??;
    Ok(handles)
}

/// Starts the connection task; the handles, and where the first connection's outcome comes.
/// Not async: the task's state goes straight into its box, never into the caller's future.
#[allow(clippy::type_complexity)]
fn start<R: Runtime>(
    runtime: &R,
    options: Options,
) -> Result<
    (
        (Client, Messages, Events),
        oneshot::Receiver<Result<(), Error>>,
    ),
    Error,
> {
    // A missing certificate file, a bad proxy URL or header fails at once.
    options.validate()?;
    let (command_tx, commands) = mpsc::channel(options.command_capacity.max(1));
    let (control_tx, control) = mpsc::channel(4);
    let (message_tx, message_rx) = mpsc::channel(options.message_capacity.max(1));
    let (event_tx, event_rx) = event_queue(options.event_capacity);
    let (first_tx, first_rx) = oneshot::channel();
    let taken = Arc::new(Event::new());
    let leftover = Arc::new(Mutex::new(VecDeque::new()));
    let disconnect_timeout = options.policy.disconnect_timeout;
    let session = Session::new(&options, event_tx, first_tx)?;
    let stats = session.stats_cell();
    let channels = Channels {
        commands,
        control,
        messages: message_tx,
        taken: taken.clone(),
        leftover: leftover.clone(),
    };
    let driver = Box::new(Driver::new(runtime.clone(), options, session, channels));
    runtime.spawn(Box::pin(driver.run()));
    let handles = (
        Client {
            commands: command_tx,
            control: control_tx,
            disconnect_timeout,
            stats: stats.clone(),
        },
        Messages {
            rx: message_rx,
            taken,
            leftover,
            stats,
        },
        Events(event_rx),
    );
    Ok((handles, first_rx))
}

/// A cloneable handle to the connection task.
///
/// Every method sends a command to the task and waits for its result. Cancel safety: dropping a
/// returned future before it completes does not withdraw the command once it was sent (a
/// message given to `publish` is still delivered); only the result is lost.
///
/// Many messages: [`send`](Self::send) queues without waiting for the acknowledgement, and
/// [`flush`](Self::flush) waits for every message sent before it.
///
/// ```no_run
/// # async fn run(client: mqtt_driver::Client) -> Result<(), mqtt_driver::Error> {
/// use bytes::Bytes;
/// use mqtt_proto::{QoS, TopicName};
/// use mqtt_sansio::Message;
///
/// let topic = TopicName::new("sensors/7/temperature")?;
/// let payload = Bytes::from_static(b"21.5");
/// for _ in 0..10_000 {
///     client.send(Message::new(topic.clone(), QoS::AtLeastOnce, payload.clone())).await?;
/// }
/// client.flush().await?; // every PUBACK is in
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    commands: mpsc::Sender<Command>,
    control: mpsc::Sender<Control>,
    /// [`Policy::disconnect_timeout`](mqtt_sansio::Policy::disconnect_timeout).
    disconnect_timeout: Duration,
    /// Where the connection task publishes its figures.
    stats: StatsCell,
}

impl Client {
    /// Sends a request to `topic` and waits for its response (MQTT 5.0 request/response,
    /// section 4.10), at most `timeout`.
    ///
    /// The request goes at QoS 1 with a Response Topic and Correlation Data of the client's
    /// own: the response topic is under the broker's Response Information when it offers one
    /// (ask with `options.config.request_response_information = Some(true)`), under
    /// `replies/<client id>/` otherwise, and the client subscribes to it once, with the first
    /// request. The response, matched by its correlation data, comes back here instead of in
    /// [`Messages`]; many requests may wait at once. A responder answers with
    /// [`respond`](Self::respond).
    ///
    /// ```no_run
    /// # async fn run(client: mqtt_driver::Client) -> Result<(), mqtt_driver::Error> {
    /// use std::time::Duration;
    ///
    /// let response = client.request("services/clock", "now?", Duration::from_secs(5)).await?;
    /// println!("the time is {}", String::from_utf8_lossy(response.payload()));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::RequestTimeout`] when no response came in time; [`Error::Client`] with
    /// [`ClientError::NeedsV5`] before MQTT 5.0; [`Error::ResponseTopic`] when the broker refused the subscription to the
    /// response topic; those of [`publish`](Self::publish) for the request itself.
    pub async fn request(
        &self,
        topic: &str,
        payload: impl Into<Bytes>,
        timeout: Duration,
    ) -> Result<Numbered<Publish>, Error> {
        let message = Message::new(TopicName::new(topic)?, QoS::AtLeastOnce, payload);
        self.request_message(message, timeout).await
    }

    /// [`request`](Self::request) with a message of the application's own (its QoS, its other
    /// properties): its Response Topic and Correlation Data are the client's.
    ///
    /// # Errors
    /// As [`request`](Self::request).
    pub async fn request_message(
        &self,
        message: Message,
        timeout: Duration,
    ) -> Result<Numbered<Publish>, Error> {
        self.call(|reply| Command::Request(message, timeout, reply))
            .await
    }

    /// Answers `request` with `payload`: on its Response Topic, with its Correlation Data, at
    /// its QoS. Resolves as [`publish`](Self::publish) does.
    ///
    /// ```no_run
    /// # async fn run(client: mqtt_driver::Client, mut messages: mqtt_driver::Messages) -> Result<(), mqtt_driver::Error> {
    /// client.subscribe("services/clock", mqtt_proto::QoS::AtLeastOnce).await?;
    /// while let Some(request) = messages.recv().await {
    ///     client.respond(&request, "12:00").await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::NoResponseTopic`] for a message without one; those of
    /// [`publish`](Self::publish).
    pub async fn respond(
        &self,
        request: &Publish,
        payload: impl Into<Bytes>,
    ) -> Result<Published, Error> {
        self.publish_message(response(request, payload)?).await
    }

    /// The client's figures, as the connection task published them after its latest turn: a
    /// lock and a copy, cheap enough to call on every message.
    ///
    /// ```no_run
    /// # fn run(client: mqtt_driver::Client) {
    /// use mqtt_proto::PacketType;
    ///
    /// let stats = client.stats();
    /// println!(
    ///     "connection {}, {} reconnects, {} PUBLISH in, PINGRESP after {:?}",
    ///     stats.session.connection,
    ///     stats.reconnects,
    ///     stats.session.received.packets(PacketType::Publish),
    ///     stats.session.ping.recent(),
    /// );
    /// # }
    /// ```
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats.get()
    }

    /// Sends a command with a reply and waits for the reply.
    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// The same on the control channel, which never waits behind messages.
    async fn control(&self, make: impl FnOnce(Reply<()>) -> Control) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.control
            .send(make(tx))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Publishes `payload` to `topic`. Resolves when the broker acknowledged it (QoS 1: PUBACK,
    /// QoS 2: PUBCOMP) or, at QoS 0, when it was written to the socket.
    ///
    /// While disconnected, the message waits in the session and goes out after reconnecting.
    ///
    /// ```no_run
    /// # async fn run(client: mqtt_driver::Client) -> Result<(), mqtt_driver::Error> {
    /// use mqtt_proto::QoS;
    ///
    /// let published = client.publish("sensors/7/t", QoS::AtLeastOnce, false, "21.5").await?;
    /// println!("PUBACK {:?} for {:?}", published.reason_code, published.packet_id);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidTopic`], [`Error::Client`] (queue full, QoS or retain not supported,
    /// too large), [`Error::Failed`] for a failure reason code from the broker, [`Error::Closed`].
    pub async fn publish(
        &self,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: impl Into<Bytes>,
    ) -> Result<Published, Error> {
        let mut message = Message::new(TopicName::new(topic)?, qos, payload);
        message.retain = retain;
        self.publish_message(message).await
    }

    /// Publishes a [`Message`] with MQTT 5.0 properties; as [`publish`](Self::publish).
    ///
    /// # Errors
    /// As [`publish`](Self::publish).
    pub async fn publish_message(&self, message: Message) -> Result<Published, Error> {
        self.call(|tx| Command::Publish(message, tx)).await
    }

    /// Queues a message without waiting for its acknowledgement: resolves once the connection
    /// task has room for it. Pair it with [`flush`](Self::flush), which waits for everything
    /// sent before it and reports the first failure.
    ///
    /// This is the fast path for many messages: nothing is allocated per message (clone a
    /// `TopicName` and a `Bytes` payload, both reference counted), and messages sent together
    /// leave in one write.
    ///
    /// Cancel safety: when the future is dropped before it completes, the message was not
    /// queued.
    ///
    /// # Errors
    /// [`Error::Closed`] when the client stopped. What the session or the broker refuses is
    /// reported by the next [`flush`](Self::flush).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        self.commands
            .send(Command::Send(message))
            .await
            .map_err(|_| Error::Closed)
    }

    /// [`send`](Self::send) without waiting: fails at once when the command queue
    /// ([`Options::command_capacity`]) is full.
    ///
    /// # Errors
    /// [`Error::Client`] with [`ClientError::QueueFull`] when the queue is full (the message is
    /// not queued), [`Error::Closed`] when the client stopped.
    pub fn try_send(&self, message: Message) -> Result<(), Error> {
        self.commands
            .try_send(Command::Send(message))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => {
                    Error::Client(ClientError::QueueFull(self.commands.max_capacity()))
                }
                mpsc::error::TrySendError::Closed(_) => Error::Closed,
            })
    }

    /// Waits until every message given to [`send`](Self::send) before this call is done:
    /// acknowledged (QoS 1: PUBACK, QoS 2: PUBCOMP) or, at QoS 0, written to the socket.
    ///
    /// Cancel safety: dropping the future loses only the result; a failure it would have
    /// reported goes to the next `flush`.
    ///
    /// # Errors
    /// The first failure among those messages since the last `flush`: [`Error::Client`] for a
    /// message the session refused (queue full, too large, …), [`Error::Failed`] for a failure
    /// reason code from the broker; [`Error::Closed`] when the client stopped first.
    pub async fn flush(&self) -> Result<(), Error> {
        self.call(Command::Flush).await
    }

    /// Subscribes to `filter` at `qos`; resolves with the QoS the broker granted.
    ///
    /// ```no_run
    /// # async fn run(client: mqtt_driver::Client) -> Result<(), mqtt_driver::Error> {
    /// use mqtt_proto::QoS;
    ///
    /// let granted = client.subscribe("sensors/+/t", QoS::ExactlyOnce).await?;
    /// assert!(granted <= QoS::ExactlyOnce);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidTopic`], [`Error::Failed`] when the broker refused the filter,
    /// [`Error::Client`], [`Error::Closed`].
    pub async fn subscribe(&self, filter: &str, qos: QoS) -> Result<QoS, Error> {
        let subscription = Subscription::new(TopicFilter::new(filter)?, qos);
        let acked = self
            .subscribe_many(vec![subscription], SubscribeProperties::default())
            .await?;
        granted(&acked.reason_codes)
    }

    /// Subscribes to several filters, with the SUBSCRIBE's properties (MQTT 5.0: a
    /// Subscription Identifier, User Properties); resolves with the SUBACK's codes, one per
    /// filter (granted QoS or failure), and its properties (a Reason String, User Properties).
    ///
    /// # Errors
    /// [`Error::Client`], [`Error::Closed`].
    pub async fn subscribe_many(
        &self,
        subscriptions: Vec<Subscription>,
        properties: SubscribeProperties,
    ) -> Result<Acked, Error> {
        self.call(|tx| Command::Subscribe(subscriptions, properties, tx))
            .await
    }

    /// Unsubscribes from filters; resolves with the UNSUBACK's codes (MQTT 5.0; none for
    /// 3.1.1) and properties.
    ///
    /// # Errors
    /// [`Error::Client`], [`Error::Closed`].
    pub async fn unsubscribe(
        &self,
        filters: Vec<TopicFilter>,
        properties: UnsubscribeProperties,
    ) -> Result<Acked, Error> {
        self.call(|tx| Command::Unsubscribe(filters, properties, tx))
            .await
    }

    /// Acknowledges a received QoS 1 or 2 message (with manual acks configured).
    ///
    /// ```no_run
    /// # async fn run(
    /// #     client: mqtt_driver::Client,
    /// #     mut messages: mqtt_driver::Messages,
    /// # ) -> Result<(), mqtt_driver::Error> {
    /// // With `options.config.manual_acks` set: acknowledge once the message is stored.
    /// while let Some(message) = messages.recv().await {
    ///     // ... store it ...
    ///     client.ack(&message).await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Client`] for an unknown identifier or automatic acks, [`Error::Closed`].
    pub async fn ack(&self, publish: &Publish) -> Result<(), Error> {
        match publish.qos_pid.packet_id() {
            Some(id) => self.call(|tx| Command::Ack(id, tx)).await,
            None => Ok(()),
        }
    }

    /// Closes the connection without DISCONNECT, as a crash would (the broker publishes the
    /// will), and stops the connection task.
    ///
    /// # Errors
    /// [`Error::Closed`] when the task already stopped.
    pub async fn abort(&self) -> Result<(), Error> {
        self.control(Control::Abort).await
    }

    /// Disconnects cleanly and stops the connection task: waits until every message in flight
    /// or queued is acknowledged, for at most [`Policy::disconnect_timeout`](mqtt_sansio::Policy::disconnect_timeout), then sends
    /// DISCONNECT. The message and event streams end.
    ///
    /// Commands sent after it are not carried out (they fail with [`Error::Closed`]). Without a
    /// connection (while waiting to reconnect) it stops at once.
    ///
    /// Cancel safety: once called, the client disconnects even if the future is dropped.
    ///
    /// # Errors
    /// [`Error::Closed`] when the task already stopped.
    pub async fn disconnect(&self) -> Result<(), Error> {
        self.disconnect_within(self.disconnect_timeout).await
    }

    /// While waiting to reconnect, ends the wait: the next attempt starts at once (the
    /// application learned that the network is back, say). While connected, or while an
    /// attempt is under way, it changes nothing.
    ///
    /// ```no_run
    /// # async fn run(client: mqtt_driver::Client) -> Result<(), mqtt_driver::Error> {
    /// // The network interface came up again: no need to wait out the backoff.
    /// client.reconnect_now().await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Closed`] when the task already stopped.
    pub async fn reconnect_now(&self) -> Result<(), Error> {
        self.control(Control::ReconnectNow).await
    }

    /// Stops reading the connection: received messages stay with the broker (TCP slows it
    /// down) until [`resume`](Self::resume), as when the application does not take them from
    /// [`Messages`]. The session goes on sending, and keeps the connection alive without
    /// expecting the PINGRESP it does not read. Also across reconnections.
    ///
    /// ```no_run
    /// # async fn run(client: mqtt_driver::Client) -> Result<(), mqtt_driver::Error> {
    /// client.pause().await?; // the database is being migrated: hold the messages back
    /// // ...
    /// client.resume().await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Closed`] when the task already stopped.
    pub async fn pause(&self) -> Result<(), Error> {
        self.control(|tx| Control::PauseReading(true, tx)).await
    }

    /// Reads the connection again after [`pause`](Self::pause).
    ///
    /// # Errors
    /// [`Error::Closed`] when the task already stopped.
    pub async fn resume(&self) -> Result<(), Error> {
        self.control(|tx| Control::PauseReading(false, tx)).await
    }

    /// [`disconnect`](Self::disconnect), waiting at most `timeout` for the messages in flight;
    /// `Duration::ZERO` sends DISCONNECT at once.
    ///
    /// # Errors
    /// [`Error::Closed`] when the task already stopped.
    pub async fn disconnect_within(&self, timeout: Duration) -> Result<(), Error> {
        let farewell = Farewell {
            timeout,
            ..Farewell::default()
        };
        self.disconnect_with(farewell).await
    }

    /// [`disconnect`](Self::disconnect) with the DISCONNECT's reason code and properties
    /// (MQTT 5.0; a 3.1.1 DISCONNECT has neither): Disconnect with Will Message (0x04) has the
    /// broker publish the will, a Session Expiry Interval changes how long it keeps the
    /// session.
    ///
    /// ```no_run
    /// # async fn run(client: mqtt_driver::Client) -> Result<(), mqtt_driver::Error> {
    /// use std::time::Duration;
    /// use mqtt_driver::session::Farewell;
    /// use mqtt_proto::{DisconnectProperties, ReasonCode};
    ///
    /// let mut properties = DisconnectProperties::default();
    /// properties.session_expiry_interval = Some(0); // the broker may forget the session
    /// client
    ///     .disconnect_with(Farewell {
    ///         timeout: Duration::from_secs(1),
    ///         reason_code: ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
    ///         properties,
    ///     })
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Closed`] when the task already stopped.
    pub async fn disconnect_with(&self, farewell: Farewell) -> Result<(), Error> {
        self.control(|tx| Control::Disconnect(Box::new(farewell), tx))
            .await
    }

    /// Sends an AUTH (MQTT 5.0 enhanced authentication without an authenticator): the answer
    /// to a [`ConnectionEvent::Auth`] challenge, or Re-authenticate (0x19) with the method and
    /// data to start a re-authentication.
    ///
    /// # Errors
    /// [`Error::Client`] with [`ClientError::NeedsV5`], [`ClientError::InvalidState`] (no
    /// connection), [`ClientError::PacketTooLarge`]; [`Error::Closed`].
    pub async fn auth(
        &self,
        reason_code: ReasonCode,
        properties: AuthProperties,
    ) -> Result<(), Error> {
        self.call(|tx| Command::Auth(reason_code, properties, tx))
            .await
    }

    /// Re-authenticates with the authenticator of
    /// [`Options::authenticator`](crate::Options::authenticator) (MQTT 5.0, section 4.12.1):
    /// it answers the broker's challenges as during CONNECT; a broker that refuses ends the
    /// connection with its DISCONNECT, on the events.
    ///
    /// # Errors
    /// [`Error::Client`] with [`ClientError::NoAuthenticator`], [`ClientError::NeedsV5`],
    /// [`ClientError::InvalidState`] (not connected); [`Error::Closed`].
    pub async fn reauthenticate(&self) -> Result<(), Error> {
        self.call(Command::Reauthenticate).await
    }
}

/// The answer to `request` (MQTT 5.0): `payload` on its Response Topic, with its Correlation
/// Data, at its QoS.
///
/// # Errors
/// [`Error::NoResponseTopic`] for a request without a Response Topic.
pub fn response(request: &Publish, payload: impl Into<Bytes>) -> Result<Message, Error> {
    let topic = request
        .properties
        .response_topic
        .clone()
        .ok_or(Error::NoResponseTopic)?;
    let mut message = Message::new(topic, request.qos(), payload);
    message
        .properties
        .correlation_data
        .clone_from(&request.properties.correlation_data);
    Ok(message)
}

/// The QoS granted by the only code of a SUBACK, or its failure.
///
/// # Errors
/// [`Error::Failed`] with the failure code.
pub fn granted(codes: &[ReasonCode]) -> Result<QoS, Error> {
    match codes.first() {
        Some(&code) if code.is_success() => QoS::try_from(code.0).map_err(|_| Error::Failed(code)),
        Some(&code) => Err(Error::Failed(code)),
        None => Err(Error::Failed(ReasonCode::UNSPECIFIED_ERROR)),
    }
}

/// Received messages, bounded ([`Options::message_capacity`]): when the application does not
/// take them, the client stops reading the socket and TCP slows the broker down.
#[derive(Debug)]
pub struct Messages {
    rx: mpsc::Receiver<Numbered<Publish>>,
    /// Tells the connection task that there is room again.
    taken: Arc<Event>,
    /// What the connection task received and the stream had no room for when the client
    /// stopped: it follows the stream's last message.
    leftover: Arc<Mutex<VecDeque<Numbered<Publish>>>>,
    /// Counts the messages taken.
    stats: StatsCell,
}

impl Messages {
    /// A message taken: room in the stream, which the connection task learns once there is
    /// room for a batch of what it holds back.
    fn taken(&self, message: Numbered<Publish>) -> Numbered<Publish> {
        self.stats.message_taken();
        if self.rx.capacity() >= crate::session::room_to_resume(self.rx.max_capacity()) {
            self.taken.notify(1);
        }
        message
    }

    /// After the stream's end: the next message the stream had no room for.
    fn leftover(&self) -> Option<Numbered<Publish>> {
        self.leftover
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }

    /// The next message, with the number of the connection it came on; `None` when the client stopped and every message was taken, those
    /// the stream had no room for when it stopped included.
    ///
    /// Cancel safe: a message is never lost by dropping this future.
    pub async fn recv(&mut self) -> Option<Numbered<Publish>> {
        match self.rx.recv().await {
            Some(message) => Some(self.taken(message)),
            None => self.leftover(),
        }
    }

    /// The next message if one is waiting, without waiting; `None` when none is (or the client
    /// stopped and every message was taken).
    pub fn try_recv(&mut self) -> Option<Numbered<Publish>> {
        match self.rx.try_recv() {
            Ok(message) => Some(self.taken(message)),
            Err(mpsc::error::TryRecvError::Disconnected) => self.leftover(),
            Err(mpsc::error::TryRecvError::Empty) => None,
        }
    }
}

/// Connection events, bounded ([`Options::event_capacity`]): the connection task never waits
/// for the application, and when the application lags behind the oldest events give way to a
/// [`ConnectionEvent::Lagged`] that counts them.
#[derive(Debug)]
pub struct Events(EventQueue);

impl Events {
    /// The next event; `None` when the client stopped and every event was taken.
    ///
    /// Cancel safe.
    pub async fn recv(&mut self) -> Option<Numbered<ConnectionEvent>> {
        self.0.recv().await
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<Numbered<ConnectionEvent>> {
        self.0.try_recv()
    }
}
