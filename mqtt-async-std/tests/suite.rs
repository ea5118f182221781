//! The shared scenario suite (`mqtt-suite`) against Mosquitto, for the async-std/smol client,
//! under both executors: each call blocks on `async_std::task::block_on` in one module and on
//! `smol::block_on` in the other.

macro_rules! adapter {
    ($module:ident, $block_on:path) => {
        mod $module {
            use std::sync::Mutex;
            use std::time::Duration;

            use futures_lite::future::FutureExt as _;
            use mqtt_async_std::{
                Client, ConnectionEvent, Error, Events, Messages, Options, connect,
            };
            use mqtt_proto::{Publish, QoS};
            use mqtt_sansio::Message;
            use mqtt_suite::{Adapter, Connection};

            struct Executor;

            struct Connected {
                client: Client,
                messages: Mutex<Messages>,
                events: Mutex<Events>,
            }

            async fn within<T>(
                timeout: Duration,
                future: impl Future<Output = Option<T>>,
            ) -> Option<T> {
                future
                    .or(async {
                        async_io::Timer::after(timeout).await;
                        None
                    })
                    .await
            }

            impl Connection for Connected {
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
                fn next_message(&self, timeout: Duration) -> Option<Publish> {
                    let mut messages = self.messages.lock().unwrap();
                    $block_on(within(timeout, messages.recv()))
                }
                fn next_event(&self, timeout: Duration) -> Option<ConnectionEvent> {
                    let mut events = self.events.lock().unwrap();
                    $block_on(within(timeout, events.recv()))
                }
                fn disconnect(&self) -> Result<(), Error> {
                    $block_on(self.client.disconnect())
                }
                fn abort(&self) -> Result<(), Error> {
                    $block_on(self.client.abort())
                }
            }

            impl Adapter for Executor {
                type Connection = Connected;
                fn connect(options: Options) -> Result<Connected, Error> {
                    let (client, messages, events) = $block_on(connect(options))?;
                    Ok(Connected {
                        client,
                        messages: Mutex::new(messages),
                        events: Mutex::new(events),
                    })
                }
            }

            mqtt_suite::scenarios!(Executor);
        }
    };
}

adapter!(on_async_std, async_std::task::block_on);
adapter!(on_smol, smol::block_on);
