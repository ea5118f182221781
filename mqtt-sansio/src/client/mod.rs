//! The client: connection and session state, driven by its inputs, drained through its outputs.

mod aliases;
mod close;
mod duplicates;
mod handshake;
mod keepalive;
mod persist;
mod publish;
mod receive;
mod short_ack;
mod subscribe;
mod transmit;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::time::Duration;

use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    ConnAck, Limits, MqttString, Packet, PacketId, PacketType, ProtocolVersion, ReasonCode,
};

pub use keepalive::Timer;
pub use publish::Message;

use crate::auth::Authenticator;
use crate::chunks::Chunks;
use crate::config::Config;
use crate::error::ClientError;
use crate::event::{CommandId, DisconnectReason, Event, ServerLimits};
use crate::id_map::IdMap;
use crate::ids::PacketIds;
use crate::journal::{Entry, Journal};
use crate::stats::{Meter, PacketInfo, Stats};
use crate::store::Changes;
use crate::time::Instant;
use duplicates::Completed;
use publish::{Outgoing, Queued};
use receive::{Inbound2, InboundAck};
use subscribe::{Remembered, Request};

/// Where the connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No transport, or the connection has ended.
    Closed,
    /// CONNECT sent; CONNACK (perhaps after an AUTH exchange) due by the deadline.
    Connecting { deadline: Instant },
    /// CONNACK accepted the connection.
    Connected,
    /// The connection has ended and the last bytes (a DISCONNECT) wait to be sent.
    Closing,
}

/// An MQTT client session as a pure state machine.
///
/// It owns the connection state (phase, timers, the server's limits) and the session state that
/// outlives a connection (packet identifiers, in-flight and pending messages, inbound QoS 2
/// identifiers, remembered subscriptions). It never touches the world: the driver moves bytes
/// and time in and out.
///
/// Its methods are of four kinds:
/// 1. getters (`&self`): [`is_connected`](Self::is_connected),
///    [`inflight`](Self::inflight), [`pending`](Self::pending), [`server_limits`](Self::server_limits);
/// 2. inputs, each with `now`: [`handle_transport_open`](Self::handle_transport_open),
///    [`handle_read`](Self::handle_read) (any chunking),
///    [`handle_transport_closed`](Self::handle_transport_closed),
///    [`handle_timeout`](Self::handle_timeout) (early or spurious calls do nothing), and
///    [`handle_read_paused`](Self::handle_read_paused) /
///    [`handle_read_resumed`](Self::handle_read_resumed) for a driver applying back pressure;
/// 3. commands, which fail only for local reasons ([`ClientError`]):
///    [`publish`](Self::publish), [`subscribe`](Self::subscribe),
///    [`unsubscribe`](Self::unsubscribe), [`ack`](Self::ack), [`auth`](Self::auth),
///    [`disconnect`](Self::disconnect);
/// 4. outputs: [`poll_transmit`](Self::poll_transmit) (or
///    [`poll_transmit_chunks`](Self::poll_transmit_chunks) for a driver with vectored writes),
///    [`poll_event`](Self::poll_event) and [`poll_timeout`](Self::poll_timeout).
///
/// After every input or command the driver drains, in this order: transmit until nothing is
/// left, then events until none is left, then reads the deadline and sleeps until it (or until
/// bytes or a command arrive). Misbehaviour of the server is never an error of an input: it ends
/// the connection with [`Event::Disconnected`], always the last event of a connection.
///
/// A whole exchange against the fake broker of `mqtt-test`, with no network: the loop at the
/// bottom is what a driver does with a socket.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{MqttString, QoS, Subscription, SubscribeProperties, TopicFilter, TopicName};
/// use mqtt_sansio::{Client, Config, Event, Instant, Message};
/// use mqtt_test::{BrokerConfig, FakeBroker};
///
/// let mut client = Client::new(Config::new(MqttString::new("doc").unwrap()));
/// let mut broker = FakeBroker::new(BrokerConfig::new());
/// let now = Instant::ZERO;
/// let mut events = Vec::new();
///
/// client.handle_transport_open(now);
/// let sub = Subscription::new(TopicFilter::new("greetings/#").unwrap(), QoS::AtLeastOnce);
/// client.subscribe(vec![sub], SubscribeProperties::default()).unwrap();
/// let topic = TopicName::new("greetings/world").unwrap();
/// let id = client.publish(Message::new(topic, QoS::AtLeastOnce, "hello")).unwrap();
///
/// // The driver's loop: transmit, read, events (then it would sleep until `poll_timeout`).
/// for _ in 0..10 {
///     let mut wire = BytesMut::new();
///     while client.poll_transmit(now, &mut wire) {}
///     broker.handle_read(&wire);
///     if let Some(bytes) = broker.poll_transmit() {
///         client.handle_read(now, &bytes);
///     }
///     while let Some(event) = client.poll_event() {
///         events.push(event);
///     }
/// }
///
/// assert!(matches!(events[0], Event::Connected(_)));
/// assert!(events.iter().any(|e| matches!(e, Event::Subscribed { .. })));
/// assert!(events.iter().any(|e| matches!(e, Event::Published { packet_id, .. } if Some(*packet_id) == id)));
/// // The broker routes the message back to its subscriber.
/// assert!(events.iter().any(|e| matches!(e, Event::Message(m) if m.payload() == b"hello")));
/// assert_eq!(client.inflight(), 0);
/// ```
pub struct Client {
    config: Config,
    version: ProtocolVersion,
    limits: Limits,
    phase: Phase,
    server: ServerLimits,
    /// Received bytes not yet decoded.
    read_buf: BytesMut,
    /// Answers the server's AUTH packets itself when set.
    authenticator: Option<Box<dyn Authenticator>>,
    /// Bytes waiting for `poll_transmit` that go before `out`: encoded packets and the large
    /// payloads that follow them, by reference.
    chunks: Chunks,
    /// Encoded bytes waiting for `poll_transmit`, after `chunks`.
    out: BytesMut,
    events: VecDeque<Event>,
    last_sent: Instant,
    /// When the PINGREQ in flight counts as unanswered.
    ping_deadline: Option<Instant>,
    /// When a PINGREQ was queued that the driver has not taken yet: its PINGRESP deadline
    /// starts when it goes out, not before.
    ping_queued: Option<Instant>,
    /// When the driver last took bytes or reported writing some
    /// ([`handle_write_progress`](Client::handle_write_progress)).
    write_progress: Instant,
    /// Whether the driver reads the transport; while it does not (its consumer is slow), no
    /// PINGRESP can arrive and none is waited for.
    reading: bool,
    /// The keep alive in force for this connection.
    keep_alive: Duration,
    ids: PacketIds,
    /// Outbound QoS 1 and 2 messages sent and not yet acknowledged, in send order.
    inflight: VecDeque<Outgoing>,
    /// Messages waiting for a connection or for room in the window, in order.
    pending: VecDeque<Queued>,
    /// The encoded size of the messages in `pending`.
    pending_bytes: usize,
    /// SUBSCRIBE and UNSUBSCRIBE requests not yet answered, in order.
    requests: VecDeque<Request>,
    /// Subscriptions to make again when the server has lost the session.
    remembered: Vec<Remembered>,
    /// Received QoS 1 and 2 messages in receipt order, for acknowledgements in that order.
    inbound: VecDeque<InboundAck>,
    /// Inbound QoS 2 identifiers between PUBLISH and PUBREL: the server's identifiers.
    inbound_qos2: IdMap<Inbound2>,
    /// Inbound QoS 2 messages completed recently: the duplicate guard.
    completed: Completed,
    /// Inbound topic aliases (MQTT 5.0), index alias − 1.
    aliases: Vec<Option<mqtt_proto::TopicName>>,
    /// The topics the application's outbound Topic Aliases stand for since the transport
    /// opened (MQTT 5.0), index alias − 1: what a message given by alias alone is accepted as.
    alias_topics: Vec<Option<mqtt_proto::TopicName>>,
    /// The topics outbound Topic Aliases stand for on this connection: what went out (MQTT
    /// 5.0), index alias − 1.
    out_aliases: Vec<Option<mqtt_proto::TopicName>>,
    /// The instant of the latest input: when a packet a command encodes counts as sent.
    clock: Instant,
    /// The figures of [`stats`](Client::stats), and the packet log.
    meter: Meter,
    /// Every input and output, while a driver records the session.
    journal: Journal,
    /// The changes for the store, while the driver keeps one.
    changes: Changes,
    /// The Topic Aliases the session gave on this connection ([`Config::auto_topic_alias`]).
    auto_aliases: aliases::AutoAliases,
    /// When the earliest time to live of the messages pending ends (perhaps earlier: a
    /// message that left the queue since is not looked for).
    expiry_sweep: Option<Instant>,
    /// The number of the last QoS 0 message accepted.
    qos0_accepted: u64,
    /// The number of the last QoS 0 message handed to the driver.
    qos0_transmitted: u64,
    /// The numbers of the QoS 0 messages encoded and not yet handed to the driver.
    qos0_unhanded: Vec<u64>,
}

impl Client {
    /// A client that will connect with `config`.
    #[must_use]
    pub fn new(config: Config) -> Self {
        let limits = Limits::new().with_max_packet_size(
            config
                .maximum_packet_size
                .unwrap_or(mqtt_proto::MAX_PACKET_SIZE),
        );
        let keep_alive = config.keep_alive;
        Self {
            version: config.version,
            limits,
            phase: Phase::Closed,
            server: ServerLimits::from_connack(
                &ConnAck::new(false, ReasonCode::SUCCESS),
                config.keep_alive_secs(),
            ),
            read_buf: BytesMut::new(),
            authenticator: None,
            chunks: Chunks::new(),
            out: BytesMut::new(),
            events: VecDeque::new(),
            last_sent: Instant::ZERO,
            ping_deadline: None,
            ping_queued: None,
            write_progress: Instant::ZERO,
            reading: true,
            keep_alive,
            ids: PacketIds::new(),
            inflight: VecDeque::new(),
            pending: VecDeque::new(),
            pending_bytes: 0,
            requests: VecDeque::new(),
            remembered: Vec::new(),
            inbound: VecDeque::new(),
            inbound_qos2: IdMap::new(),
            completed: Completed::new(config.duplicate_guard),
            aliases: Vec::new(),
            alias_topics: Vec::new(),
            out_aliases: Vec::new(),
            clock: Instant::ZERO,
            meter: Meter::default(),
            journal: Journal::default(),
            changes: Changes::default(),
            auto_aliases: aliases::AutoAliases::default(),
            expiry_sweep: None,
            qos0_accepted: 0,
            qos0_transmitted: 0,
            qos0_unhanded: Vec::new(),
            config,
        }
    }

    // ---- getters ----

    /// The configuration (the client identifier is the server's if it assigned one).
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Replaces the configuration for the next connection, keeping the session (messages in
    /// flight and pending, inbound QoS 2 state, subscriptions) when the protocol version stays
    /// the same; a new version starts a new session, and what the old one had not finished
    /// (messages, subscribe and unsubscribe requests) ends with [`Event::Failed`] and
    /// [`ClientError::SessionEnded`] (with a store on, it stays on and learns that those
    /// messages are done).
    ///
    /// # Errors
    /// [`ClientError::InvalidState`] while a connection is open or being opened.
    pub fn set_config(&mut self, config: Config) -> Result<(), ClientError> {
        if !matches!(self.phase, Phase::Closed) {
            return Err(ClientError::InvalidState);
        }
        if config.version != self.version {
            self.start_new_session(config);
            return Ok(());
        }
        self.limits = Limits::new().with_max_packet_size(
            config
                .maximum_packet_size
                .unwrap_or(mqtt_proto::MAX_PACKET_SIZE),
        );
        self.keep_alive = config.keep_alive;
        self.config = config;
        Ok(())
    }

    /// Speaks `version` from the next connection on, keeping what waits: the version
    /// fallback of a driver whose broker refused the one configured (a broker that refuses a
    /// version has no session of it). Messages keep their packet identifiers; in 3.x their
    /// MQTT 5.0 properties do not go on the wire. [`set_config`](Self::set_config) with a new
    /// version, by contrast, starts a new session.
    ///
    /// ```
    /// use mqtt_proto::{MqttString, ProtocolVersion};
    /// use mqtt_sansio::{Client, Config};
    ///
    /// let mut client = Client::new(Config::new(MqttString::from_static("c")));
    /// client.set_version(ProtocolVersion::V3_1_1).unwrap();
    /// assert_eq!(client.config().version, ProtocolVersion::V3_1_1);
    /// ```
    ///
    /// # Errors
    /// [`ClientError::InvalidState`] while a connection is open or being opened.
    pub fn set_version(&mut self, version: ProtocolVersion) -> Result<(), ClientError> {
        if !matches!(self.phase, Phase::Closed) {
            return Err(ClientError::InvalidState);
        }
        self.journal.keep(|| Entry::Version(version));
        self.version = version;
        self.config.version = version;
        Ok(())
    }

    /// A new protocol version: a new session. What the old one still had to do ends with
    /// [`Event::Failed`] ([`ClientError::SessionEnded`]), after the events not yet taken; a
    /// store that keeps it stays on and learns that it ended.
    fn start_new_session(&mut self, config: Config) {
        let mut fresh = Self::new(config);
        let on = self.changes.is_on();
        fresh.changes = core::mem::take(&mut self.changes);
        fresh.changes.set(on);
        fresh.journal = core::mem::take(&mut self.journal);
        fresh.events = core::mem::take(&mut self.events);
        let messages = self
            .inflight
            .iter()
            .map(|o| (&o.publish, 0))
            .chain(self.pending.iter().map(|q| (&q.publish, q.qos0)));
        for (publish, qos0) in messages {
            let command = match publish.qos_pid.packet_id() {
                Some(id) => {
                    fresh.durable(|| crate::store::Durable::Done(id));
                    CommandId::Publish(id)
                }
                None => CommandId::Qos0(qos0),
            };
            fresh.events.push_back(Event::Failed {
                command,
                error: ClientError::SessionEnded,
            });
        }
        for request in core::mem::take(&mut self.requests) {
            fresh.request_failed(&request, ClientError::SessionEnded);
        }
        if self.inbound_qos2.len() != 0 {
            fresh.durable(|| crate::store::Durable::InboundCleared);
        }
        *self = fresh;
    }

    /// Replaces the user name and password of the next CONNECT, as a driver does when it
    /// refreshes expiring credentials before reconnecting.
    pub fn set_credentials(&mut self, username: Option<MqttString>, password: Option<Bytes>) {
        self.journal
            .keep(|| Entry::Credentials(username.clone(), password.clone()));
        self.config.username = username;
        self.config.password = password;
    }

    /// Lets `authenticator` answer the server's AUTH packets (MQTT 5.0 enhanced
    /// authentication): every CONNECT from now on carries its method and the data of its
    /// [`start`](Authenticator::start), each challenge is answered with its
    /// [`challenge`](Authenticator::challenge), and the server's last word goes to its
    /// [`finish`](Authenticator::finish). No [`Event::Auth`] comes out then. A failure of the
    /// authenticator ends the connection with [`DisconnectReason::AuthenticationFailed`] after
    /// a DISCONNECT with Implementation Specific Error.
    pub fn set_authenticator(&mut self, authenticator: Box<dyn Authenticator>) {
        self.authenticator = Some(authenticator);
    }

    /// Whether CONNACK accepted the current connection and it has not ended.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.phase == Phase::Connected
    }

    /// The number of the current (or last) connection: transports opened, from 1; 0 before
    /// the first. What a message or event came on, for a driver that labels them.
    #[must_use]
    pub fn connection(&self) -> u64 {
        self.meter.stats.connection
    }

    /// Outbound QoS 1 and 2 messages sent and not yet acknowledged.
    #[must_use]
    pub fn inflight(&self) -> usize {
        self.inflight.len()
    }

    /// Messages waiting for a connection or for room in the window.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The encoded size of the messages [`pending`](Self::pending): what a driver bounding its
    /// memory in bytes, not only in messages, looks at.
    #[must_use]
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// How many inbound QoS 2 messages the duplicate guard held back
    /// ([`Config::duplicate_guard`]): each was reported with [`Event::DuplicateSuppressed`].
    #[must_use]
    pub fn duplicates_suppressed(&self) -> u64 {
        self.meter.stats.duplicates_suppressed
    }

    /// Packet identifiers in use: messages in flight or pending at QoS 1 and 2, and requests
    /// waiting for SUBACK or UNSUBACK.
    #[must_use]
    pub fn packet_ids_in_use(&self) -> u32 {
        self.ids.in_use()
    }

    /// How many bytes wait for [`poll_transmit`](Self::poll_transmit). A driver that stops
    /// taking messages while this is large keeps memory bounded when the socket is slower than
    /// the application.
    #[must_use]
    pub fn transmit_len(&self) -> usize {
        self.chunks.len() + self.out.len()
    }

    /// The server's limits for the current (or last) connection.
    #[must_use]
    pub fn server_limits(&self) -> &ServerLimits {
        &self.server
    }

    /// The session's counters: packets and bytes by type each way, connections, round-trip
    /// times, refusals and failures. A reference, free to read on every message; what stands
    /// now (messages in flight and waiting) has getters of its own:
    /// [`inflight`](Self::inflight), [`inflight_in`](Self::inflight_in),
    /// [`awaiting_pubrel`](Self::awaiting_pubrel), [`pending`](Self::pending),
    /// [`pending_bytes`](Self::pending_bytes), [`requests`](Self::requests).
    ///
    /// ```
    /// use mqtt_proto::{MqttString, PacketType, QoS, TopicName};
    /// use mqtt_sansio::{Client, Config, Instant, Message};
    /// use core::time::Duration;
    ///
    /// let mut client = Client::new(Config::new(MqttString::from_static("meter")));
    /// let mut wire = bytes::BytesMut::new();
    /// client.handle_transport_open(Instant::ZERO);
    /// client.handle_read(Instant::ZERO, &[0x20, 0x02, 0x00, 0x00]); // CONNACK
    /// let topic = TopicName::new("t").unwrap();
    /// client.publish(Message::new(topic, QoS::AtLeastOnce, "x")).unwrap();
    /// assert!(client.poll_transmit(Instant::ZERO, &mut wire));
    /// assert_eq!(client.inflight(), 1);
    ///
    /// let later = Instant::ZERO + Duration::from_millis(3);
    /// client.handle_read(later, &[0x40, 0x02, 0x00, 0x01]); // PUBACK
    /// let stats = client.stats();
    /// assert_eq!(stats.sent.packets(PacketType::Publish), 1);
    /// assert_eq!(stats.received.packets(PacketType::PubAck), 1);
    /// assert_eq!(stats.puback.recent(), Some(Duration::from_millis(3)));
    /// assert_eq!(client.inflight(), 0);
    /// ```
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.meter.stats
    }

    /// Inbound QoS 1 messages not yet acknowledged and QoS 2 messages before PUBCOMP: what
    /// counts against the client's Receive Maximum.
    #[must_use]
    pub fn inflight_in(&self) -> usize {
        self.unacknowledged_inbound()
    }

    /// SUBSCRIBE and UNSUBSCRIBE requests waiting for their acknowledgement.
    #[must_use]
    pub fn requests(&self) -> usize {
        self.requests.len()
    }

    /// The server's packet identifiers of the inbound QoS 2 messages acknowledged with PUBREC
    /// and waiting for PUBREL.
    pub fn awaiting_pubrel(&self) -> impl Iterator<Item = PacketId> + '_ {
        self.inbound_qos2.iter().filter_map(|(id, entry)| {
            (entry.state == receive::Qos2State::Received)
                .then(|| PacketId::new(id))
                .flatten()
        })
    }

    /// Starts (`true`) or stops keeping the journal of the session: every input with what it
    /// carried, every `poll_transmit` with the bytes it handed over, every event taken, in
    /// order, for a driver that records the session; [`poll_journal`](Self::poll_journal)
    /// takes the entries, and [`replay`](crate::replay) feeds them to a new client. Off by
    /// default. Start it before the first input: a replay starts from a new client.
    pub fn set_journal(&mut self, on: bool) {
        self.journal.set(on);
    }

    /// The oldest entry of the journal not yet taken ([`set_journal`](Self::set_journal)).
    pub fn poll_journal(&mut self) -> Option<Entry> {
        self.journal.poll()
    }

    /// Starts (`true`) or stops keeping a log of the packets encoded and decoded, for a driver
    /// that traces them: [`poll_packet`](Self::poll_packet) takes them. Off by default; while
    /// on, the log keeps the latest 1,024 packets the driver has not taken.
    pub fn set_packet_log(&mut self, on: bool) {
        self.meter.set_log(on);
    }

    /// The oldest packet of the log not yet taken ([`set_packet_log`](Self::set_packet_log)).
    ///
    /// ```
    /// use mqtt_proto::{MqttString, PacketType};
    /// use mqtt_sansio::{Client, Config, Instant};
    ///
    /// let mut client = Client::new(Config::new(MqttString::from_static("logged")));
    /// client.set_packet_log(true);
    /// client.handle_transport_open(Instant::ZERO);
    /// client.handle_read(Instant::ZERO, &[0x20, 0x02, 0x00, 0x00]);
    /// let connect = client.poll_packet().unwrap();
    /// assert!(connect.outgoing);
    /// assert_eq!(connect.packet_type, PacketType::Connect);
    /// assert_eq!(client.poll_packet().unwrap().packet_type, PacketType::ConnAck);
    /// assert_eq!(client.poll_packet(), None);
    /// ```
    pub fn poll_packet(&mut self) -> Option<PacketInfo> {
        self.meter.poll_log()
    }

    // ---- inputs ----

    /// The transport is open: queues CONNECT and starts the CONNACK timer.
    ///
    /// Calling it while a connection is under way first ends that connection, as
    /// [`handle_transport_closed`](Self::handle_transport_closed) would.
    pub fn handle_transport_open(&mut self, now: Instant) {
        self.journal.keep(|| Entry::TransportOpen(now));
        if matches!(self.phase, Phase::Connecting { .. } | Phase::Connected) {
            self.close(DisconnectReason::TransportClosed);
        }
        self.clock = now;
        self.meter.stats.connection += 1;
        self.read_buf.clear();
        self.discard_transmit();
        self.ping_deadline = None;
        self.ping_queued = None;
        self.meter.ping_sent = None;
        self.write_progress = now;
        self.reading = true;
        self.aliases.clear();
        self.alias_topics.clear();
        self.out_aliases.clear();
        // [MQTT-3.3.2-7]: no mapping outlives its connection.
        self.auto_aliases.clear();
        self.last_sent = now;
        self.phase = Phase::Connecting {
            deadline: now + self.config.connack_timeout,
        };
        if let Some(authenticator) = self.authenticator.as_mut() {
            // Taken from the authenticator at each attempt, so that a new configuration
            // (`set_config`) cannot leave the two apart.
            self.config.authentication_method = Some(authenticator.method());
            self.config.authentication_data = authenticator.start();
        }
        // Encoded as it is, not boxed into a `Packet`.
        let connect = self.config.to_connect();
        // Room for all of it at once: the buffer is empty at a new connection, and growing it
        // field by field takes three allocations.
        self.out.reserve(connect.encoded_len(self.version));
        // The configuration was checked by `encode`'s rules only now: a CONNECT it refuses
        // (an identifier the version forbids, say) ends the attempt at once.
        match connect.encode(self.version, &mut self.out) {
            Ok(size) => self.meter.sent(PacketType::Connect, None, size),
            Err(e) => {
                self.phase = Phase::Closed;
                self.events
                    .push_back(Event::Disconnected(DisconnectReason::InvalidConnect(e)));
            }
        }
    }

    /// Bytes arrived from the server, in any chunking.
    ///
    /// The bytes are copied; [`handle_read_buf`](Self::handle_read_buf) avoids that.
    pub fn handle_read(&mut self, now: Instant, bytes: &[u8]) {
        self.journal
            .keep(|| Entry::Read(now, Bytes::copy_from_slice(bytes)));
        self.clock = now;
        if !matches!(self.phase, Phase::Connecting { .. } | Phase::Connected) {
            return;
        }
        self.read_buf.extend_from_slice(bytes);
        let mut buf = core::mem::take(&mut self.read_buf);
        self.decode_from(&mut buf);
        self.read_buf = buf;
    }

    /// Bytes arrived from the server, in the caller's read buffer, without copying them: the
    /// complete packets are taken from its front (received payloads share its memory) and a
    /// partial packet stays in it, for the caller to read more bytes after it.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use mqtt_proto::MqttString;
    /// use mqtt_sansio::{Client, Config, Event, Instant};
    ///
    /// let mut client = Client::new(Config::new(MqttString::from_static("reader")));
    /// client.handle_transport_open(Instant::ZERO);
    /// // A CONNACK, and the first byte of the next packet.
    /// let mut buf = BytesMut::from(&[0x20, 0x02, 0x00, 0x00, 0xd0][..]);
    /// client.handle_read_buf(Instant::ZERO, &mut buf);
    /// assert!(matches!(client.poll_event(), Some(Event::Connected(_))));
    /// assert_eq!(&buf[..], &[0xd0]); // a PINGRESP, once its second byte arrives
    /// ```
    pub fn handle_read_buf(&mut self, now: Instant, buf: &mut BytesMut) {
        self.clock = now;
        if !self.read_buf.is_empty() {
            // Bytes of an earlier `handle_read` come first.
            self.handle_read(now, buf);
            buf.clear();
            return;
        }
        self.journal
            .keep(|| Entry::ReadBuf(now, Bytes::copy_from_slice(buf)));
        if !matches!(self.phase, Phase::Connecting { .. } | Phase::Connected) {
            buf.clear();
            return;
        }
        self.decode_from(buf);
        if !matches!(self.phase, Phase::Connecting { .. } | Phase::Connected) {
            // The connection ended: what follows is not read.
            buf.clear();
        }
    }

    /// Decodes and handles the complete packets at the front of `buf`.
    fn decode_from(&mut self, buf: &mut BytesMut) {
        while matches!(self.phase, Phase::Connecting { .. } | Phase::Connected) {
            if self.version.is_v5()
                && matches!(self.phase, Phase::Connecting { .. })
                && buf.starts_with(&V3_UNACCEPTABLE_VERSION)
            {
                // A server that speaks only 3.x answers a 5.0 CONNECT with its own CONNACK,
                // return code 0x01 ([MQTT-3.1.2-2] of 3.1.1), which is not a 5.0 CONNACK: it
                // means what 5.0 says with 0x84, and the application may retry with 3.1.1.
                bytes::Buf::advance(buf, V3_UNACCEPTABLE_VERSION.len());
                self.meter
                    .received(PacketType::ConnAck, None, V3_UNACCEPTABLE_VERSION.len());
                self.handle_connack(ConnAck::new(
                    false,
                    ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
                ));
                continue;
            }
            if self.phase == Phase::Connected && self.handle_short_ack(buf) {
                continue;
            }
            let before = buf.len();
            match Packet::decode(self.version, buf, &self.limits) {
                Ok(Some(packet)) => {
                    let size = before - buf.len();
                    self.meter
                        .received(packet.packet_type(), packet.packet_id(), size);
                    self.handle_packet(packet);
                }
                Ok(None) => break,
                Err(e) => {
                    let code = e.reason_code();
                    self.violation(code, Some(e));
                }
            }
        }
    }

    /// The transport closed (the server closed it, or the driver gave up on it).
    pub fn handle_transport_closed(&mut self, now: Instant) {
        self.journal.keep(|| Entry::TransportClosed(now));
        match self.phase {
            Phase::Connecting { .. } | Phase::Connected => {
                self.close(DisconnectReason::TransportClosed);
            }
            Phase::Closing => self.phase = Phase::Closed,
            Phase::Closed => {}
        }
        self.discard_transmit();
        self.read_buf.clear();
    }

    /// The driver wrote some of the bytes it took from [`poll_transmit`](Self::poll_transmit)
    /// (a driver whose writes can take long, on a slow link, calls it after each write).
    ///
    /// A PINGREQ waits behind the bytes the driver has not written yet; while the driver keeps
    /// writing, the link is alive and the PINGREQ's deadline waits too. Without this input the
    /// deadline counts from when the PINGREQ was queued or the driver last took bytes.
    pub fn handle_write_progress(&mut self, now: Instant) {
        self.journal.keep(|| Entry::WriteProgress(now));
        self.write_progress = self.write_progress.max(now);
    }

    /// The driver stops reading the transport, because the application does not take messages
    /// as fast as they come (TCP back pressure then slows the server down).
    ///
    /// Until [`handle_read_resumed`](Self::handle_read_resumed), a PINGRESP cannot arrive, so
    /// none is waited for: PINGREQ still goes out every keep alive interval (the server must hear
    /// from the client), but a slow consumer never looks like a dead link.
    pub fn handle_read_paused(&mut self, now: Instant) {
        self.journal.keep(|| Entry::ReadPaused(now));
        self.reading = false;
    }

    /// The driver reads the transport again. A PINGREQ still unanswered gets a full ping timeout
    /// from `now`: its PINGRESP may be waiting behind what was not read.
    pub fn handle_read_resumed(&mut self, now: Instant) {
        self.journal.keep(|| Entry::ReadResumed(now));
        if !self.reading && self.ping_deadline.is_some() {
            self.ping_deadline = Some(now + self.ping_timeout());
        }
        self.reading = true;
    }

    // ---- outputs ----

    /// The next event, if any.
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front()?;
        if self.journal.is_on() || matches!(event, Event::Failed { .. }) {
            self.observe(&event);
        }
        Some(event)
    }

    /// Counts a failure and journals `event`: out of the hot path of `poll_event`.
    #[cold]
    #[inline(never)]
    fn observe(&mut self, event: &Event) {
        if matches!(event, Event::Failed { .. }) {
            self.meter.stats.failed += 1;
        }
        self.journal.keep(|| Entry::Event(event.clone()));
    }

    // ---- internals ----

    /// Encodes `packet` into the outgoing bytes.
    fn encode(&mut self, packet: &Packet) -> Result<usize, mqtt_proto::EncodeError> {
        let size = packet.encode(self.version, &mut self.out)?;
        self.meter
            .sent(packet.packet_type(), packet.packet_id(), size);
        Ok(size)
    }

    /// Encodes a packet the client built itself and knows to be valid.
    fn encode_infallible(&mut self, packet: &Packet) {
        // Acknowledgements, PINGREQ and packets already checked when their command was accepted:
        // they cannot fail, and a failure would only drop this packet.
        let _ = self.encode(packet);
    }

    fn handle_packet(&mut self, packet: Packet) {
        match packet {
            Packet::ConnAck(connack) => self.handle_connack(connack),
            Packet::Auth(auth) => {
                if self.config.authentication_method.is_none() {
                    // Section 4.12: no AUTH without a method the client asked for.
                    self.violation(ReasonCode::PROTOCOL_ERROR, None);
                    return;
                }
                if self.authenticator.is_some() {
                    self.answer_auth(auth.reason_code, &auth.properties);
                    return;
                }
                self.events.push_back(Event::Auth {
                    reason_code: auth.reason_code,
                    properties: auth.properties.into_inner(),
                });
            }
            // Only MQTT 5.0 servers send DISCONNECT (section 3.14 of 3.1.1: client to server).
            Packet::Disconnect(disconnect) if self.version.is_v5() => {
                self.close(DisconnectReason::ByServer(disconnect));
            }
            Packet::Disconnect(_) => self.violation(ReasonCode::PROTOCOL_ERROR, None),
            _ if self.phase != Phase::Connected => {
                // [MQTT-3.2.0-1]: CONNACK comes first.
                self.violation(ReasonCode::PROTOCOL_ERROR, None);
            }
            Packet::Publish(publish) => self.handle_publish(publish),
            Packet::PubAck(ack) => {
                self.handle_puback(ack.packet_id, ack.reason_code, ack.properties.into_inner());
            }
            Packet::PubRec(rec) => {
                self.handle_pubrec(rec.packet_id, rec.reason_code, rec.properties.into_inner());
            }
            Packet::PubComp(comp) => {
                self.handle_pubcomp(
                    comp.packet_id,
                    comp.reason_code,
                    comp.properties.into_inner(),
                );
            }
            Packet::PubRel(rel) => self.handle_pubrel(rel.packet_id),
            Packet::SubAck(ack) => self.handle_suback(ack),
            Packet::UnsubAck(ack) => self.handle_unsuback(ack),
            Packet::PingResp => {
                self.ping_deadline = None;
                if let Some(sent) = self.meter.ping_sent.take() {
                    self.meter.stats.ping.sample(sent, self.clock);
                }
            }
            // Packets only a client sends ([MQTT-3.1.0-2] and the direction of each packet).
            Packet::Connect(_)
            | Packet::Subscribe(_)
            | Packet::Unsubscribe(_)
            | Packet::PingReq => {
                self.violation(ReasonCode::PROTOCOL_ERROR, None);
            }
        }
    }

    /// [MQTT-3.2.2-15]: no packet larger than the server's Maximum Packet Size.
    fn check_size(&self, size: usize) -> Result<(), ClientError> {
        match self.server.maximum_packet_size {
            Some(maximum) if size > maximum as usize => {
                Err(ClientError::PacketTooLarge { size, maximum })
            }
            _ => Ok(()),
        }
    }

    /// Whether an acknowledgement may carry a reason code: MQTT 5.0, and a server whose Maximum
    /// Packet Size takes its 5 bytes ([MQTT-3.2.2-15]). Otherwise the 4-byte form, which says
    /// success, goes instead: for the unknown identifiers it reports, the server loses nothing.
    fn reason_code_fits(&self) -> bool {
        self.version.is_v5() && self.check_size(5).is_ok()
    }

    /// Counts a command refused at once.
    fn counted<T>(&mut self, result: Result<T, ClientError>) -> Result<T, ClientError> {
        if result.is_err() {
            self.meter.stats.refused += 1;
        }
        result
    }

    /// Takes a packet identifier for a new exchange.
    fn allocate_id(&mut self) -> Result<PacketId, ClientError> {
        self.ids.allocate().ok_or(ClientError::PacketIdsExhausted)
    }
}

/// A 3.x CONNACK refusing the protocol version: type 2, remaining length 2, no flags, return
/// code 0x01.
const V3_UNACCEPTABLE_VERSION: [u8; 4] = [0x20, 0x02, 0x00, 0x01];
