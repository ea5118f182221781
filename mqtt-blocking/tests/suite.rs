//! The shared scenario suite (`mqtt-suite`) against Mosquitto, for the blocking client.

use std::time::Duration;

use mqtt_blocking::{Client, ConnectionEvent, Error, Events, Message, Messages, Options, connect};
use mqtt_proto::{Publish, QoS};
use mqtt_suite::{Adapter, Connection};

struct Blocking;

struct Connected {
    client: Client,
    messages: Messages,
    events: Events,
}

impl Connection for Connected {
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
    fn next_message(&self, timeout: Duration) -> Option<Publish> {
        self.messages.recv_timeout(timeout)
    }
    fn next_event(&self, timeout: Duration) -> Option<ConnectionEvent> {
        self.events.recv_timeout(timeout)
    }
    fn disconnect(&self) -> Result<(), Error> {
        self.client.disconnect()
    }
    fn abort(&self) -> Result<(), Error> {
        self.client.abort()
    }
}

impl Adapter for Blocking {
    type Connection = Connected;
    fn connect(options: Options) -> Result<Connected, Error> {
        let (client, messages, events) = connect(options)?;
        Ok(Connected {
            client,
            messages,
            events,
        })
    }
}

mqtt_suite::scenarios!(Blocking);
