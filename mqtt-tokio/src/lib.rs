//! An MQTT 3.1.1 and 5.0 client for tokio.
//!
//! The binding of [`mqtt_driver`]'s one driver to tokio ([`Tokio`], its [`Runtime`]): one task
//! owns the socket and the session (an [`mqtt_sansio::Supervisor`]), a cloneable [`Client`]
//! sends it commands, received messages come out of a bounded [`Messages`] stream (a slow consumer makes the client stop reading the socket, so TCP slows
//! the broker down, without a false keepalive timeout), and connection changes come out of
//! [`Events`]. Reconnecting with exponential backoff and jitter is on by default; a refusal that
//! retrying cannot cure (bad credentials, not authorised, …) stops it.
//!
//! ```text
//!   Client::publish / subscribe ──► commands ──┐
//!                                              ▼
//!        TcpStream ⇄ connection task (mqtt_driver, on tokio::spawn)
//!                                              │
//!   Messages::recv ◄── bounded channel ◄───────┤
//!   Events::recv   ◄── connection events ◄─────┘
//! ```
//!
//! Addresses ([`Address`]): `mqtt://` and `tcp://` (port 1883), `mqtts://` and `tls://` (port
//! 8883, rustls: system roots by default or a CA file, client certificates, encrypted keys with
//! the feature `encrypted-keys`, SNI, ALPN; verification always on), `ws://` and `wss://`
//! (feature `websocket`), `unix:///path`; through an HTTP or SOCKS5 proxy ([`ProxySetting`]);
//! several brokers for failover ([`Options::with_brokers`]). A [`CredentialsHook`] refreshes the user name and password before every attempt; an
//! [`AuthenticatorFactory`] answers MQTT 5.0 enhanced authentication.
//!
//! Reconnecting never storms: the backoff ([`Policy::backoff`](mqtt_sansio::Policy::backoff), with a floor and a
//! [`Jitter`] that can be seeded) starts afresh only once a connection stayed up for
//! [`Policy::stable_after`](mqtt_sansio::Policy::stable_after), a broker that says it is busy gets the throttled backoff, and a
//! session taken over by another client follows [`Policy::takeover`](mqtt_sansio::Policy::takeover). [`Events`] never blocks
//! the connection task and never drops an event without a [`ConnectionEvent::Lagged`] count.
//!
//! ```no_run
//! # async fn run() -> Result<(), mqtt_tokio::Error> {
//! use mqtt_proto::QoS;
//! use mqtt_tokio::{Options, connect};
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

/// The examples of the crate's README and of the workspace README, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
#[doc = include_str!("../../README.md")]
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
pub use runtime::{Tokio, TokioStream, TokioTcp};

/// Connects to the broker and starts the connection task on the current tokio runtime.
///
/// Resolves once the broker accepted the first connection, with the handle and the two streams;
/// the task then keeps the connection up (reconnecting when it ends, if
/// [`Policy::reconnect`](mqtt_sansio::Policy::reconnect)) until [`Client::disconnect`] or every handle is dropped.
///
/// Cancel safety: dropping the future before it completes stops the task.
///
/// # Errors
/// [`Error::Certificate`] for a missing or unusable certificate file; then the first
/// connection's failure: [`Error::Io`] (refused, unreachable), [`Error::Tls`] (a failed handshake:
/// an untrusted certificate, a name mismatch), [`Error::ConnectTimeout`],
/// [`Error::Refused`] with the broker's reason code, [`Error::Disconnected`].
///
/// # Panics
/// Outside a tokio runtime, as `tokio::spawn` does.
pub async fn connect(options: Options) -> Result<(Client, Messages, Events), Error> {
    mqtt_driver::connect(Tokio, options).await
}
