//! An MQTT 3.1.1 and 5.0 client for async-std and smol, on `futures-io` and the async-io
//! family: it does not hinge on async-std (discontinued upstream) and runs under any executor.
//!
//! A thin driver around the [`mqtt_sansio`] state machine and its `Supervisor`: the connection
//! task owns the socket (async-net; TLS with futures-rustls) and runs on a thread of its own
//! under `async_io::block_on`, so no executor has to be chosen for it; the cloneable [`Client`]
//! and the bounded [`Messages`] and [`Events`] streams talk to it over async-channel, which any
//! executor awaits. The API is the one of `mqtt-tokio`.
//!
//! ```no_run
//! # async fn run() -> Result<(), mqtt_async_std::Error> {
//! use mqtt_async_std::{Options, connect};
//! use mqtt_proto::QoS;
//!
//! let (client, mut messages, _events) = connect(Options::new("mqtt://localhost", "demo")?).await?;
//! client.subscribe("greetings/#", QoS::AtLeastOnce).await?;
//! client.publish("greetings/world", QoS::AtLeastOnce, false, "hello").await?;
//! if let Some(message) = messages.recv().await {
//!     println!("{}: {:?}", message.topic(), message.payload());
//! }
//! client.disconnect().await?;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod client;
mod driver;

use std::sync::Arc;

pub use client::{Client, Events, Messages};
pub use mqtt_options::{
    AuthenticatorFactory, Credentials, CredentialsHook, Error, Jitter, Options, Roots, TlsOptions,
};
pub use mqtt_sansio::{AuthFailed, Authenticator, ConnectionEvent, Message, Published, Takeover};

/// Connects to the broker and starts the connection task (on a thread of its own).
///
/// Resolves once the broker accepted the first connection, with the handle and the two streams.
///
/// Cancel safety: dropping the future before it completes stops the task.
///
/// # Errors
/// [`Error::Certificate`] for a missing or unusable certificate file; then the first
/// connection's failure: [`Error::Io`], [`Error::Tls`], [`Error::ConnectTimeout`],
/// [`Error::Refused`] with the broker's reason code, [`Error::Disconnected`].
pub async fn connect(options: Options) -> Result<(Client, Messages, Events), Error> {
    let (command_tx, command_rx) = async_channel::bounded(options.command_capacity.max(1));
    let (control_tx, control_rx) = async_channel::bounded(4);
    let (message_tx, message_rx) = async_channel::bounded(options.message_capacity.max(1));
    let (event_tx, event_rx) = mqtt_options::event_queue(options.event_capacity);
    let (first_tx, first_rx) = async_channel::bounded(1);
    let taken = Arc::new(event_listener::Event::new());
    let disconnect_timeout = options.disconnect_timeout;
    let tls = match &options.tls {
        Some(tls) => Some(tls.client_config(options.host())?),
        None => None,
    };
    let driver = driver::Driver::new(
        options,
        tls,
        command_rx,
        control_rx,
        message_tx,
        taken.clone(),
        event_tx,
        first_tx,
    );
    std::thread::Builder::new()
        .name("mqtt-connection".into())
        .spawn(move || async_io::block_on(driver.run()))?;
    first_rx.recv().await.map_err(|_| Error::Closed)??;
    Ok((
        Client {
            commands: command_tx,
            control: control_tx,
            disconnect_timeout,
        },
        Messages {
            rx: message_rx,
            taken,
        },
        Events(event_rx),
    ))
}
