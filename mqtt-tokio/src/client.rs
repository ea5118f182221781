//! The handle the application holds: commands in, results out.

use core::time::Duration;
use mqtt_proto::{
    PacketId, Publish, ReasonCode, SubscribeProperties, Subscription, TopicFilter,
    UnsubscribeProperties,
};

use mqtt_sansio::{ClientError, ConnectionEvent, Message, Published};
use tokio::sync::{mpsc, oneshot};

use mqtt_options::{Error, EventQueue};

pub(crate) enum Command {
    Publish(Message, oneshot::Sender<Result<Published, Error>>),
    Send(Message),
    Flush(oneshot::Sender<Result<(), Error>>),
    Subscribe(
        Vec<Subscription>,
        SubscribeProperties,
        oneshot::Sender<Result<Vec<ReasonCode>, Error>>,
    ),
    Unsubscribe(
        Vec<TopicFilter>,
        UnsubscribeProperties,
        oneshot::Sender<Result<Vec<ReasonCode>, Error>>,
    ),
    Ack(PacketId, oneshot::Sender<Result<(), Error>>),
}

/// Commands that never wait behind messages.
pub(crate) enum Control {
    Disconnect(Duration, oneshot::Sender<Result<(), Error>>),
    Abort(oneshot::Sender<Result<(), Error>>),
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
/// # async fn run(client: mqtt_tokio::Client) -> Result<(), mqtt_tokio::Error> {
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
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) control: mpsc::Sender<Control>,
    /// [`Options::disconnect_timeout`](crate::Options::disconnect_timeout).
    pub(crate) disconnect_timeout: Duration,
}

impl Client {
    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, Error>>) -> Command,
    ) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    async fn enqueue(&self, command: Command) -> Result<(), Error> {
        self.commands.send(command).await.map_err(|_| Error::Closed)
    }

    /// [`send`](Self::send) without waiting: fails at once when the command queue
    /// ([`Options::command_capacity`](crate::Options::command_capacity)) is full.
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

    mqtt_options::__async_client_api!();

    async fn control(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), Error>>) -> Control,
    ) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.control
            .send(make(tx))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }
}

/// Received messages, bounded: when the application does not take them, the client stops
/// reading the socket and TCP slows the broker down.
#[derive(Debug)]
pub struct Messages(pub(crate) mpsc::Receiver<Publish>);

impl Messages {
    /// The next message; `None` when the client stopped.
    ///
    /// Cancel safe: a message is never lost by dropping this future.
    pub async fn recv(&mut self) -> Option<Publish> {
        self.0.recv().await
    }

    /// The next message if one is waiting, without waiting; `None` when none is (or the client
    /// stopped).
    pub fn try_recv(&mut self) -> Option<Publish> {
        self.0.try_recv().ok()
    }
}

/// Connection events, bounded ([`Options::event_capacity`](crate::Options::event_capacity)):
/// the connection task never waits for the application, and when the application lags behind
/// the oldest events give way to a [`ConnectionEvent::Lagged`] that counts them.
#[derive(Debug)]
pub struct Events(pub(crate) EventQueue);

impl Events {
    /// The next event; `None` when the client stopped and every event was taken.
    ///
    /// Cancel safe.
    pub async fn recv(&mut self) -> Option<ConnectionEvent> {
        self.0.recv().await
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<ConnectionEvent> {
        self.0.try_recv()
    }
}
