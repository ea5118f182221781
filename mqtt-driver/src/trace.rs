//! What the drivers report through `tracing` (the `tracing` feature, on by default): a span per
//! connection attempt, an event for each change of the connection, each reconnect decision and
//! each refused or failed command, and every packet at `trace` level. A packet is its type, its
//! identifier and its size: never a payload, never a password.
//!
//! | target | level | what |
//! |---|---|---|
//! | `mqtt_driver` | `info` | span `attempt` (broker, attempt, version); connected, disconnected by the client, reconnect decisions (why, and the delay), stopped |
//! | `mqtt_driver` | `warn` | a connection lost or refused, a refused command, a lost session, an unreachable broker, a taken-over session, no more attempts |
//! | `mqtt_driver` | `debug` | failed commands, re-subscriptions, held-back duplicates, AUTH, lagging event readers, late responses |
//! | `mqtt_driver::packet` | `trace` | each packet in and out: `dir`, `packet`, `id`, `size` |
//!
//! Without the feature every function here is empty and the crate does not depend on
//! `tracing`.

use core::fmt;
use core::time::Duration;

use mqtt_proto::ProtocolVersion;
use mqtt_sansio::{ConnectionEvent, Done, End, PacketInfo};

use crate::Error;

/// The target of the packet events.
#[cfg(feature = "tracing")]
pub(crate) const PACKETS: &str = "mqtt_driver::packet";

/// The span of one connection attempt: the events of the attempt, its packets included, happen
/// inside it. A driver enters it for as long as the attempt lasts
/// ([`Session::attempt`](crate::session::Session::attempt) makes it).
#[derive(Clone, Debug)]
pub struct AttemptSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl AttemptSpan {
    /// The broker is written out only when a subscriber records the span.
    pub(crate) fn new(broker: &dyn fmt::Display, attempt: u64, version: ProtocolVersion) -> Self {
        #[cfg(feature = "tracing")]
        {
            let version = match version {
                ProtocolVersion::V3_1 => "3.1",
                ProtocolVersion::V3_1_1 => "3.1.1",
                ProtocolVersion::V5 => "5.0",
            };
            Self {
                span: tracing::info_span!(
                    target: "mqtt_driver",
                    "attempt",
                    broker = broker.to_string().as_str(),
                    attempt,
                    version
                ),
            }
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = (broker, attempt, version);
            Self {}
        }
    }

    /// Enters the span until the guard is dropped (a thread-based driver).
    #[must_use]
    pub fn enter(&self) -> Entered<'_> {
        Entered {
            #[cfg(feature = "tracing")]
            _entered: self.span.enter(),
            _span: core::marker::PhantomData,
        }
    }

    /// The `tracing` span, for an async driver to instrument its future with.
    #[cfg(feature = "tracing")]
    #[must_use]
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }
}

/// The guard of an entered [`AttemptSpan`].
#[derive(Debug)]
pub struct Entered<'a> {
    #[cfg(feature = "tracing")]
    _entered: tracing::span::Entered<'a>,
    _span: core::marker::PhantomData<&'a ()>,
}

/// Whether anyone listens to the packet events: the session keeps its packet log only then.
pub(crate) fn packets_wanted() -> bool {
    #[cfg(feature = "tracing")]
    {
        tracing::enabled!(target: PACKETS, tracing::Level::TRACE)
    }
    #[cfg(not(feature = "tracing"))]
    {
        false
    }
}

/// A packet in or out.
pub(crate) fn packet(info: &PacketInfo) {
    #[cfg(feature = "tracing")]
    tracing::trace!(
        target: PACKETS,
        dir = if info.outgoing { "out" } else { "in" },
        packet = ?info.packet_type,
        id = info.packet_id.map(mqtt_proto::PacketId::get),
        size = info.size,
    );
    #[cfg(not(feature = "tracing"))]
    let _ = info;
}

/// An event of the connection `connection`, as the application gets it.
pub(crate) fn event(connection: u64, event: &ConnectionEvent) {
    #[cfg(feature = "tracing")]
    match event {
        ConnectionEvent::Connected {
            session_present,
            limits,
            broker,
            ..
        } => tracing::info!(
            target: "mqtt_driver",
            connection,
            broker,
            session_present,
            keep_alive = limits.keep_alive,
            receive_maximum = limits.receive_maximum,
            "connected"
        ),
        ConnectionEvent::Disconnected(reason @ mqtt_sansio::DisconnectReason::ByClient) => {
            tracing::info!(target: "mqtt_driver", connection, ?reason, "disconnected");
        }
        ConnectionEvent::Disconnected(reason) => {
            tracing::warn!(target: "mqtt_driver", connection, ?reason, "disconnected");
        }
        ConnectionEvent::SessionReset(reset) => tracing::warn!(
            target: "mqtt_driver",
            connection,
            requeued = reset.requeued.len(),
            "the broker had no session: messages in flight go again as new"
        ),
        ConnectionEvent::Resubscribed(results) => {
            tracing::debug!(target: "mqtt_driver", connection, ?results, "subscribed again");
        }
        ConnectionEvent::DuplicateSuppressed { packet_id } => tracing::debug!(
            target: "mqtt_driver",
            connection,
            packet_id = packet_id.get(),
            "a completed QoS 2 message came again: acknowledged, not delivered"
        ),
        ConnectionEvent::SessionTakenOver => tracing::warn!(
            target: "mqtt_driver",
            connection,
            "another connection took the session over"
        ),
        // The decision before it said why, at `info`.
        ConnectionEvent::Reconnecting {
            attempt,
            delay,
            broker,
        } => {
            tracing::debug!(target: "mqtt_driver", attempt, ?delay, broker, "reconnecting");
        }
        ConnectionEvent::Auth { reason_code, .. } => {
            tracing::debug!(target: "mqtt_driver", connection, ?reason_code, "AUTH");
        }
        ConnectionEvent::Stopped => tracing::info!(target: "mqtt_driver", "stopped"),
        ConnectionEvent::Lagged { missed } => {
            tracing::debug!(target: "mqtt_driver", missed, "the application lags behind");
        }
        other => tracing::debug!(target: "mqtt_driver", connection, event = ?other),
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (connection, event);
}

/// A command's outcome, when it is a refusal or a failure.
pub(crate) fn outcome(done: &Done) {
    #[cfg(feature = "tracing")]
    {
        use mqtt_sansio::Failure;
        let failure = match done {
            Done::Published(Err(f)) | Done::Codes(Err(f)) | Done::Unit(Err(f)) => f,
            Done::Published(Ok(_)) | Done::Codes(Ok(_)) | Done::Unit(Ok(())) => return,
        };
        match failure {
            Failure::Client(error) => {
                tracing::warn!(target: "mqtt_driver", %error, "command refused");
            }
            Failure::Failed(code) => {
                tracing::debug!(target: "mqtt_driver", ?code, "the broker refused a command");
            }
            Failure::Disconnected(reason) => tracing::debug!(
                target: "mqtt_driver",
                ?reason,
                "a QoS 0 message was not written before its connection ended"
            ),
            Failure::Closed => {
                tracing::debug!(target: "mqtt_driver", "command ended: client stopped");
            }
        }
    }
    #[cfg(not(feature = "tracing"))]
    let _ = done;
}

/// The decision after an attempt ended with `end`: a delay, or `None` for no more attempts.
pub(crate) fn decision(end: &End, delay: Option<Duration>) {
    #[cfg(feature = "tracing")]
    match (end, delay) {
        (End::Stop, _) => {}
        (_, Some(delay)) => tracing::info!(
            target: "mqtt_driver",
            ?end,
            retry = ?end.retry(),
            ?delay,
            "connecting again after the backoff"
        ),
        (_, None) => tracing::warn!(
            target: "mqtt_driver",
            ?end,
            retry = ?end.retry(),
            "not connecting again"
        ),
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (end, delay);
}

/// A response came after its request timed out (or to nobody's request): dropped.
pub(crate) fn late_response(message: &mqtt_proto::Publish) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "mqtt_driver",
        topic = message.topic(),
        "a response nobody waits for any more: dropped"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = message;
}

/// The recording could not be written: it ends there, the session goes on.
pub(crate) fn recording_failed(path: &std::path::Path, error: &std::io::Error) {
    #[cfg(feature = "tracing")]
    tracing::warn!(target: "mqtt_driver", ?path, %error, "the recording stopped");
    #[cfg(not(feature = "tracing"))]
    let _ = (path, error);
}

/// The transport could not be opened.
pub(crate) fn unreachable(error: &Error) {
    #[cfg(feature = "tracing")]
    tracing::warn!(target: "mqtt_driver", %error, "could not reach the broker");
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}

/// The session store failed: the client stops.
pub(crate) fn store_failed(error: &crate::store::StoreError) {
    #[cfg(feature = "tracing")]
    tracing::error!(target: "mqtt_driver", %error, "the session store failed; stopping");
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}
