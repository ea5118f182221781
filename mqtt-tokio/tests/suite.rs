//! The shared scenario suite (`mqtt-suite`) against Mosquitto, for the tokio client (each call
//! blocks on a runtime of its own).

use std::sync::Mutex;
use std::time::Duration;

use mqtt_proto::{Publish, QoS};
use mqtt_sansio::Message;
use mqtt_suite::{Adapter, Connection};
use mqtt_tokio::{Client, ConnectionEvent, Error, Events, Messages, Options, connect};
use tokio::runtime::Runtime;

struct Tokio;

struct Connected {
    runtime: Runtime,
    client: Client,
    messages: Mutex<Messages>,
    events: Mutex<Events>,
}

impl Connection for Connected {
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
    fn next_message(&self, timeout: Duration) -> Option<Publish> {
        let mut messages = self.messages.lock().unwrap();
        self.runtime
            .block_on(async { tokio::time::timeout(timeout, messages.recv()).await })
            .ok()
            .flatten()
    }
    fn next_event(&self, timeout: Duration) -> Option<ConnectionEvent> {
        let mut events = self.events.lock().unwrap();
        self.runtime
            .block_on(async { tokio::time::timeout(timeout, events.recv()).await })
            .ok()
            .flatten()
    }
    fn disconnect(&self) -> Result<(), Error> {
        self.runtime.block_on(self.client.disconnect())
    }
    fn abort(&self) -> Result<(), Error> {
        self.runtime.block_on(self.client.abort())
    }
}

impl Adapter for Tokio {
    type Connection = Connected;
    fn connect(options: Options) -> Result<Connected, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let (client, messages, events) = runtime.block_on(connect(options))?;
        Ok(Connected {
            runtime,
            client,
            messages: Mutex::new(messages),
            events: Mutex::new(events),
        })
    }
}

mqtt_suite::scenarios!(Tokio);
