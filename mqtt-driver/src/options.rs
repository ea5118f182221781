//! How to reach the broker and what to send it.

use core::time::Duration;

#[cfg(doc)]
use mqtt_sansio::{Backoff, Takeover};
use mqtt_sansio::{Config, Policy};

use crate::address::{Address, parse_url};
use crate::authenticator::AuthenticatorFactory;
use crate::credentials::CredentialsHook;
use crate::error::Error;
use crate::jitter::Jitter;
use crate::proxy::ProxySetting;
use crate::tls::TlsOptions;
use crate::websocket::WebSocketOptions;

/// Where and how to connect.
///
/// ```
/// use mqtt_driver::Options;
///
/// let options = Options::new("mqtt://broker.example:1884", "sensor-7").unwrap();
/// assert_eq!(options.brokers()[0].host(), Some("broker.example"));
/// assert_eq!(options.brokers()[0].port(), Some(1884));
/// assert!(Options::new("ftp://x", "c").is_err());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    brokers: Vec<Address>,
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
    /// TLS settings for the addresses that use TLS (`mqtts://`, `wss://`): the system's roots
    /// by default. Certificate and key files are read again before each connection attempt, so
    /// a renewed certificate is used from the next reconnect on.
    pub tls: TlsOptions,
    /// How to reach the brokers: directly (the default), through one proxy, or through the
    /// proxy the environment names (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`).
    pub proxy: ProxySetting,
    /// The WebSocket upgrade request of `ws://` and `wss://` addresses: extra HTTP headers
    /// (an authorization header, say).
    pub websocket: WebSocketOptions,
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
    /// Options for the broker at `address` (every form of [`Address`]: `mqtt://host[:port]`,
    /// `mqtts://`, `ws://`, `wss://`, `unix:///path`) and client identifier `client_id`, with
    /// the defaults of [`Config`]. A user name and password in the address
    /// (`mqtt://user:secret@host`, percent-encoded) become the session's credentials.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] with the [`AddressError`](crate::AddressError) that says what
    /// is wrong with `address`, [`Error::Client`] for a client identifier that is not an MQTT
    /// string.
    pub fn new(address: &str, client_id: &str) -> Result<Self, Error> {
        Self::with_brokers([address], client_id)
    }

    /// Options for a fleet of brokers: when a connection to one fails, the next is tried at
    /// once, and the reconnect delay applies after a whole round (see
    /// [`brokers`](Self::brokers)). Credentials in an address apply as in [`new`](Self::new);
    /// the first address with some wins.
    ///
    /// ```
    /// use mqtt_driver::Options;
    ///
    /// let options = Options::with_brokers(["mqtt://a.example", "mqtts://b.example"], "c").unwrap();
    /// assert_eq!(options.brokers().len(), 2);
    /// assert!(Options::with_brokers([""; 0], "c").is_err());
    /// ```
    ///
    /// # Errors
    /// As [`new`](Self::new); [`AddressError::Empty`](crate::AddressError::Empty) for no address.
    pub fn with_brokers<S: AsRef<str>>(
        addresses: impl IntoIterator<Item = S>,
        client_id: &str,
    ) -> Result<Self, Error> {
        let mut brokers = Vec::new();
        let mut credentials = None;
        for address in addresses {
            let address = address.as_ref();
            let (broker, user) = parse_url(address).map_err(|reason| Error::InvalidAddress {
                address: address.to_owned(),
                reason,
            })?;
            credentials = credentials.or(user);
            brokers.push(broker);
        }
        if brokers.is_empty() {
            return Err(Error::InvalidAddress {
                address: String::new(),
                reason: crate::AddressError::Empty,
            });
        }
        let client_id = mqtt_string(client_id)?;
        let mut config = Config::new(client_id);
        if let Some((user, password)) = credentials {
            config = config.with_credentials(mqtt_string(&user)?, password.map(bytes::Bytes::from));
        }
        Ok(Self {
            brokers,
            config,
            connect_timeout: Duration::from_secs(10),
            policy: Policy::default(),
            jitter: Jitter::random(),
            message_capacity: 64,
            command_capacity: 64,
            event_capacity: 64,
            tls: TlsOptions::new(),
            proxy: ProxySetting::default(),
            websocket: WebSocketOptions::default(),
            credentials: None,
            authenticator: None,
            record: None,
            store: None,
        })
    }

    /// The brokers, in the order they are tried: the first at the start; after a connection
    /// attempt that fails, the next one at once, and the reconnect delay only after a whole
    /// round of failures.
    #[must_use]
    pub fn brokers(&self) -> &[Address] {
        &self.brokers
    }

    /// Checks what can be checked before connecting: the certificate and key files of the
    /// TLS settings (for a TLS broker), the proxy (set, or from the environment), the
    /// WebSocket headers. `connect` calls it, so that such a mistake fails at once rather than
    /// at every attempt.
    ///
    /// # Errors
    /// The first problem found: [`Error::Certificate`], [`Error::Tls`], [`Error::InvalidProxy`],
    /// [`Error::WebSocket`].
    pub fn validate(&self) -> Result<(), Error> {
        for broker in &self.brokers {
            if let (true, Some(host)) = (broker.is_tls(), broker.host()) {
                self.tls.client_config(host)?;
            }
            self.proxy.for_broker(broker)?;
            #[cfg(feature = "websocket")]
            if let Address::WebSocket { .. } = broker {
                crate::WsCodec::client(broker, &self.websocket)?;
            }
        }
        Ok(())
    }

    /// The session's supervisor for these options: their configuration, their policy, their
    /// brokers, and the authenticator when there is one.
    #[must_use]
    pub fn supervisor<T>(&self) -> mqtt_sansio::Supervisor<T> {
        let mut supervisor = mqtt_sansio::Supervisor::new(self.config.clone(), self.policy.clone());
        supervisor.set_brokers(self.brokers.len());
        if let Some(factory) = &self.authenticator {
            supervisor.set_authenticator(factory.make());
        }
        supervisor
    }
}

/// `s` as an MQTT string: the client identifier or a user name.
fn mqtt_string(s: &str) -> Result<mqtt_proto::MqttString, Error> {
    mqtt_proto::MqttString::new(s).map_err(|e| {
        Error::Client(mqtt_sansio::ClientError::Encode(
            mqtt_proto::EncodeError::InvalidClientId(match e {
                mqtt_proto::StringError::NullCharacter => "contains U+0000",
                _ => "longer than 65,535 bytes",
            }),
        ))
    })
}
