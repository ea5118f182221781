//! Test support: Mosquitto brokers (from `mqtt-suite`), the scripted broker on a port, a proxy.
#![allow(dead_code, unreachable_pub, missing_docs, unused_imports)]

pub mod fake;
pub mod proxy;

use std::time::Duration;

pub use mqtt_suite::{Mosquitto, Pki};

/// Bounds every network wait of a test.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(15), future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}
