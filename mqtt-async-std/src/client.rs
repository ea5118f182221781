//! The handle the application holds: commands in, results out.

use core::time::Duration;
use mqtt_proto::{
    PacketId, Publish, ReasonCode, SubscribeProperties, Subscription, TopicFilter,
    UnsubscribeProperties,
};

use crate::driver::Reply;
use mqtt_sansio::{ClientError, ConnectionEvent, Message, Published};

use mqtt_options::{Error, EventQueue};

pub(crate) enum Command {
    Publish(Message, Reply<Published>),
    Send(Message),
    Flush(Reply<()>),
    Subscribe(
        Vec<Subscription>,
        SubscribeProperties,
        Reply<Vec<ReasonCode>>,
    ),
    Unsubscribe(
        Vec<TopicFilter>,
        UnsubscribeProperties,
        Reply<Vec<ReasonCode>>,
    ),
    Ack(PacketId, Reply<()>),
}

/// Commands that never wait behind messages.
pub(crate) enum Control {
    Disconnect(Duration, Reply<()>),
    Abort(Reply<()>),
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
/// # async fn run(client: mqtt_async_std::Client) -> Result<(), mqtt_async_std::Error> {
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
    pub(crate) commands: async_channel::Sender<Command>,
    pub(crate) control: async_channel::Sender<Control>,
    /// [`Options::disconnect_timeout`](crate::Options::disconnect_timeout).
    pub(crate) disconnect_timeout: Duration,
}

impl Client {
    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, Error> {
        let (tx, rx) = async_channel::bounded(1);
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| Error::Closed)?;
        rx.recv().await.map_err(|_| Error::Closed)?
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
                async_channel::TrySendError::Full(_) => Error::Client(ClientError::QueueFull(
                    self.commands.capacity().unwrap_or_default(),
                )),
                async_channel::TrySendError::Closed(_) => Error::Closed,
            })
    }

    mqtt_options::__async_client_api!();

    async fn control(&self, make: impl FnOnce(Reply<()>) -> Control) -> Result<(), Error> {
        let (tx, rx) = async_channel::bounded(1);
        self.control
            .send(make(tx))
            .await
            .map_err(|_| Error::Closed)?;
        rx.recv().await.map_err(|_| Error::Closed)?
    }
}

/// Received messages, bounded: when the application does not take them, the client stops
/// reading the socket and TCP slows the broker down.
#[derive(Debug)]
pub struct Messages {
    pub(crate) rx: async_channel::Receiver<Publish>,
    /// Tells the connection task that there is room again.
    pub(crate) taken: std::sync::Arc<event_listener::Event>,
}

impl Messages {
    fn taken(&self, message: Option<Publish>) -> Option<Publish> {
        self.taken.notify(1);
        message
    }

    /// The next message; `None` when the client stopped.
    ///
    /// Cancel safe: a message is never lost by dropping this future.
    pub async fn recv(&mut self) -> Option<Publish> {
        let message = self.rx.recv().await.ok();
        self.taken(message)
    }

    /// The next message if one is waiting, without waiting; `None` when none is (or the client
    /// stopped).
    pub fn try_recv(&mut self) -> Option<Publish> {
        let message = self.rx.try_recv().ok();
        self.taken(message)
    }
}

/// Connection events, bounded: when nobody reads them, new ones are dropped.
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
