//! One scenario suite for every adapter of the workspace, against real Mosquitto brokers.
//!
//! An adapter's test file implements [`Adapter`] (connecting, and a [`Connection`] driven
//! synchronously: an async adapter blocks on its runtime) and expands [`scenarios!`](macro@scenarios), which
//! makes one `#[test]` per scenario. The scenarios: QoS 0/1/2 round trips in 3.1.1 and 5.0, a
//! persistent session collecting messages offline, a broker killed and restarted mid-stream
//! with every QoS 1 publish acknowledged, keepalive detecting a broker frozen with SIGSTOP, TLS
//! (success and an untrusted server), a slow consumer, and a will on abort.
//!
//! Not published: test support only.

#![allow(
    missing_docs,
    clippy::missing_panics_doc,
    clippy::missing_errors_doc,
    clippy::must_use_candidate,
    reason = "test support: every failure is a panic, every item a test helper"
)]

pub mod adapters;
mod captured;
pub mod chaos;
pub mod crash;
mod mosquitto;
mod proxies;
pub mod rumqttd;
pub mod scenarios;
mod scripted;
pub mod tls_front;

use std::time::Duration;

pub use captured::Captured;
pub use mosquitto::{Mosquitto, Pki};
use mqtt_driver::{Error, Numbered, Options, Stats};
use mqtt_proto::{Publish, QoS};
use mqtt_sansio::{ConnectionEvent, Message};
pub use proxies::{Kind as ProxyKind, ProxyServer};
pub use scripted::{AfterConnack, Scripted};

/// A connected client of the adapter under test.
pub trait Connection: Send + Sync {
    /// Publishes and waits for the acknowledgement (QoS 0: the write).
    fn publish(&self, topic: &str, qos: QoS, retain: bool, payload: &[u8]) -> Result<(), Error>;
    /// Queues a message without waiting for its acknowledgement (the adapter's `send`).
    fn send(&self, message: Message) -> Result<(), Error>;
    /// Waits until every message given to `send` is done; the first failure among them.
    fn flush(&self) -> Result<(), Error>;
    /// Subscribes; the granted QoS.
    fn subscribe(&self, filter: &str, qos: QoS) -> Result<QoS, Error>;
    /// The next received message within `timeout`, with the number of its connection.
    fn next_numbered_message(&self, timeout: Duration) -> Option<Numbered<Publish>>;
    /// The next connection event within `timeout`, with the number of its connection.
    fn next_numbered_event(&self, timeout: Duration) -> Option<Numbered<ConnectionEvent>>;
    /// The next received message within `timeout`.
    fn next_message(&self, timeout: Duration) -> Option<Publish> {
        self.next_numbered_message(timeout)
            .map(Numbered::into_inner)
    }
    /// The next connection event within `timeout`.
    fn next_event(&self, timeout: Duration) -> Option<ConnectionEvent> {
        self.next_numbered_event(timeout).map(Numbered::into_inner)
    }
    /// The client's figures.
    fn stats(&self) -> Stats;
    /// Sends a request (QoS 1) and waits for its response (MQTT 5.0).
    fn request(
        &self,
        topic: &str,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<Numbered<Publish>, Error>;
    /// Answers a request.
    fn respond(&self, request: &Publish, payload: &[u8]) -> Result<(), Error>;
    /// Disconnects cleanly (draining) and stops.
    fn disconnect(&self) -> Result<(), Error>;
    /// Closes without DISCONNECT and stops.
    fn abort(&self) -> Result<(), Error>;
    /// `disconnect_with`.
    fn disconnect_with(&self, farewell: mqtt_driver::session::Farewell) -> Result<(), Error>;
    /// `reconnect_now`.
    fn reconnect_now(&self) -> Result<(), Error>;
    /// `pause`.
    fn pause(&self) -> Result<(), Error>;
    /// `resume`.
    fn resume(&self) -> Result<(), Error>;
}

/// An adapter under test.
pub trait Adapter {
    type Connection: Connection + 'static;
    /// Its name in reports.
    const NAME: &'static str;
    /// Connects; returns once the broker accepted the first connection.
    fn connect(options: Options) -> Result<Self::Connection, Error>;
}

/// One `#[test]` per scenario of [`scenarios`](mod@scenarios) for the adapter type given.
#[macro_export]
macro_rules! scenarios {
    ($adapter:ty) => {
        $crate::scenarios!($adapter:
            qos_round_trips,
            persistent_session_collects_offline_messages,
            broker_restart_loses_no_qos1_message,
            keepalive_detects_a_frozen_broker,
            tls_round_trip_and_untrusted_server,
            slow_consumer_loses_nothing,
            a_full_stream_refills_as_it_is_taken,
            will_on_abort,
            accepted_then_dropped_backs_off,
            session_taken_over_follows_the_policy,
            session_takeover_is_not_a_loop,
            stalled_event_consumer_learns_what_it_missed,
            qos2_in_doubt_is_sent_again_after_a_session_loss,
            reconnect_now_skips_the_backoff,
            pause_holds_messages_until_resume,
            connack_properties_and_disconnect_with_will,
            figures_and_connection_numbers,
            automatic_topic_aliases_reach_the_broker,
            requests_get_their_responses,
            a_request_nobody_answers_times_out,
            a_restarted_client_resumes_from_its_store,
            unix_socket_round_trips,
            proxies_carry_tcp_and_tls,
            proxies_that_refuse_are_typed_errors,
            a_dropped_tunnel_reconnects_through_the_proxy,
            websocket_round_trips_and_reconnects,
            failover_loses_no_accepted_message,
            a_redirection_to_mosquitto_is_followed,
            version_fallback_reaches_3_1_1_brokers,
            shared_subscribers_split_the_work,
            tls_files_are_read_at_each_connection,
        );
    };
    ($adapter:ty: $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                $crate::scenarios::$name::<$adapter>();
            }
        )*
    };
}
