//! How to reach the broker and what to send it.

use core::time::Duration;

#[cfg(doc)]
use mqtt_sansio::{Backoff, Takeover};
use mqtt_sansio::{Config, Policy};

use crate::authenticator::AuthenticatorFactory;
use crate::credentials::CredentialsHook;
use crate::error::Error;
use crate::jitter::Jitter;
use crate::tls::TlsOptions;

/// Where and how to connect.
///
/// ```
/// use mqtt_driver::Options;
///
/// let options = Options::new("mqtt://broker.example:1884", "sensor-7").unwrap();
/// assert_eq!(options.host(), "broker.example");
/// assert_eq!(options.port(), 1884);
/// assert!(Options::new("ftp://x", "c").is_err());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    host: String,
    port: u16,
    /// The session: client identifier, version, keep alive, will, credentials, windows.
    pub config: Config,
    /// How long the TCP connection may take. Default: 10 s.
    pub connect_timeout: Duration,
    /// Reconnecting and the session's bounds: whether to reconnect ([`Policy::reconnect`],
    /// default `true`), the delays ([`Policy::backoff`], default [`Backoff::DEFAULT`]), how
    /// long a connection must stay up before the backoff starts afresh
    /// ([`Policy::stable_after`], 20 s: a broker that accepts and drops at once is not
    /// reconnected to at once), what to do when another client takes the session over
    /// ([`Policy::takeover`], [`Takeover::Stop`]), how long `disconnect` waits for the messages
    /// in flight ([`Policy::disconnect_timeout`], 5 s), and how many messages and bytes may
    /// wait in the session before commands wait for room ([`Policy::connected_pending`],
    /// [`Policy::pending_bytes`]).
    pub policy: Policy,
    /// The random source that spreads the delays; seed it to make a run repeat exactly.
    /// Default: [`Jitter::random`].
    pub jitter: Jitter,
    /// How many received messages wait for the application before the client stops reading the
    /// socket. Default: 64.
    pub message_capacity: usize,
    /// How many commands (publish, subscribe, …) wait for the connection task. Default: 64.
    pub command_capacity: usize,
    /// How many connection events wait for the application; when it lags behind, the oldest
    /// give way to a `Lagged` count ([`event_queue`](crate::event_queue)). Default: 64.
    pub event_capacity: usize,
    /// TLS settings; `Some` for `mqtts://` and `tls://` addresses (system roots by default).
    pub tls: Option<TlsOptions>,
    /// Called before each connection attempt to refresh the user name and password.
    pub credentials: Option<CredentialsHook>,
    /// MQTT 5.0 enhanced authentication: makes the authenticator that answers the broker's
    /// AUTH packets (its method replaces `config.authentication_method`). A failure of the
    /// authenticator is fatal, as a refusal for bad credentials is.
    pub authenticator: Option<AuthenticatorFactory>,
    /// Records the session to this file as it goes: every byte each way with its instant,
    /// every command, every event, in the documented format of [`record`](crate::record),
    /// passwords as `*`. [`Recording::replay`](crate::record::Recording::replay) replays it
    /// into the sans-IO core, byte for byte: a file to attach to a bug report. Each write is
    /// flushed at the end of the connection task's turn. Default: `None`.
    pub record: Option<std::path::PathBuf>,
    /// Keeps the session in a file, so that it survives the process: a client opened again on
    /// the same file resumes it (see [`store`](crate::store)). `None` (the default) keeps it in
    /// memory only. For the broker to keep its side, set `config.clean_start` to `false` and,
    /// in MQTT 5.0, a Session Expiry Interval.
    pub store: Option<StoreOptions>,
}

/// Where the session is kept, and how durably ([`Options::store`]).
///
/// ```
/// use mqtt_driver::{Options, StoreOptions};
/// use mqtt_driver::store::Durability;
///
/// let mut options = Options::new("mqtt://localhost", "sensor-7").unwrap();
/// options.store = Some(StoreOptions::file("/var/lib/sensor/sensor-7.session"));
/// options.config = options.config.with_clean_start(false);
/// assert_eq!(options.store.unwrap().durability, Durability::Batched);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// The file of the [`FileStore`](crate::store::FileStore): one per client identifier.
    pub path: std::path::PathBuf,
    /// How durable each commit is. Default: [`Durability::Batched`](crate::store::Durability::Batched).
    pub durability: crate::store::Durability,
}

impl StoreOptions {
    /// A file store at `path`, with batched durability.
    #[must_use]
    pub fn file(path: impl Into<std::path::PathBuf>) -> Self {
        Self {
            path: path.into(),
            durability: crate::store::Durability::default(),
        }
    }

    /// The same, with `durability`.
    #[must_use]
    pub fn with_durability(mut self, durability: crate::store::Durability) -> Self {
        self.durability = durability;
        self
    }
}

impl Options {
    /// Options for `address` (`mqtt://host[:port]` or `tcp://host[:port]`, port 1883 by default;
    /// `mqtts://` or `tls://` for TLS, port 8883 by default)
    /// and client identifier `client_id`, with the defaults of [`Config`].
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] when `address` does not parse or has no host,
    /// [`Error::UnsupportedScheme`] for another scheme, [`Error::Client`] for a client
    /// identifier that is not an MQTT string.
    pub fn new(address: &str, client_id: &str) -> Result<Self, Error> {
        let url = url::Url::parse(address).map_err(|e| Error::InvalidAddress {
            address: address.to_owned(),
            reason: e.to_string(),
        })?;
        let (tls, default_port) = match url.scheme() {
            "mqtt" | "tcp" => (None, 1883),
            "mqtts" | "tls" | "ssl" => (Some(TlsOptions::new()), 8883),
            other => return Err(Error::UnsupportedScheme(other.to_owned())),
        };
        let host =
            url.host_str()
                .filter(|h| !h.is_empty())
                .ok_or_else(|| Error::InvalidAddress {
                    address: address.to_owned(),
                    reason: "no host".to_owned(),
                })?;
        let client_id = mqtt_proto::MqttString::new(client_id).map_err(|e| {
            Error::Client(mqtt_sansio::ClientError::Encode(
                mqtt_proto::EncodeError::InvalidClientId(match e {
                    mqtt_proto::StringError::NullCharacter => "contains U+0000",
                    _ => "longer than 65,535 bytes",
                }),
            ))
        })?;
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: url.port().unwrap_or(default_port),
            config: Config::new(client_id),
            connect_timeout: Duration::from_secs(10),
            policy: Policy::default(),
            jitter: Jitter::random(),
            message_capacity: 64,
            command_capacity: 64,
            event_capacity: 64,
            tls,
            credentials: None,
            authenticator: None,
            record: None,
            store: None,
        })
    }

    /// The session's supervisor for these options: their configuration, their policy, and
    /// the authenticator when there is one.
    #[must_use]
    pub fn supervisor<T>(&self) -> mqtt_sansio::Supervisor<T> {
        let mut supervisor = mqtt_sansio::Supervisor::new(self.config.clone(), self.policy.clone());
        if let Some(factory) = &self.authenticator {
            supervisor.set_authenticator(factory.make());
        }
        supervisor
    }

    /// The broker's host.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The broker's port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }
}
