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
//! - The reconnect policy, which adapters apply: [`Reconnect`] decides whether and when to
//!   connect again under a [`Policy`], with a [`Backoff`] whose jitter the driver draws and
//!   [`Retry`], which classifies the reason code that refused or ended a connection as fatal,
//!   throttling, a session taken over, or transient. The backoff comes down only as
//!   connections stay up ([`Policy::stable_after`]), never on CONNACK alone.
//! - [`Supervisor`]: the session with the bookkeeping every driver needs around it, in the
//!   session's own vocabulary (inputs `handle_*` with `now`, outputs `poll_*`). It is a layer of
//!   its own rather than a mode of [`Client`]: a loop that needs neither tags nor the reconnect
//!   decision (a microcontroller with one publish at a time) keeps the smaller `Client`, and the
//!   two hand-written loops of the examples read the same way, `custom_loop.rs` on the
//!   `Client`, `supervised_loop.rs` on the `Supervisor`.
//!
//! Nothing is dropped without a word: a command the session accepted and cannot carry out any
//! more (the limits of a new connection, a QoS 0 message whose connection ended first) ends with
//! [`Event::Failed`]; what was in flight when the server lost the session goes again as new
//! messages ([`Event::SessionReset`]); a QoS 2 message a forgetful server sends again after it
//! was completed is held back by the duplicate guard ([`Config::duplicate_guard`]).
//!
//! What it is not: a driver. It opens no socket and sleeps on no timer; the adapter crates (or
//! your own loop) do, and stay thin because everything else is here.
//!
//! # Example: a reconnect loop's decisions
//!
//! ```
//! use core::time::Duration;
//! use mqtt_proto::{ConnAck, ReasonCode};
//! use mqtt_sansio::{DisconnectReason, End, Instant, Next, Policy, Reconnect};
//!
//! let mut reconnect = Reconnect::new(&Policy::default());
//! let jitter_from_driver = u32::MAX / 2;
//! let busy = End::Reason(DisconnectReason::Refused(ConnAck::new(false, ReasonCode::SERVER_BUSY)));
//! let wait = reconnect.next(Instant::ZERO, &busy, false, false, jitter_from_driver);
//! // Throttled: between 400 and 800 ms for the first retry.
//! assert!(matches!(wait, Next::Retry(d) if d >= Duration::from_millis(400) && d <= Duration::from_millis(800)));
//! let bad = End::Reason(DisconnectReason::Refused(ConnAck::new(false, ReasonCode::NOT_AUTHORIZED)));
//! assert_eq!(reconnect.next(Instant::ZERO, &bad, false, false, jitter_from_driver), Next::Stop);
//! ```

#![no_std]
#![forbid(unsafe_code)]
// Bytes from the peer must never reach a panic: no indexing that can fail, no unwrap.
#![warn(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#![cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

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
mod journal;
mod reconnect;
mod stats;
pub mod store;
mod supervisor;
mod time;

pub use auth::{AuthFailed, Authenticator};
pub use backoff::{Backoff, Retry};
pub use chunks::Chunks;
pub use client::{Client, Message, Timer};
pub use config::{Config, InDoubt, WhenFull};
pub use error::ClientError;
pub use event::{
    CommandId, Connected, DisconnectReason, Event, Renumbered, ServerLimits, SessionReset,
};
pub use journal::{Divergence, Entry, Replayed, redacted, replay};
pub use reconnect::{End, Next, Policy, Reconnect, Redirect, Takeover};
pub use stats::{PacketInfo, RoundTrip, Stats, Traffic};
pub use store::{
    Durable, MessageError, RestoreError, Stored, StoredMessage, decode_message, encode_message,
};
pub use supervisor::{Acked, ConnectionEvent, Done, Failure, Output, Published, Supervisor};
pub use time::Instant;
