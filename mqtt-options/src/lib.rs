//! What every MQTT adapter of this workspace needs to reach a broker, whatever its runtime: the
//! broker address and [`Options`], [`TlsOptions`] (rustls: system roots or a CA file, client
//! certificates, SNI, ALPN), the [`CredentialsHook`] refreshing credentials before each
//! attempt, and the [`Error`] type whose messages say what to fix.
//!
//! `mqtt-tokio`, `mqtt-async-std` and `mqtt-blocking` re-export these; applications use them
//! from there.
//!
//! ```
//! use mqtt_options::Options;
//!
//! let options = Options::new("mqtts://broker.example", "sensor-7").unwrap();
//! assert_eq!(options.port(), 8883);
//! assert!(options.tls.is_some());
//! ```

#![forbid(unsafe_code)]

mod credentials;
mod error;
mod options;
mod tls;

pub use credentials::{Credentials, CredentialsHook};
pub use error::Error;
pub use options::Options;
pub use tls::{Roots, TlsOptions};
