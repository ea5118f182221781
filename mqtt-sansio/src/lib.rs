//! The MQTT client session as a pure state machine.
//!
//! `mqtt-sansio` holds what a client knows about its connection and its session, and nothing
//! else: no sockets, no clock, no randomness, no threads. The driver (an adapter crate, or your
//! own event loop) passes bytes and timestamps in and takes bytes, events and deadlines out, so
//! every scenario is a plain deterministic test.
//!
//! ```text
//!             bytes in ──►┌───────────────┐──► bytes out (poll_transmit)
//!    now: Instant ───────►│  mqtt-sansio  │──► events    (poll_event)
//!  commands (publish…) ──►│   Client      │──► deadline  (poll_timeout)
//!                         └───────────────┘
//! ```
//!
//! - [`Client`]: the connection and the session. Its documentation gives the drain order and a
//!   whole exchange against the fake broker of `mqtt-test`.
//! - [`Config`], [`Message`], [`Event`], [`ClientError`]: what goes in and comes out.
//! - [`Instant`]: the driver's monotonic timestamp; the crate never reads a clock.
//! - The reconnect policy, which adapters apply: [`Backoff`] with full jitter drawn by the
//!   driver, and [`Retry`], which classifies the reason code that refused or ended a connection
//!   as fatal, throttling or transient.
//!
//! What it is not: a driver. It opens no socket and sleeps on no timer; the adapter crates (or
//! your own loop) do, and stay thin because everything else is here.
//!
//! # Example: a reconnect loop's decisions
//!
//! ```
//! use core::time::Duration;
//! use mqtt_proto::ReasonCode;
//! use mqtt_sansio::{Backoff, Retry};
//!
//! let backoff = Backoff::default();
//! let jitter_from_driver = u32::MAX / 2;
//! let wait = match Retry::after_connack(ReasonCode::SERVER_BUSY) {
//!     Retry::Fatal => None,
//!     Retry::Throttle => Some(backoff.throttled_delay(2, jitter_from_driver)),
//!     Retry::Transient | _ => Some(backoff.delay(2, jitter_from_driver)),
//! };
//! assert!(wait.is_some_and(|d| d >= Duration::from_millis(40) && d <= Duration::from_millis(80)));
//! ```

#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

extern crate alloc;

mod auth;
mod backoff;
mod chunks;
mod client;
mod config;
mod error;
mod event;
mod id_map;
mod ids;
mod supervisor;
mod time;

pub use auth::{AuthFailed, Authenticator};
pub use backoff::{Backoff, Retry};
pub use chunks::Chunks;
pub use client::{Client, Message, Timer};
pub use config::Config;
pub use error::ClientError;
pub use event::{Connected, DisconnectReason, Event, ServerLimits, SessionReset};
pub use supervisor::{
    ConnectionEvent, Done, End, Failure, Next, Output, Policy, Published, Supervisor,
};
pub use time::Instant;
