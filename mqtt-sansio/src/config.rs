//! What the client asks for when it connects, and how it behaves.

use alloc::vec::Vec;
use core::time::Duration;

use bytes::Bytes;
use mqtt_proto::{Connect, ConnectProperties, LastWill, MqttString, ProtocolVersion, UserProperty};

/// The client's configuration: its CONNECT and its local limits.
///
/// Build one with [`Config::new`] and the `with_*` methods; fields are public to read and set.
///
/// ```
/// use core::time::Duration;
/// use mqtt_proto::{MqttString, ProtocolVersion};
/// use mqtt_sansio::Config;
///
/// let config = Config::new(MqttString::new("sensor-7").unwrap())
///     .with_version(ProtocolVersion::V5)
///     .with_keep_alive(Duration::from_secs(30))
///     .with_clean_start(false)
///     .with_session_expiry(Duration::from_secs(3600));
/// assert_eq!(config.max_inflight, 16);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The protocol version. Default: MQTT 3.1.1.
    pub version: ProtocolVersion,
    /// The client identifier; empty asks the server to assign one (with Clean Start in 3.1.1).
    pub client_id: MqttString,
    /// Keep alive, whole seconds up to 65,535; zero turns keepalive off. Default: 60 s.
    pub keep_alive: Duration,
    /// Clean Session (3.1.1) or Clean Start (5.0). Default: `true`.
    pub clean_start: bool,
    /// MQTT 5.0 Session Expiry Interval in seconds; `None` leaves it out (0: the session ends
    /// with the connection).
    pub session_expiry_interval: Option<u32>,
    /// The will message.
    pub will: Option<LastWill>,
    /// The user name.
    pub username: Option<MqttString>,
    /// The password.
    pub password: Option<Bytes>,
    /// MQTT 5.0 Receive Maximum: how many unacknowledged QoS 1 and 2 messages the server may send
    /// this client at once; `None` leaves it out (65,535).
    pub receive_maximum: Option<u16>,
    /// The largest packet this client accepts, in bytes; sent as Maximum Packet Size in 5.0 and
    /// enforced when decoding in every version. `None`: the protocol's maximum.
    pub maximum_packet_size: Option<u32>,
    /// MQTT 5.0 Topic Alias Maximum: how many topic aliases the server may use towards this
    /// client. Default: 0 (none).
    pub topic_alias_maximum: u16,
    /// MQTT 5.0: whether the session gives messages Topic Aliases itself when the server takes
    /// them (its Topic Alias Maximum is above 0), so that a topic goes out in full once per
    /// connection and as a two-byte alias after that. Aliases are taken from 1 up to the
    /// server's maximum; when all are taken, the one used least recently stands for the new
    /// topic; each connection starts afresh. A message the application gives a Topic Alias of
    /// its own goes as given. Default: `true`.
    pub auto_topic_alias: bool,
    /// MQTT 5.0 Request Response Information.
    pub request_response_information: Option<bool>,
    /// MQTT 5.0 Request Problem Information.
    pub request_problem_information: Option<bool>,
    /// MQTT 5.0 user properties of CONNECT, in order.
    pub user_properties: Vec<UserProperty>,
    /// MQTT 5.0 enhanced authentication method.
    pub authentication_method: Option<MqttString>,
    /// MQTT 5.0 initial authentication data.
    pub authentication_data: Option<Bytes>,
    /// How long to wait for CONNACK after the transport opens. Default: 30 s.
    pub connack_timeout: Duration,
    /// How long to wait for PINGRESP before the connection counts as dead. Default: the keep
    /// alive, at most 10 s.
    pub ping_timeout: Option<Duration>,
    /// The most outbound QoS 1 and 2 messages unacknowledged at once; with MQTT 5.0 also never
    /// above the server's Receive Maximum. Default: 16, which stock brokers accept (Mosquitto
    /// closes a 3.1.1 connection with more than 20 unfinished inbound QoS 2 messages).
    pub max_inflight: u16,
    /// The most messages waiting for room in the window (or for a connection); past it
    /// `publish` fails with [`ClientError::QueueFull`](crate::ClientError::QueueFull).
    /// Default: 1,024.
    pub max_pending: usize,
    /// The most bytes of messages (encoded) waiting for room in the window or for a
    /// connection; past it `publish` fails with
    /// [`ClientError::QueueBytesFull`](crate::ClientError::QueueBytesFull). Default: 16 MiB.
    pub max_pending_bytes: usize,
    /// What `publish` does when the pending queue is full ([`max_pending`](Self::max_pending),
    /// [`max_pending_bytes`](Self::max_pending_bytes)). Default: [`WhenFull::Wait`].
    pub when_full: WhenFull,
    /// A local time to live for the messages that wait to be sent: one still waiting when it
    /// ends is not sent, and ends with [`ClientError::Expired`](crate::ClientError::Expired).
    /// A message's own Message Expiry Interval comes first: in MQTT 5.0 it counts down while
    /// the message waits and goes out as what remains ([MQTT-3.3.2-6] asks the same of a
    /// server); in 3.1.1, which has no expiry on the wire, it is the message's local time to
    /// live. `None` (the default): messages without an expiry wait as long as it takes.
    pub message_ttl: Option<Duration>,
    /// Whether the application acknowledges received QoS 1 and 2 messages itself with
    /// [`Client::ack`](crate::Client::ack). Default: `false` (acknowledged on receipt).
    pub manual_acks: bool,
    /// What becomes of an outbound QoS 2 message the server acknowledged with PUBREC and then
    /// lost with its session. Default: [`InDoubt::Requeue`].
    pub in_doubt: InDoubt,
    /// The duplicate guard: how many completed inbound QoS 2 messages the session remembers
    /// (packet identifier and a 64-bit digest of topic and payload), so that one a server sends
    /// again with DUP after it forgot their completion (a broker restarted from a stale
    /// persistence file) is acknowledged and not delivered twice
    /// ([`Event::DuplicateSuppressed`](crate::Event::DuplicateSuppressed)). A PUBLISH without
    /// DUP is always a new message. 0 turns the guard off. Default: 65,535, one per packet
    /// identifier: at most about 2 MiB, taken as identifiers get used.
    ///
    /// What it cannot tell apart: a new message sent again with DUP whose first transmission
    /// never arrived, with the topic, payload and packet identifier of a message completed
    /// before it; it is held back too.
    ///
    /// It lives in memory: a process that takes its session back from a store
    /// ([`Client::restore`](crate::Client::restore)) starts with an empty guard.
    pub duplicate_guard: usize,
}

/// What [`Client::publish`](crate::Client::publish) does when the pending queue is full
/// ([`Config::max_pending`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhenFull {
    /// The caller waits for room: a driver takes no more commands while the queue is full
    /// (its callers wait, as on a full channel). The session itself, which cannot wait,
    /// refuses as [`Reject`](Self::Reject) does.
    #[default]
    Wait,
    /// Refuse the new message with [`ClientError::QueueFull`](crate::ClientError::QueueFull)
    /// or [`ClientError::QueueBytesFull`](crate::ClientError::QueueBytesFull); a driver passes
    /// the refusal on to the caller at once, even while it has no connection.
    Reject,
    /// Drop the oldest QoS 0 message waiting to make room (it ends with
    /// [`ClientError::Dropped`](crate::ClientError::Dropped)); with none waiting, refuse as
    /// [`Reject`](Self::Reject) does. A QoS 1 or 2 message is never dropped.
    DropOldestQos0,
}

/// What becomes of an outbound QoS 2 message between PUBREC and PUBCOMP when the server loses
/// the session (it answers a reconnect with Session Present 0).
///
/// QoS 2 guarantees exactly once only while the session lasts. A server that passes a QoS 2
/// message on to subscribers only at PUBREL (Mosquitto does) lost this one with the session; a
/// server that passes it on when it arrives (and only remembers the identifier until PUBREL)
/// has delivered it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InDoubt {
    /// Send it again as a new message: never lost, but a server of the second kind delivers
    /// it twice.
    #[default]
    Requeue,
    /// Do not send it again: it fails with [`ClientError::InDoubt`](crate::ClientError::InDoubt),
    /// and the application decides.
    Fail,
}

impl Config {
    /// The defaults, with client identifier `client_id`.
    #[must_use]
    pub fn new(client_id: MqttString) -> Self {
        Self {
            version: ProtocolVersion::V3_1_1,
            client_id,
            keep_alive: Duration::from_secs(60),
            clean_start: true,
            session_expiry_interval: None,
            will: None,
            username: None,
            password: None,
            receive_maximum: None,
            maximum_packet_size: None,
            topic_alias_maximum: 0,
            auto_topic_alias: true,
            request_response_information: None,
            request_problem_information: None,
            user_properties: Vec::new(),
            authentication_method: None,
            authentication_data: None,
            connack_timeout: Duration::from_secs(30),
            ping_timeout: None,
            max_inflight: 16,
            max_pending: 1024,
            max_pending_bytes: 16 * 1024 * 1024,
            when_full: WhenFull::Wait,
            message_ttl: None,
            manual_acks: false,
            in_doubt: InDoubt::Requeue,
            duplicate_guard: usize::from(u16::MAX),
        }
    }

    /// Sets [`version`](Self::version).
    #[must_use]
    pub fn with_version(mut self, version: ProtocolVersion) -> Self {
        self.version = version;
        self
    }

    /// Sets [`keep_alive`](Self::keep_alive).
    #[must_use]
    pub fn with_keep_alive(mut self, keep_alive: Duration) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Sets [`clean_start`](Self::clean_start).
    #[must_use]
    pub fn with_clean_start(mut self, clean_start: bool) -> Self {
        self.clean_start = clean_start;
        self
    }

    /// Sets [`session_expiry_interval`](Self::session_expiry_interval), in whole seconds.
    #[must_use]
    pub fn with_session_expiry(mut self, expiry: Duration) -> Self {
        self.session_expiry_interval = Some(u32::try_from(expiry.as_secs()).unwrap_or(u32::MAX));
        self
    }

    /// Sets [`will`](Self::will).
    #[must_use]
    pub fn with_will(mut self, will: LastWill) -> Self {
        self.will = Some(will);
        self
    }

    /// Sets [`username`](Self::username) and [`password`](Self::password).
    #[must_use]
    pub fn with_credentials(mut self, username: MqttString, password: Option<Bytes>) -> Self {
        self.username = Some(username);
        self.password = password;
        self
    }

    /// Sets [`max_inflight`](Self::max_inflight).
    #[must_use]
    pub fn with_max_inflight(mut self, max_inflight: u16) -> Self {
        self.max_inflight = max_inflight;
        self
    }

    /// Sets [`max_pending`](Self::max_pending).
    #[must_use]
    pub fn with_max_pending(mut self, max_pending: usize) -> Self {
        self.max_pending = max_pending;
        self
    }

    /// Sets [`max_pending_bytes`](Self::max_pending_bytes).
    #[must_use]
    pub fn with_max_pending_bytes(mut self, bytes: usize) -> Self {
        self.max_pending_bytes = bytes;
        self
    }

    /// Sets [`when_full`](Self::when_full).
    #[must_use]
    pub fn with_when_full(mut self, when_full: WhenFull) -> Self {
        self.when_full = when_full;
        self
    }

    /// Sets [`message_ttl`](Self::message_ttl).
    #[must_use]
    pub fn with_message_ttl(mut self, ttl: Duration) -> Self {
        self.message_ttl = Some(ttl);
        self
    }

    /// Sets [`manual_acks`](Self::manual_acks).
    #[must_use]
    pub fn with_manual_acks(mut self, manual_acks: bool) -> Self {
        self.manual_acks = manual_acks;
        self
    }

    /// Sets [`in_doubt`](Self::in_doubt).
    #[must_use]
    pub fn with_in_doubt(mut self, in_doubt: InDoubt) -> Self {
        self.in_doubt = in_doubt;
        self
    }

    /// Sets [`duplicate_guard`](Self::duplicate_guard).
    #[must_use]
    pub fn with_duplicate_guard(mut self, remembered: usize) -> Self {
        self.duplicate_guard = remembered;
        self
    }

    /// Keep alive in whole seconds as CONNECT carries it.
    pub(crate) fn keep_alive_secs(&self) -> u16 {
        u16::try_from(self.keep_alive.as_secs()).unwrap_or(u16::MAX)
    }

    /// Takes every MQTT 5.0 CONNECT property of `p`, each as [`to_connect`](Self::to_connect)
    /// would write it back: a property absent from `p` is absent from the configuration.
    ///
    /// ```
    /// use mqtt_proto::{ConnectProperties, MqttString, ProtocolVersion};
    /// use mqtt_sansio::Config;
    ///
    /// let mut config = Config::new(MqttString::from_static("c")).with_version(ProtocolVersion::V5);
    /// let mut p = ConnectProperties::default();
    /// p.session_expiry_interval = Some(300);
    /// config.set_connect_properties(&p);
    /// assert_eq!(*config.to_connect().properties, p);
    /// ```
    pub fn set_connect_properties(&mut self, p: &ConnectProperties) {
        self.session_expiry_interval = p.session_expiry_interval;
        self.receive_maximum = p.receive_maximum.map(core::num::NonZeroU16::get);
        self.maximum_packet_size = p.maximum_packet_size.map(core::num::NonZeroU32::get);
        self.topic_alias_maximum = p.topic_alias_maximum.unwrap_or(0);
        self.request_response_information = p.request_response_information;
        self.request_problem_information = p.request_problem_information;
        self.user_properties.clone_from(&p.user_properties);
        self.authentication_method
            .clone_from(&p.authentication_method);
        self.authentication_data.clone_from(&p.authentication_data);
    }

    /// The CONNECT this configuration sends (without the data of an authenticator's
    /// start, which the client adds when it has one).
    ///
    /// ```
    /// use mqtt_proto::{MqttString, ProtocolVersion};
    /// use mqtt_sansio::Config;
    ///
    /// let config = Config::new(MqttString::from_static("c")).with_version(ProtocolVersion::V5);
    /// let connect = config.to_connect();
    /// assert_eq!((connect.keep_alive, connect.clean_start), (60, true));
    /// ```
    #[must_use]
    pub fn to_connect(&self) -> Connect {
        let mut connect = Connect::new(self.client_id.clone());
        connect.clean_start = self.clean_start;
        connect.keep_alive = self.keep_alive_secs();
        connect.will.clone_from(&self.will);
        connect.username.clone_from(&self.username);
        connect.password.clone_from(&self.password);
        if self.version.is_v5() {
            let p = &mut connect.properties;
            p.session_expiry_interval = self.session_expiry_interval;
            p.receive_maximum = self.receive_maximum.and_then(core::num::NonZeroU16::new);
            p.maximum_packet_size = self
                .maximum_packet_size
                .and_then(core::num::NonZeroU32::new);
            p.topic_alias_maximum =
                (self.topic_alias_maximum > 0).then_some(self.topic_alias_maximum);
            p.request_response_information = self.request_response_information;
            p.request_problem_information = self.request_problem_information;
            p.user_properties.clone_from(&self.user_properties);
            p.authentication_method
                .clone_from(&self.authentication_method);
            p.authentication_data.clone_from(&self.authentication_data);
        }
        connect
    }
}
