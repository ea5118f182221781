//! The client: connection and session state, driven by its inputs, drained through its outputs.

mod duplicates;
mod publish;
mod receive;
mod subscribe;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::time::Duration;

use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    Auth, AuthProperties, ConnAck, Connect, DecodeError, Disconnect, DisconnectProperties, Limits,
    MqttString, Packet, PacketId, ProtocolVersion, ReasonCode,
};

pub use publish::Message;

use crate::auth::{AuthFailed, Authenticator};
use crate::chunks::Chunks;
use crate::config::Config;
use crate::error::ClientError;
use crate::event::{CommandId, Connected, DisconnectReason, Event, ServerLimits, SessionReset};
use crate::id_map::IdMap;
use crate::ids::PacketIds;
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
    /// The number of the last QoS 0 message accepted.
    qos0_accepted: u64,
    /// The number of the last QoS 0 message handed to the driver.
    qos0_transmitted: u64,
    /// The numbers of the QoS 0 messages encoded and not yet handed to the driver.
    qos0_unhanded: VecDeque<u64>,
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
            qos0_accepted: 0,
            qos0_transmitted: 0,
            qos0_unhanded: VecDeque::new(),
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
    /// the same; a new version starts a new session.
    ///
    /// # Errors
    /// [`ClientError::InvalidState`] while a connection is open or being opened.
    pub fn set_config(&mut self, config: Config) -> Result<(), ClientError> {
        if !matches!(self.phase, Phase::Closed) {
            return Err(ClientError::InvalidState);
        }
        if config.version != self.version {
            *self = Self::new(config);
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

    /// Replaces the user name and password of the next CONNECT, as a driver does when it
    /// refreshes expiring credentials before reconnecting.
    pub fn set_credentials(&mut self, username: Option<MqttString>, password: Option<Bytes>) {
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
        self.completed.suppressed()
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

    /// Why [`poll_timeout`](Self::poll_timeout) is what it is.
    #[must_use]
    pub fn timer(&self) -> Option<Timer> {
        match self.phase {
            Phase::Connecting { .. } => Some(Timer::ConnAck),
            Phase::Connected
                if self.ping_queued.is_some() || (self.reading && self.ping_deadline.is_some()) =>
            {
                Some(Timer::PingResp)
            }
            Phase::Connected if !self.keep_alive.is_zero() => Some(Timer::KeepAlive),
            _ => None,
        }
    }

    // ---- inputs ----

    /// The transport is open: queues CONNECT and starts the CONNACK timer.
    ///
    /// Calling it while a connection is under way first ends that connection, as
    /// [`handle_transport_closed`](Self::handle_transport_closed) would.
    pub fn handle_transport_open(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Connecting { .. } | Phase::Connected) {
            self.close(DisconnectReason::TransportClosed);
        }
        self.read_buf.clear();
        self.clear_transmit();
        self.ping_deadline = None;
        self.ping_queued = None;
        self.write_progress = now;
        self.reading = true;
        self.aliases.clear();
        self.alias_topics.clear();
        self.out_aliases.clear();
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
        let connect = self.connect_packet();
        // The configuration was checked by `encode`'s rules only now: a CONNECT it refuses
        // (an identifier the version forbids, say) ends the attempt at once.
        if let Err(e) = self.encode(&Packet::from(connect)) {
            self.phase = Phase::Closed;
            self.events
                .push_back(Event::Disconnected(DisconnectReason::InvalidConnect(e)));
        }
    }

    /// Bytes arrived from the server, in any chunking.
    ///
    /// The bytes are copied; [`handle_read_buf`](Self::handle_read_buf) avoids that.
    pub fn handle_read(&mut self, _now: Instant, bytes: &[u8]) {
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
        if !self.read_buf.is_empty() {
            // Bytes of an earlier `handle_read` come first.
            self.handle_read(now, buf);
            buf.clear();
            return;
        }
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
                self.handle_connack(ConnAck::new(
                    false,
                    ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
                ));
                continue;
            }
            match Packet::decode(self.version, buf, &self.limits) {
                Ok(Some(packet)) => self.handle_packet(packet),
                Ok(None) => break,
                Err(e) => {
                    let code = e.reason_code();
                    self.violation(code, Some(e));
                }
            }
        }
    }

    /// The transport closed (the server closed it, or the driver gave up on it).
    pub fn handle_transport_closed(&mut self, _now: Instant) {
        match self.phase {
            Phase::Connecting { .. } | Phase::Connected => {
                self.close(DisconnectReason::TransportClosed);
            }
            Phase::Closing => self.phase = Phase::Closed,
            Phase::Closed => {}
        }
        self.clear_transmit();
        self.read_buf.clear();
    }

    /// The driver wrote some of the bytes it took from [`poll_transmit`](Self::poll_transmit)
    /// (a driver whose writes can take long, on a slow link, calls it after each write).
    ///
    /// A PINGREQ waits behind the bytes the driver has not written yet; while the driver keeps
    /// writing, the link is alive and the PINGREQ's deadline waits too. Without this input the
    /// deadline counts from when the PINGREQ was queued or the driver last took bytes.
    pub fn handle_write_progress(&mut self, now: Instant) {
        self.write_progress = self.write_progress.max(now);
    }

    /// The driver stops reading the transport, because the application does not take messages
    /// as fast as they come (TCP back pressure then slows the server down).
    ///
    /// Until [`handle_read_resumed`](Self::handle_read_resumed), a PINGRESP cannot arrive, so
    /// none is waited for: PINGREQ still goes out every keep alive interval (the server must hear
    /// from the client), but a slow consumer never looks like a dead link.
    pub fn handle_read_paused(&mut self, _now: Instant) {
        self.reading = false;
    }

    /// The driver reads the transport again. A PINGREQ still unanswered gets a full ping timeout
    /// from `now`: its PINGRESP may be waiting behind what was not read.
    pub fn handle_read_resumed(&mut self, now: Instant) {
        if !self.reading && self.ping_deadline.is_some() {
            self.ping_deadline = Some(now + self.ping_timeout());
        }
        self.reading = true;
    }

    /// Time has come for [`poll_timeout`](Self::poll_timeout): checks the CONNACK and PINGRESP
    /// deadlines and sends PINGREQ when the keep alive has passed without sending.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Connecting { deadline } if now >= deadline => {
                self.close(DisconnectReason::ConnAckTimeout);
            }
            Phase::Connected => {
                if let Some(queued) = self.ping_queued {
                    if now >= self.stall_deadline(queued) {
                        // The PINGREQ could not even be written: nothing left for a ping
                        // timeout, the server stopped reading.
                        self.close(DisconnectReason::KeepAliveTimeout);
                    }
                } else if self.reading && self.ping_deadline.is_some_and(|d| now >= d) {
                    // No PINGRESP: half-open, or a stuck server.
                    self.close(DisconnectReason::KeepAliveTimeout);
                } else if (self.ping_deadline.is_none() || !self.reading)
                    && !self.keep_alive.is_zero()
                    && now >= self.last_sent + self.keep_alive
                {
                    // While reading is paused the answers to earlier pings are unread: keep
                    // pinging, so the server keeps the connection, without waiting for them.
                    // [MQTT-3.1.2-23]: a control packet within every keep alive interval.
                    // It goes before whatever else waits for the driver, and its PINGRESP
                    // deadline starts when the driver takes it: a PINGREQ behind a large
                    // PUBLISH on a slow link is not a missing PINGRESP.
                    self.chunks.push_front(Bytes::from_static(&PINGREQ));
                    self.ping_queued = Some(now);
                    self.ping_deadline = None;
                }
            }
            _ => {}
        }
    }

    // ---- outputs ----

    /// Moves the bytes waiting to be sent into `buf`; `true` if there were any.
    ///
    /// Many small packets come out together, so one write carries them all. When `buf` is
    /// empty the bytes are not copied: the two buffers trade places (large payloads are copied
    /// in; [`poll_transmit_chunks`](Self::poll_transmit_chunks) hands them over as they are).
    /// Messages waiting for the output to shrink (64 KiB at a time) are encoded first, so
    /// calling this again after the bytes are written takes the next ones; calling it in a loop
    /// takes everything.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut BytesMut) -> bool {
        if !self.begin_transmit() {
            return false;
        }
        if buf.is_empty() && self.chunks.is_empty() {
            core::mem::swap(buf, &mut self.out);
        } else {
            buf.reserve(self.transmit_len());
            for chunk in self.chunks.iter() {
                buf.extend_from_slice(chunk);
            }
            buf.extend_from_slice(&self.out);
        }
        self.clear_transmit();
        self.end_transmit(now);
        true
    }

    /// Moves the bytes waiting to be sent to the end of `chunks`; `true` if there were any.
    ///
    /// As [`poll_transmit`](Self::poll_transmit), with nothing copied: packets encoded together
    /// come as one buffer, and the payload of a large message (4 KiB or more) as the buffer the
    /// application gave, for a vectored write to send from where it is.
    ///
    /// ```
    /// use bytes::{Buf, Bytes};
    /// use mqtt_proto::{MqttString, QoS, TopicName};
    /// use mqtt_sansio::{Chunks, Client, Config, Instant, Message};
    ///
    /// let mut client = Client::new(Config::new(MqttString::new("sensor-1").unwrap()));
    /// let now = Instant::ZERO;
    /// client.handle_transport_open(now);
    /// let mut chunks = Chunks::new();
    /// assert!(client.poll_transmit_chunks(now, &mut chunks)); // CONNECT
    /// chunks.clear();
    /// client.handle_read(now, b"\x20\x02\x00\x00"); // CONNACK
    ///
    /// let payload = Bytes::from(vec![7; 64 * 1024]);
    /// let topic = TopicName::new("big").unwrap();
    /// client.publish(Message::new(topic, QoS::AtMostOnce, payload.clone())).unwrap();
    /// assert!(client.poll_transmit_chunks(now, &mut chunks));
    /// let parts: Vec<&Bytes> = chunks.iter().collect();
    /// assert_eq!(parts[0][..], b"\x30\x85\x80\x04\x00\x03big"[..]);
    /// assert_eq!(parts[1].as_ptr(), payload.as_ptr(), "the payload is not copied");
    /// ```
    #[must_use]
    pub fn poll_transmit_chunks(&mut self, now: Instant, chunks: &mut Chunks) -> bool {
        if !self.begin_transmit() {
            return false;
        }
        chunks.append(&mut self.chunks);
        chunks.push(self.out.split().freeze());
        self.end_transmit(now);
        true
    }

    /// Encodes the messages the output has room for; whether there is anything to transmit.
    fn begin_transmit(&mut self) -> bool {
        self.send_pending();
        if self.transmit_len() == 0 {
            if self.phase == Phase::Closing {
                self.phase = Phase::Closed;
            }
            return false;
        }
        true
    }

    fn end_transmit(&mut self, now: Instant) {
        self.last_sent = now;
        self.write_progress = now;
        if self.ping_queued.take().is_some() {
            self.ping_deadline = Some(now + self.ping_timeout());
        }
        if let Some(&last) = self.qos0_unhanded.back() {
            self.qos0_transmitted = last;
        }
        self.qos0_unhanded.clear();
        if self.phase == Phase::Closing {
            self.phase = Phase::Closed;
        }
    }

    fn clear_transmit(&mut self) {
        self.chunks.clear();
        self.out.clear();
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due; `None` when no timer runs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Connecting { deadline } => Some(deadline),
            Phase::Connected => match self.ping_deadline {
                _ if self.ping_queued.is_some() => self.ping_queued.map(|q| self.stall_deadline(q)),
                Some(deadline) if self.reading => Some(deadline),
                _ if self.keep_alive.is_zero() => None,
                // No ping outstanding, or reading paused: the next PINGREQ.
                _ => Some(self.last_sent + self.keep_alive),
            },
            Phase::Closing | Phase::Closed => None,
        }
    }

    // ---- commands that are not about messages ----

    /// Answers an AUTH challenge, or starts re-authentication while connected (MQTT 5.0).
    ///
    /// # Errors
    /// [`ClientError::NeedsV5`] before MQTT 5.0, [`ClientError::InvalidState`] without a
    /// connection, [`ClientError::Encode`] for an AUTH that breaks the rules (no method),
    /// [`ClientError::PacketTooLarge`] above the server's Maximum Packet Size.
    pub fn auth(
        &mut self,
        reason_code: ReasonCode,
        properties: AuthProperties,
    ) -> Result<(), ClientError> {
        if !self.version.is_v5() {
            return Err(ClientError::NeedsV5);
        }
        if !matches!(self.phase, Phase::Connecting { .. } | Phase::Connected) {
            return Err(ClientError::InvalidState);
        }
        let mut auth = Auth::new(reason_code);
        auth.properties = properties.into();
        let auth = Packet::Auth(auth);
        encodable(auth.encode(self.version, &mut no_room()))?;
        self.check_size(auth.encoded_len(self.version))?;
        self.encode(&auth)?;
        Ok(())
    }

    /// Ends the connection: queues DISCONNECT with `reason_code` (and in MQTT 5.0 a new Session
    /// Expiry Interval) and reports [`DisconnectReason::ByClient`]. The driver sends what
    /// [`poll_transmit`](Self::poll_transmit) gives, then closes the transport. The session state
    /// stays for the next connection.
    ///
    /// # Errors
    /// [`ClientError::InvalidState`] without a connection; [`ClientError::Encode`] for a reason
    /// code DISCONNECT may not carry; [`ClientError::PacketTooLarge`] for properties that take
    /// it above the server's Maximum Packet Size.
    pub fn disconnect(
        &mut self,
        reason_code: ReasonCode,
        session_expiry_interval: Option<u32>,
    ) -> Result<(), ClientError> {
        let mut properties = DisconnectProperties::default();
        properties.session_expiry_interval = session_expiry_interval;
        self.disconnect_with(reason_code, properties)
    }

    /// [`disconnect`](Self::disconnect) with every DISCONNECT property (MQTT 5.0: a Reason
    /// String, User Properties, …). With Success and no property, DISCONNECT takes its shortest
    /// form.
    ///
    /// # Errors
    /// As [`disconnect`](Self::disconnect).
    pub fn disconnect_with(
        &mut self,
        reason_code: ReasonCode,
        properties: DisconnectProperties,
    ) -> Result<(), ClientError> {
        if !matches!(self.phase, Phase::Connecting { .. } | Phase::Connected) {
            return Err(ClientError::InvalidState);
        }
        let mut disconnect = Disconnect::new(reason_code);
        disconnect.properties = properties.into();
        let disconnect = Packet::Disconnect(disconnect);
        encodable(disconnect.encode(self.version, &mut no_room()))?;
        self.check_size(disconnect.encoded_len(self.version))?;
        self.close(DisconnectReason::ByClient);
        self.encode_infallible(&disconnect);
        self.phase = Phase::Closing;
        Ok(())
    }

    // ---- internals ----

    /// When a PINGREQ queued at `queued` and not yet taken by the driver means a stalled link:
    /// a ping timeout after the later of its queueing and the driver's last progress.
    fn stall_deadline(&self, queued: Instant) -> Instant {
        queued.max(self.write_progress) + self.ping_timeout()
    }

    fn ping_timeout(&self) -> Duration {
        self.config
            .ping_timeout
            .unwrap_or_else(|| self.keep_alive.min(Duration::from_secs(10)))
    }

    fn connect_packet(&self) -> Connect {
        let c = &self.config;
        let mut connect = Connect::new(c.client_id.clone());
        connect.clean_start = c.clean_start;
        connect.keep_alive = c.keep_alive_secs();
        connect.will.clone_from(&c.will);
        connect.username.clone_from(&c.username);
        connect.password.clone_from(&c.password);
        if self.version.is_v5() {
            let p = &mut connect.properties;
            p.session_expiry_interval = c.session_expiry_interval;
            p.receive_maximum = c.receive_maximum.and_then(core::num::NonZeroU16::new);
            p.maximum_packet_size = c.maximum_packet_size.and_then(core::num::NonZeroU32::new);
            p.topic_alias_maximum = (c.topic_alias_maximum > 0).then_some(c.topic_alias_maximum);
            p.request_response_information = c.request_response_information;
            p.request_problem_information = c.request_problem_information;
            p.user_properties.clone_from(&c.user_properties);
            p.authentication_method.clone_from(&c.authentication_method);
            p.authentication_data.clone_from(&c.authentication_data);
        }
        connect
    }

    /// Encodes `packet` into the outgoing bytes.
    fn encode(&mut self, packet: &Packet) -> Result<usize, mqtt_proto::EncodeError> {
        packet.encode(self.version, &mut self.out)
    }

    /// Encodes a packet the client built itself and knows to be valid.
    fn encode_infallible(&mut self, packet: &Packet) {
        // Acknowledgements, PINGREQ and packets already checked when their command was accepted:
        // they cannot fail, and a failure would only drop this packet.
        let _ = self.encode(packet);
    }

    /// Ends the connection with `reason` as its last event. Bytes not yet handed to the driver
    /// are dropped: the connection that was to carry them is gone (what in them matters, QoS 1
    /// and 2 messages and their exchanges, is session state and goes out again).
    fn close(&mut self, reason: DisconnectReason) {
        self.phase = Phase::Closed;
        // QoS 0 messages encoded but not handed over are not sent again: their bytes go.
        while let Some(number) = self.qos0_unhanded.pop_front() {
            self.events.push_back(Event::Failed {
                command: CommandId::Qos0(number),
                error: ClientError::Disconnected,
            });
        }
        self.clear_transmit();
        self.ping_deadline = None;
        self.ping_queued = None;
        // Acknowledgements owed on this connection are moot: the server sends the messages
        // again. QoS 2 identifiers stay, so that a redelivery is not delivered twice.
        self.inbound.clear();
        self.unsend_requests();
        self.events.push_back(Event::Disconnected(reason));
    }

    /// The server broke the protocol: in MQTT 5.0 tell it why, then end the connection.
    fn violation(&mut self, reason_code: ReasonCode, error: Option<DecodeError>) {
        self.close(DisconnectReason::ProtocolViolation { reason_code, error });
        if self.version.is_v5() {
            self.encode_infallible(&Packet::Disconnect(Disconnect::new(reason_code)));
        }
        self.phase = Phase::Closing;
    }

    /// The server's AUTH, answered by the authenticator.
    fn answer_auth(&mut self, reason_code: ReasonCode, properties: &AuthProperties) {
        let Some(authenticator) = self.authenticator.as_mut() else {
            return;
        };
        let method = authenticator.method();
        // Section 4.12: one Authentication Method for the whole exchange.
        if properties.authentication_method.as_ref() != Some(&method) {
            self.violation(ReasonCode::PROTOCOL_ERROR, None);
            return;
        }
        let data = properties.authentication_data.as_ref();
        let outcome = match (reason_code, &self.phase) {
            // [MQTT-4.12.0-2]
            (ReasonCode::CONTINUE_AUTHENTICATION, _) => authenticator.challenge(data),
            // The end of a re-authentication; the first authentication ends with CONNACK.
            (ReasonCode::SUCCESS, Phase::Connected) => authenticator.finish(data).map(|()| None),
            _ => {
                self.violation(ReasonCode::PROTOCOL_ERROR, None);
                return;
            }
        };
        match outcome {
            // [MQTT-4.12.0-3]
            Ok(answer) if reason_code == ReasonCode::CONTINUE_AUTHENTICATION => {
                let mut answer_properties = AuthProperties::default();
                answer_properties.authentication_method = Some(method);
                answer_properties.authentication_data = answer;
                let _ = self.auth(ReasonCode::CONTINUE_AUTHENTICATION, answer_properties);
            }
            Ok(_) => {}
            Err(failure) => self.abandon_authentication(failure),
        }
    }

    /// The authenticator gave up: tell the server (a client may not send Not Authorized), then
    /// end the connection.
    fn abandon_authentication(&mut self, failure: AuthFailed) {
        self.close(DisconnectReason::AuthenticationFailed(failure));
        self.encode_infallible(&Packet::Disconnect(Disconnect::new(
            ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR,
        )));
        self.phase = Phase::Closing;
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
            Packet::PingResp => self.ping_deadline = None,
            // Packets only a client sends ([MQTT-3.1.0-2] and the direction of each packet).
            Packet::Connect(_)
            | Packet::Subscribe(_)
            | Packet::Unsubscribe(_)
            | Packet::PingReq => {
                self.violation(ReasonCode::PROTOCOL_ERROR, None);
            }
        }
    }

    fn handle_connack(&mut self, connack: ConnAck) {
        if !matches!(self.phase, Phase::Connecting { .. }) {
            // A second CONNACK.
            self.violation(ReasonCode::PROTOCOL_ERROR, None);
            return;
        }
        if connack.reason_code.is_error() {
            self.close(DisconnectReason::Refused(connack));
            return;
        }
        if connack.session_present && self.config.clean_start {
            // A clean start leaves the client without session state: a server that claims a
            // session broke [MQTT-3.2.2-2] (5.0; [MQTT-3.2.2-1] of 3.1.1), and a client without
            // session state closes the connection ([MQTT-3.2.2-4] of 5.0).
            self.violation(ReasonCode::PROTOCOL_ERROR, None);
            return;
        }
        self.server = ServerLimits::from_connack(&connack, self.config.keep_alive_secs());
        self.keep_alive = Duration::from_secs(u64::from(self.server.keep_alive));
        if let Some(id) = &connack.properties.assigned_client_identifier {
            self.config.client_id = id.clone();
        }
        if let Some(authenticator) = self.authenticator.as_mut() {
            if let Err(failure) =
                authenticator.finish(connack.properties.authentication_data.as_ref())
            {
                self.abandon_authentication(failure);
                return;
            }
        }
        self.phase = Phase::Connected;
        // Keep alive counts from the last packet sent (CONNECT, or what goes out with the
        // CONNACK's resends), not from this receipt ([MQTT-3.1.2-23] of 3.1.1).
        let session_present = connack.session_present;
        self.events.push_back(Event::Connected(Connected {
            session_present,
            limits: self.server,
            connack,
        }));
        if session_present {
            self.resume_session();
        } else {
            let (reset, after) = self.reset_session();
            if reset != SessionReset::default() {
                self.events.push_back(Event::SessionReset(reset));
            }
            self.events.extend(after);
        }
        self.send_requests();
        self.send_pending();
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

    /// Takes a packet identifier for a new exchange.
    fn allocate_id(&mut self) -> Result<PacketId, ClientError> {
        self.ids.allocate().ok_or(ClientError::PacketIdsExhausted)
    }
}

/// A buffer with no room: encoding into it runs every check of `encode` and writes nothing.
fn no_room() -> &'static mut [u8] {
    &mut []
}

/// The outcome of encoding into [`no_room`]: only a refusal other than the lack of room counts.
fn encodable(result: Result<usize, mqtt_proto::EncodeError>) -> Result<(), ClientError> {
    match result {
        Ok(_) | Err(mqtt_proto::EncodeError::BufferTooSmall { .. }) => Ok(()),
        Err(e) => Err(ClientError::Encode(e)),
    }
}

/// A PINGREQ packet.
const PINGREQ: [u8; 2] = [0xC0, 0x00];

/// A 3.x CONNACK refusing the protocol version: type 2, remaining length 2, no flags, return
/// code 0x01.
const V3_UNACCEPTABLE_VERSION: [u8; 4] = [0x20, 0x02, 0x00, 0x01];

/// The timer behind [`Client::poll_timeout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timer {
    /// Waiting for CONNACK.
    ConnAck,
    /// The next PINGREQ is due when nothing was sent for a keep alive interval.
    KeepAlive,
    /// Waiting for PINGRESP.
    PingResp,
}
