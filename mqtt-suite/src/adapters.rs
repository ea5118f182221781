//! Every adapter of the workspace behind the suite's [`Adapter`] and [`Connection`]: each call
//! blocks (an async adapter on an executor of its own), so that one scenario drives them all.

use std::sync::Mutex;
use std::time::Duration;

use mqtt_driver::session::Farewell;
use mqtt_driver::{Error, Numbered, Options, Stats};
use mqtt_proto::{Publish, QoS};
use mqtt_sansio::{ConnectionEvent, Message};

use crate::{Adapter, Connection};

/// `mqtt-tokio`, on a multi-threaded runtime of one worker per connection.
pub struct Tokio;

/// A connection of [`Tokio`].
pub struct TokioConnection {
    runtime: tokio::runtime::Runtime,
    client: mqtt_tokio::Client,
    messages: Mutex<mqtt_tokio::Messages>,
    events: Mutex<mqtt_tokio::Events>,
}

impl Connection for TokioConnection {
    fn publish(&self, topic: &str, qos: QoS, retain: bool, payload: &[u8]) -> Result<(), Error> {
        self.runtime
            .block_on(self.client.publish(topic, qos, retain, payload.to_vec()))
            .map(|_| ())
    }
    fn send(&self, message: Message) -> Result<(), Error> {
        self.runtime.block_on(self.client.send(message))
    }
    fn flush(&self) -> Result<(), Error> {
        self.runtime.block_on(self.client.flush())
    }
    fn subscribe(&self, filter: &str, qos: QoS) -> Result<QoS, Error> {
        self.runtime.block_on(self.client.subscribe(filter, qos))
    }
    fn next_numbered_message(&self, timeout: Duration) -> Option<Numbered<Publish>> {
        let mut messages = self.messages.lock().unwrap();
        self.runtime
            .block_on(async { tokio::time::timeout(timeout, messages.recv()).await })
            .ok()
            .flatten()
    }
    fn next_numbered_event(&self, timeout: Duration) -> Option<Numbered<ConnectionEvent>> {
        let mut events = self.events.lock().unwrap();
        self.runtime
            .block_on(async { tokio::time::timeout(timeout, events.recv()).await })
            .ok()
            .flatten()
    }
    fn stats(&self) -> Stats {
        self.client.stats()
    }
    fn request(
        &self,
        topic: &str,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<Numbered<Publish>, Error> {
        self.runtime
            .block_on(self.client.request(topic, payload.to_vec(), timeout))
    }
    fn respond(&self, request: &Publish, payload: &[u8]) -> Result<(), Error> {
        self.runtime
            .block_on(self.client.respond(request, payload.to_vec()))
            .map(|_| ())
    }
    fn disconnect(&self) -> Result<(), Error> {
        self.runtime.block_on(self.client.disconnect())
    }
    fn abort(&self) -> Result<(), Error> {
        self.runtime.block_on(self.client.abort())
    }
    fn disconnect_with(&self, farewell: Farewell) -> Result<(), Error> {
        self.runtime.block_on(self.client.disconnect_with(farewell))
    }
    fn reconnect_now(&self) -> Result<(), Error> {
        self.runtime.block_on(self.client.reconnect_now())
    }
    fn pause(&self) -> Result<(), Error> {
        self.runtime.block_on(self.client.pause())
    }
    fn resume(&self) -> Result<(), Error> {
        self.runtime.block_on(self.client.resume())
    }
}

impl Adapter for Tokio {
    type Connection = TokioConnection;
    const NAME: &'static str = "tokio";
    fn connect(options: Options) -> Result<TokioConnection, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let (client, messages, events) = runtime.block_on(mqtt_tokio::connect(options))?;
        Ok(TokioConnection {
            runtime,
            client,
            messages: Mutex::new(messages),
            events: Mutex::new(events),
        })
    }
}

/// Bounds a wait of an executor-agnostic future.
async fn within<T>(timeout: Duration, future: impl Future<Output = Option<T>>) -> Option<T> {
    use futures_lite::future::FutureExt as _;
    future
        .or(async {
            async_io::Timer::after(timeout).await;
            None
        })
        .await
}

/// `mqtt-async-std` under one executor's `block_on`.
macro_rules! futures_io_adapter {
    ($(#[$doc:meta])* $adapter:ident, $connection:ident, $name:literal, $block_on:path) => {
        $(#[$doc])*
        pub struct $adapter;

        #[doc = concat!("A connection of [`", stringify!($adapter), "`].")]
        pub struct $connection {
            client: mqtt_async_std::Client,
            messages: Mutex<mqtt_async_std::Messages>,
            events: Mutex<mqtt_async_std::Events>,
        }

        impl Connection for $connection {
            fn publish(
                &self,
                topic: &str,
                qos: QoS,
                retain: bool,
                payload: &[u8],
            ) -> Result<(), Error> {
                $block_on(self.client.publish(topic, qos, retain, payload.to_vec())).map(|_| ())
            }
            fn send(&self, message: Message) -> Result<(), Error> {
                $block_on(self.client.send(message))
            }
            fn flush(&self) -> Result<(), Error> {
                $block_on(self.client.flush())
            }
            fn subscribe(&self, filter: &str, qos: QoS) -> Result<QoS, Error> {
                $block_on(self.client.subscribe(filter, qos))
            }
            fn next_numbered_message(&self, timeout: Duration) -> Option<Numbered<Publish>> {
                let mut messages = self.messages.lock().unwrap();
                $block_on(within(timeout, messages.recv()))
            }
            fn next_numbered_event(&self, timeout: Duration) -> Option<Numbered<ConnectionEvent>> {
                let mut events = self.events.lock().unwrap();
                $block_on(within(timeout, events.recv()))
            }
            fn stats(&self) -> Stats {
                self.client.stats()
            }
            fn request(
                &self,
                topic: &str,
                payload: &[u8],
                timeout: Duration,
            ) -> Result<Numbered<Publish>, Error> {
                $block_on(self.client.request(topic, payload.to_vec(), timeout))
            }
            fn respond(&self, request: &Publish, payload: &[u8]) -> Result<(), Error> {
                $block_on(self.client.respond(request, payload.to_vec())).map(|_| ())
            }
            fn disconnect(&self) -> Result<(), Error> {
                $block_on(self.client.disconnect())
            }
            fn abort(&self) -> Result<(), Error> {
                $block_on(self.client.abort())
            }
            fn disconnect_with(&self, farewell: Farewell) -> Result<(), Error> {
                $block_on(self.client.disconnect_with(farewell))
            }
            fn reconnect_now(&self) -> Result<(), Error> {
                $block_on(self.client.reconnect_now())
            }
            fn pause(&self) -> Result<(), Error> {
                $block_on(self.client.pause())
            }
            fn resume(&self) -> Result<(), Error> {
                $block_on(self.client.resume())
            }
        }

        impl Adapter for $adapter {
            type Connection = $connection;
            const NAME: &'static str = $name;
            fn connect(options: Options) -> Result<$connection, Error> {
                let (client, messages, events) = $block_on(mqtt_async_std::connect(options))?;
                Ok($connection {
                    client,
                    messages: Mutex::new(messages),
                    events: Mutex::new(events),
                })
            }
        }
    };
}

futures_io_adapter!(
    /// `mqtt-async-std`, each call on `async_std::task::block_on`.
    AsyncStd,
    AsyncStdConnection,
    "async-std",
    async_std::task::block_on
);
futures_io_adapter!(
    /// `mqtt-async-std`, each call on `smol::block_on`.
    Smol,
    SmolConnection,
    "smol",
    smol::block_on
);

/// `mqtt-blocking`.
pub struct Blocking;

/// A connection of [`Blocking`].
pub struct BlockingConnection {
    client: mqtt_blocking::Client,
    /// A receiver is not shared between threads.
    messages: Mutex<mqtt_blocking::Messages>,
    events: mqtt_blocking::Events,
}

impl Connection for BlockingConnection {
    fn publish(&self, topic: &str, qos: QoS, retain: bool, payload: &[u8]) -> Result<(), Error> {
        self.client
            .publish(topic, qos, retain, payload.to_vec())
            .map(|_| ())
    }
    fn send(&self, message: Message) -> Result<(), Error> {
        self.client.send(message)
    }
    fn flush(&self) -> Result<(), Error> {
        self.client.flush()
    }
    fn subscribe(&self, filter: &str, qos: QoS) -> Result<QoS, Error> {
        self.client.subscribe(filter, qos)
    }
    fn next_numbered_message(&self, timeout: Duration) -> Option<Numbered<Publish>> {
        self.messages.lock().unwrap().recv_timeout(timeout)
    }
    fn next_numbered_event(&self, timeout: Duration) -> Option<Numbered<ConnectionEvent>> {
        self.events.recv_timeout(timeout)
    }
    fn stats(&self) -> Stats {
        self.client.stats()
    }
    fn request(
        &self,
        topic: &str,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<Numbered<Publish>, Error> {
        self.client.request(topic, payload.to_vec(), timeout)
    }
    fn respond(&self, request: &Publish, payload: &[u8]) -> Result<(), Error> {
        self.client.respond(request, payload.to_vec()).map(|_| ())
    }
    fn disconnect(&self) -> Result<(), Error> {
        self.client.disconnect()
    }
    fn abort(&self) -> Result<(), Error> {
        self.client.abort()
    }
    fn disconnect_with(&self, farewell: Farewell) -> Result<(), Error> {
        self.client.disconnect_with(farewell)
    }
    fn reconnect_now(&self) -> Result<(), Error> {
        self.client.reconnect_now()
    }
    fn pause(&self) -> Result<(), Error> {
        self.client.pause()
    }
    fn resume(&self) -> Result<(), Error> {
        self.client.resume()
    }
}

impl Adapter for Blocking {
    type Connection = BlockingConnection;
    const NAME: &'static str = "blocking";
    fn connect(options: Options) -> Result<BlockingConnection, Error> {
        let (client, messages, events) = mqtt_blocking::connect(options)?;
        Ok(BlockingConnection {
            client,
            messages: Mutex::new(messages),
            events,
        })
    }
}
