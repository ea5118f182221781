//! The one driver of every MQTT adapter of this workspace, whatever its runtime.
//!
//! The connection task (transport, TLS, the session's loop, reconnecting with backoff) and the
//! handles ([`Client`], [`Messages`], [`Events`]) are written once, here, generic over a small
//! [`Runtime`] trait: a clock, a timer, a TCP connection, a way to spawn. `mqtt-tokio` and
//! `mqtt-async-std` are bindings of that trait; `mqtt-blocking` runs its own thread-based loop on
//! the same [`session`] dispatch. Around them: the broker address and [`Options`], [`TlsOptions`] (rustls: system roots or a CA file, client
//! certificates, SNI, ALPN), the [`CredentialsHook`] refreshing credentials before each
//! attempt, the [`Jitter`] source of the reconnect delays (seedable, so that a run repeats), the
//! [`event_queue`] of connection events (bounded, never blocking the driver, counting what a
//! lagging application missed), the [`Stats`] every handle reads at any moment, the [`trace`]
//! spans and events (feature `tracing`, on by default), and the [`Error`] type whose messages
//! say what to fix.
//!
//! ```text
//!   Client::publish / subscribe ──► commands ──┐
//!                                              ▼
//!   Runtime::connect ⇄ connection task (Session: mqtt_sansio::Supervisor, one Runtime::Timer)
//!                                              │
//!   Messages::recv ◄── bounded channel ◄───────┤
//!   Events::recv   ◄── connection events ◄─────┘
//! ```
//!
//! `mqtt-tokio`, `mqtt-async-std` and `mqtt-blocking` re-export what applications need;
//! applications use it from there.
//!
//! ```
//! use mqtt_driver::Options;
//!
//! let options = Options::new("mqtts://broker.example", "sensor-7").unwrap();
//! assert_eq!(options.brokers()[0].port(), Some(8883));
//! assert!(options.brokers()[0].is_tls());
//! ```

#![forbid(unsafe_code)]

mod address;
mod attempts;
mod authenticator;
mod client;
mod credentials;
mod driver;
mod error;
mod events;
mod jitter;
mod numbered;
mod open;
mod options;
mod proxy;
mod read_buffer;
pub mod record;
mod requests;
mod runtime;
pub mod session;
mod stats;
pub mod store;
mod tls;
pub mod trace;
mod websocket;

pub use address::{Address, AddressError};
pub use attempts::Attempts;
pub use authenticator::AuthenticatorFactory;
pub use client::{Client, Events, Messages, connect, granted, response};
pub use credentials::{Credentials, CredentialsHook};
pub use error::Error;
pub use events::{EventQueue, EventSink, event_queue};
pub use jitter::Jitter;
pub use numbered::Numbered;
pub use options::{Options, StoreOptions};
pub use proxy::{Proxy, ProxyError, ProxyKind, ProxySetting, Tunnel};
pub use runtime::{FuturesIo, MAX_WRITE, Runtime, Timer, Transport, acknowledge_now, limit_unsent};
pub use stats::{Stats, StatsCell, TaskFigures};
pub use tls::{Password, Roots, TlsOptions};
#[cfg(feature = "websocket")]
pub use websocket::WsCodec;
pub use websocket::{WebSocketError, WebSocketOptions};
