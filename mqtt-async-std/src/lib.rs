//! An MQTT 3.1.1 and 5.0 client for async-std and smol, on `futures-io` and the async-io
//! family: it does not hinge on async-std (discontinued upstream) and runs under any executor.
//!
//! The binding of [`mqtt_driver`]'s one driver to the async-io family ([`AsyncIo`], its
//! [`Runtime`]): the connection task owns the socket (async-net; TLS with futures-rustls) and
//! runs on a thread of its own under `async_io::block_on`, so no executor has to be chosen for
//! it; the cloneable [`Client`] and the bounded [`Messages`] and [`Events`] streams talk to it
//! over tokio's runtime-agnostic `sync::mpsc` channels (no tokio runtime involved), which any
//! executor awaits. The API is the one of `mqtt-tokio`: the same types.
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

mod runtime;

pub use mqtt_driver::session::Farewell;
pub use mqtt_driver::{
    Address, AddressError, AuthenticatorFactory, Client, Credentials, CredentialsHook, Error,
    Events, Jitter, Messages, Numbered, Options, Proxy, ProxyError, ProxyKind, ProxySetting, Roots,
    Runtime, Stats, StoreOptions, TlsOptions, WebSocketError, WebSocketOptions,
};
pub use mqtt_driver::{record, store, trace};
pub use mqtt_sansio::{
    Acked, AuthFailed, Authenticator, Backoff, ConnectionEvent, Message, Policy, Published,
    Redirect, Takeover,
};
pub use runtime::{AsyncIo, AsyncIoTimer};

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
    mqtt_driver::connect(AsyncIo, options).await
}
