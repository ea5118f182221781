//! What every MQTT adapter of this workspace needs to reach a broker, whatever its runtime: the
//! broker address and [`Options`], [`TlsOptions`] (rustls: system roots or a CA file, client
//! certificates, SNI, ALPN), the [`CredentialsHook`] refreshing credentials before each
//! attempt, the [`Jitter`] source of the reconnect delays (seedable, so that a run repeats), the
//! [`event_queue`] of connection events (bounded, never blocking the driver, counting what a
//! lagging application missed), and the [`Error`] type whose messages say what to fix.
//!
//! `mqtt-tokio`, `mqtt-async-std` and `mqtt-blocking` re-export these; applications use them
//! from there.
//!
//! ```
//! use mqtt_options::Options;
//!
//! let options = Options::new("mqtts://broker.example", "sensor-7").unwrap();
//! assert_eq!(options.port(), 8883);
//! assert!(options.tls.is_some());
//! ```

#![forbid(unsafe_code)]

mod attempts;
mod authenticator;
mod credentials;
mod error;
mod events;
mod jitter;
mod options;
mod tls;

pub use attempts::Attempts;
pub use authenticator::AuthenticatorFactory;
pub use credentials::{Credentials, CredentialsHook};
pub use error::Error;
pub use events::{EventQueue, EventSink, event_queue};
pub use jitter::Jitter;
pub use options::Options;
pub use tls::{Roots, TlsOptions};

/// The async handle's methods, the same for every async adapter: expanded inside `impl Client`
/// of `mqtt-tokio` and `mqtt-async-std`, whose `Client` provides `call` (send a command with a
/// reply and await it), `control` (the same on the control channel) and `enqueue` (send a
/// command without a reply), and whose `Command` and `Control` enums have the same variants.
/// `Error` must be in scope.
#[doc(hidden)]
#[macro_export]
macro_rules! __async_client_api {
    () => {
        /// Publishes `payload` to `topic`. Resolves when the broker acknowledged it (QoS 1: PUBACK,
        /// QoS 2: PUBCOMP) or, at QoS 0, when it was written to the socket.
        ///
        /// While disconnected, the message waits in the session and goes out after reconnecting.
        ///
        /// # Errors
        /// [`Error::InvalidTopic`], [`Error::Client`] (queue full, QoS or retain not supported,
        /// too large), [`Error::Failed`] for a failure reason code from the broker, [`Error::Closed`].
        pub async fn publish(
            &self,
            topic: &str,
            qos: ::mqtt_proto::QoS,
            retain: bool,
            payload: impl Into<::bytes::Bytes>,
        ) -> Result<::mqtt_sansio::Published, Error> {
            let mut message =
                ::mqtt_sansio::Message::new(::mqtt_proto::TopicName::new(topic)?, qos, payload);
            message.retain = retain;
            self.publish_message(message).await
        }

        /// Publishes a [`Message`] with MQTT 5.0 properties; as [`publish`](Self::publish).
        ///
        /// # Errors
        /// As [`publish`](Self::publish).
        pub async fn publish_message(
            &self,
            message: ::mqtt_sansio::Message,
        ) -> Result<::mqtt_sansio::Published, Error> {
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
        /// `Error::Closed` when the client stopped. What the session or the broker refuses is
        /// reported by the next [`flush`](Self::flush).
        pub async fn send(&self, message: ::mqtt_sansio::Message) -> Result<(), Error> {
            self.enqueue(Command::Send(message)).await
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

        /// Subscribes to `filter` at `qos`; resolves with the broker's result.
        ///
        /// # Errors
        /// [`Error::InvalidTopic`], [`Error::Failed`] when the broker refused the filter,
        /// [`Error::Client`], [`Error::Closed`].
        pub async fn subscribe(
            &self,
            filter: &str,
            qos: ::mqtt_proto::QoS,
        ) -> Result<::mqtt_proto::QoS, Error> {
            let sub = ::mqtt_proto::Subscription::new(::mqtt_proto::TopicFilter::new(filter)?, qos);
            let codes = self
                .subscribe_many(vec![sub], ::mqtt_proto::SubscribeProperties::default())
                .await?;
            match codes.first() {
                Some(&code) if code.is_success() => {
                    ::mqtt_proto::QoS::try_from(code.0).map_err(|_| Error::Failed(code))
                }
                Some(&code) => Err(Error::Failed(code)),
                None => Err(Error::Failed(::mqtt_proto::ReasonCode::UNSPECIFIED_ERROR)),
            }
        }

        /// Subscribes to several filters; resolves with one code per filter (granted QoS or failure).
        ///
        /// # Errors
        /// [`Error::Client`], [`Error::Closed`].
        pub async fn subscribe_many(
            &self,
            subscriptions: Vec<::mqtt_proto::Subscription>,
            properties: ::mqtt_proto::SubscribeProperties,
        ) -> Result<Vec<::mqtt_proto::ReasonCode>, Error> {
            self.call(|tx| Command::Subscribe(subscriptions, properties, tx))
                .await
        }

        /// Unsubscribes from filters; resolves with the broker's codes (MQTT 5.0; empty for 3.1.1).
        ///
        /// # Errors
        /// [`Error::Client`], [`Error::Closed`].
        pub async fn unsubscribe(
            &self,
            filters: Vec<::mqtt_proto::TopicFilter>,
            properties: ::mqtt_proto::UnsubscribeProperties,
        ) -> Result<Vec<::mqtt_proto::ReasonCode>, Error> {
            self.call(|tx| Command::Unsubscribe(filters, properties, tx))
                .await
        }

        /// Acknowledges a received QoS 1 or 2 message (with manual acks configured).
        ///
        /// # Errors
        /// [`Error::Client`] for an unknown identifier or automatic acks, [`Error::Closed`].
        pub async fn ack(&self, publish: &::mqtt_proto::Publish) -> Result<(), Error> {
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
        /// or queued is acknowledged, for at most
        /// [`Options::disconnect_timeout`](crate::Options::disconnect_timeout), then sends DISCONNECT. The message and event
        /// streams end.
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

        /// [`disconnect`](Self::disconnect), waiting at most `timeout` for the messages in flight;
        /// `Duration::ZERO` sends DISCONNECT at once.
        ///
        /// # Errors
        /// [`Error::Closed`] when the task already stopped.
        pub async fn disconnect_within(
            &self,
            timeout: ::core::time::Duration,
        ) -> Result<(), Error> {
            self.control(|tx| Control::Disconnect(timeout, tx)).await
        }
    };
}
