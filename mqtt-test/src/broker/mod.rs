//! A scriptable sans-IO MQTT server for one client connection at a time.

mod config;
mod handle;
mod session;
mod violation;

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    Auth, Connect, DecodeError, Disconnect, DisconnectProperties, Limits, Packet, PacketId,
    ProtocolVersion, Publish, QoS, QosPid, ReasonCode, TopicName,
};

pub use config::{BrokerConfig, ConnectAnswer};
pub use session::{Session, SessionSubscription};
pub use violation::Violation;

use session::{Outbound, OutboundState};

/// Where the current connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No CONNECT received yet.
    AwaitingConnect,
    /// CONNECT received and not answered ([`ConnectAnswer::NoAnswer`]).
    ConnectPending,
    /// CONNACK with Success sent.
    Open,
    /// The broker closed the connection, or the test said it ended.
    Closed,
}

/// The state of one TCP connection.
#[derive(Debug)]
struct Connection {
    phase: Phase,
    version: Option<ProtocolVersion>,
    inbound: BytesMut,
    outbound: BytesMut,
    /// The CONNECT, kept until it is answered.
    pending_connect: Option<Box<Connect>>,
    /// Whether the session outlives this connection.
    persistent: bool,
    /// The client's Receive Maximum: outbound QoS 1 and 2 messages in flight at most.
    client_receive_maximum: u16,
    /// Topic aliases the client set on this connection.
    topic_aliases: BTreeMap<u16, TopicName>,
    /// Acknowledgements held back by [`FakeBroker::hold_acks`].
    held_acks: Vec<Packet>,
}

impl Connection {
    fn new() -> Self {
        Self {
            phase: Phase::AwaitingConnect,
            version: None,
            inbound: BytesMut::new(),
            outbound: BytesMut::new(),
            pending_connect: None,
            persistent: false,
            client_receive_maximum: u16::MAX,
            topic_aliases: BTreeMap::new(),
            held_acks: Vec::new(),
        }
    }
}

/// A scriptable, deterministic MQTT server for one client connection at a time, with no I/O.
///
/// Feed it the client's bytes with [`handle_read`](Self::handle_read) (any chunking) and send
/// what [`poll_transmit`](Self::poll_transmit) returns to the client. It learns the protocol
/// version (3.1, 3.1.1 or 5.0) from the CONNECT, answers as its [`BrokerConfig`] says, keeps
/// the session of each client identifier across connections as a real broker does
/// (subscriptions, unacknowledged outbound QoS 1 and 2 messages, inbound QoS 2 state), routes
/// the client's own publications back to it when they match its subscriptions, and records
/// everything it received ([`received`](Self::received)), sent ([`sent`](Self::sent)) and found
/// wrong ([`violations`](Self::violations)). Client bytes never make it panic.
///
/// ```
/// use mqtt_proto::{
///     Connect, MqttString, Packet, PacketId, ProtocolVersion, QoS, QosPid, Publish, Subscribe,
///     Subscription, TopicFilter, TopicName,
/// };
/// use mqtt_test::{decode_all, encode, BrokerConfig, FakeBroker};
///
/// let v = ProtocolVersion::V3_1_1;
/// let id = |n| PacketId::new(n).unwrap();
/// let mut broker = FakeBroker::new(BrokerConfig::new());
/// broker.handle_read(&encode(v, &Connect::new(MqttString::new("c").unwrap()).into()));
/// let sub = Subscription::new(TopicFilter::new("a/+").unwrap(), QoS::AtLeastOnce);
/// broker.handle_read(&encode(v, &Subscribe::new(id(1), vec![sub]).into()));
/// let publish = Publish::new(TopicName::new("a/b").unwrap(), QosPid::AtLeastOnce(id(2)), "x");
/// broker.handle_read(&encode(v, &publish.into()));
///
/// let out = decode_all(v, &broker.poll_transmit().unwrap());
/// // CONNACK, SUBACK, PUBACK for the client's message, then the message routed back to it.
/// assert!(matches!(out[..], [
///     Packet::ConnAck(_), Packet::SubAck(_), Packet::PubAck(_), Packet::Publish(ref p)
/// ] if p.topic() == "a/b" && p.qos_pid == QosPid::AtLeastOnce(id(1))));
/// assert_eq!(out, broker.sent());
/// ```
#[derive(Debug)]
pub struct FakeBroker {
    config: BrokerConfig,
    sessions: BTreeMap<String, Session>,
    conn: Connection,
    /// The client identifier of the current or last connection.
    client_id: Option<String>,
    hold_acks: bool,
    received: Vec<Packet>,
    sent: Vec<Packet>,
    violations: Vec<Violation>,
    connections: usize,
    assigned_ids: u32,
}

impl FakeBroker {
    /// A broker with `config`, waiting for the first connection's CONNECT.
    #[must_use]
    pub fn new(config: BrokerConfig) -> Self {
        Self {
            config,
            sessions: BTreeMap::new(),
            conn: Connection::new(),
            client_id: None,
            hold_acks: false,
            received: Vec::new(),
            sent: Vec::new(),
            violations: Vec::new(),
            connections: 1,
            assigned_ids: 0,
        }
    }

    /// The script.
    #[must_use]
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The script, to change during a test.
    pub fn config_mut(&mut self) -> &mut BrokerConfig {
        &mut self.config
    }

    // ----- Inputs -------------------------------------------------------------------------------

    /// Takes bytes the client sent, in any chunking, and reacts to every complete packet.
    ///
    /// Bytes arriving after the broker closed the connection are ignored. Malformed bytes are
    /// recorded as a [`Violation::Decode`] and close the connection (MQTT 5.0: with a DISCONNECT,
    /// or a CONNACK while connecting, carrying the error's reason code).
    pub fn handle_read(&mut self, bytes: &[u8]) {
        if self.conn.phase == Phase::Closed {
            return;
        }
        self.conn.inbound.extend_from_slice(bytes);
        while self.conn.phase != Phase::Closed {
            let version = match self.conn.version {
                Some(version) => version,
                None => match ProtocolVersion::of_connect(&self.conn.inbound) {
                    Ok(None) => return,
                    Ok(Some(version)) => *self.conn.version.insert(version),
                    Err(error) => {
                        self.connect_failed(error);
                        return;
                    }
                },
            };
            let limits = self.limits();
            match Packet::decode(version, &mut self.conn.inbound, &limits) {
                Ok(None) => return,
                Ok(Some(packet)) => {
                    self.received.push(packet.clone());
                    self.handle_packet(version, packet);
                }
                Err(error) => self.fail(Violation::Decode(error)),
            }
        }
    }

    /// The TCP connection ended (the client closed it, or the network failed).
    ///
    /// Bytes not yet taken with [`poll_transmit`](Self::poll_transmit) are lost; the session
    /// is kept if it is persistent (MQTT 3.x: Clean Session 0; MQTT 5.0: a Session Expiry
    /// Interval above 0, which never expires here).
    pub fn connection_closed(&mut self) {
        self.close();
        self.conn.outbound.clear();
    }

    /// A new TCP connection from the client: the broker waits for its CONNECT. Ends the current
    /// connection first if it is still open.
    pub fn new_connection(&mut self) {
        self.connection_closed();
        self.conn = Connection::new();
        self.connections += 1;
    }

    // ----- Outputs ------------------------------------------------------------------------------

    /// Everything the broker has to send to the client, or `None`.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.conn.outbound.is_empty() {
            return None;
        }
        Some(self.conn.outbound.split().freeze())
    }

    /// Every packet received from the client, in order, across connections.
    #[must_use]
    pub fn received(&self) -> &[Packet] {
        &self.received
    }

    /// Takes the packets received so far, leaving the transcript empty.
    pub fn take_received(&mut self) -> Vec<Packet> {
        std::mem::take(&mut self.received)
    }

    /// Every packet the broker sent, in order, across connections; raw bytes from
    /// [`send_raw`](Self::send_raw) are not included.
    #[must_use]
    pub fn sent(&self) -> &[Packet] {
        &self.sent
    }

    /// Takes the packets sent so far, leaving that transcript empty.
    pub fn take_sent(&mut self) -> Vec<Packet> {
        std::mem::take(&mut self.sent)
    }

    /// The rules the client broke, in order.
    #[must_use]
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The decode errors among the [`violations`](Self::violations).
    pub fn decode_errors(&self) -> impl Iterator<Item = &DecodeError> {
        self.violations.iter().filter_map(|v| match v {
            Violation::Decode(error) => Some(error),
            _ => None,
        })
    }

    // ----- Getters ------------------------------------------------------------------------------

    /// The protocol version of the current connection, once its CONNECT was seen.
    #[must_use]
    pub fn version(&self) -> Option<ProtocolVersion> {
        self.conn.version
    }

    /// Whether the current connection has been accepted and not closed.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.conn.phase == Phase::Open
    }

    /// Whether the current connection is closed, by the broker or by
    /// [`connection_closed`](Self::connection_closed). A driver then closes the client's side.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.conn.phase == Phase::Closed
    }

    /// Whether a CONNECT waits for [`answer_connect`](Self::answer_connect).
    #[must_use]
    pub fn is_connect_pending(&self) -> bool {
        self.conn.phase == Phase::ConnectPending
    }

    /// The client identifier of the current or last accepted connection (assigned by the
    /// broker when the client sent an empty one).
    #[must_use]
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// The number of connections so far, the current one included.
    #[must_use]
    pub fn connections(&self) -> usize {
        self.connections
    }

    /// The session of `client_id`, if the broker holds one.
    #[must_use]
    pub fn session(&self, client_id: &str) -> Option<&Session> {
        self.sessions.get(client_id)
    }

    /// Forgets the session of `client_id`, as when its expiry interval elapses.
    pub fn expire_session(&mut self, client_id: &str) {
        self.sessions.remove(client_id);
    }

    // ----- Scripting ----------------------------------------------------------------------------

    /// Answers the pending CONNECT (see [`ConnectAnswer::NoAnswer`]); `false` when none waits.
    pub fn answer_connect(&mut self, answer: ConnectAnswer) -> bool {
        if self.conn.phase != Phase::ConnectPending {
            return false;
        }
        match answer {
            ConnectAnswer::NoAnswer => {}
            ConnectAnswer::Refuse(code) => self.refuse(code),
            ConnectAnswer::Accept => self.accept(),
        }
        true
    }

    /// Whether to hold back PUBACK, PUBREC and PUBCOMP answering the client, from now on, until
    /// [`release_acks`](Self::release_acks). Turning it off does not release what is held.
    pub fn hold_acks(&mut self, hold: bool) {
        self.hold_acks = hold;
    }

    /// The acknowledgements held back, in the order they were made; reorder or drop them freely
    /// before [`release_acks`](Self::release_acks).
    pub fn held_acks_mut(&mut self) -> &mut Vec<Packet> {
        &mut self.conn.held_acks
    }

    /// Sends the held acknowledgements in their current order.
    pub fn release_acks(&mut self) {
        for ack in std::mem::take(&mut self.conn.held_acks) {
            self.transmit(&ack);
        }
    }

    /// Sends the held acknowledgements newest first.
    pub fn release_acks_reversed(&mut self) {
        self.conn.held_acks.reverse();
        self.release_acks();
    }

    /// Sends `publish` to the client as a broker delivers a message: QoS 1 and 2 get a fresh
    /// packet identifier (any given one is replaced), are tracked until acknowledged, wait for
    /// room under the client's Receive Maximum, and are kept in a persistent session while the
    /// client is away. Returns the identifier, `None` for QoS 0 or when the message was dropped
    /// (no session, or QoS 0 while not connected).
    pub fn publish_to_client(&mut self, mut publish: Publish) -> Option<PacketId> {
        publish.dup = false;
        let qos = publish.qos();
        self.deliver(publish, qos)
    }

    /// Sends `packet` as it is, without tracking it: for packets a test wants exactly (a PUBLISH
    /// with a chosen packet identifier, an unsolicited acknowledgement...). Dropped when the
    /// connection is closed.
    ///
    /// # Panics
    /// When `packet` cannot be encoded for the connection's version (MQTT 5.0 before a CONNECT
    /// was seen).
    pub fn send_packet(&mut self, packet: &Packet) {
        self.transmit(packet);
    }

    /// Sends `bytes` as they are. Dropped when the connection is closed.
    pub fn send_raw(&mut self, bytes: impl AsRef<[u8]>) {
        if self.conn.phase != Phase::Closed {
            self.conn.outbound.extend_from_slice(bytes.as_ref());
        }
    }

    /// Sends a DISCONNECT (MQTT 5.0) and closes the connection. MQTT 3.x has no server
    /// DISCONNECT: the connection is only closed.
    pub fn send_disconnect(&mut self, reason_code: ReasonCode, properties: DisconnectProperties) {
        if self.conn.version.is_some_and(ProtocolVersion::is_v5) {
            let mut disconnect = Disconnect::new(reason_code);
            disconnect.properties = properties.into();
            self.transmit(&disconnect.into());
        }
        self.close();
    }

    /// Sends an AUTH packet, a step of enhanced authentication (MQTT 5.0). The client's AUTH
    /// packets are in [`received`](Self::received).
    ///
    /// # Panics
    /// When the connection is not MQTT 5.0 or `auth` breaks an encoding rule.
    pub fn send_auth(&mut self, auth: Auth) {
        self.transmit(&auth.into());
    }

    // ----- Internals ----------------------------------------------------------------------------

    fn limits(&self) -> Limits {
        let mut limits = self.config.limits;
        if self.conn.phase == Phase::Open && self.is_v5() {
            if let Some(max) = self.config.connack_properties.maximum_packet_size {
                limits.max_packet_size = limits.max_packet_size.min(max.get());
            }
        }
        limits
    }

    fn is_v5(&self) -> bool {
        self.conn.version.is_some_and(ProtocolVersion::is_v5)
    }

    /// Encodes and queues `packet`, recording it; nothing when the connection is closed.
    fn transmit(&mut self, packet: &Packet) {
        if self.conn.phase == Phase::Closed {
            return;
        }
        let version = self.conn.version.unwrap_or(ProtocolVersion::V5);
        if let Err(error) = packet.encode(version, &mut self.conn.outbound) {
            panic!("the fake broker cannot encode {packet:?} for {version}: {error}");
        }
        self.sent.push(packet.clone());
    }

    /// Sends an acknowledgement of the client's publication, or holds it.
    fn acknowledge(&mut self, ack: Packet) {
        if self.hold_acks {
            self.conn.held_acks.push(ack);
        } else {
            self.transmit(&ack);
        }
    }

    /// Records `violation` and closes the connection, telling an MQTT 5.0 client why.
    fn fail(&mut self, violation: Violation) {
        let code = violation.reason_code();
        self.violations.push(violation);
        if self.is_v5() {
            match self.conn.phase {
                Phase::Open => self.transmit(&Disconnect::new(code).into()),
                Phase::AwaitingConnect | Phase::ConnectPending => {
                    if code.is_valid_for(mqtt_proto::PacketType::ConnAck) {
                        self.transmit(&mqtt_proto::ConnAck::new(false, code).into());
                    }
                }
                Phase::Closed => {}
            }
        }
        self.close();
    }

    /// The first bytes are not a CONNECT of a known version: an unknown protocol level is
    /// answered with return code 1 in the 3.1.1 format (\[MQTT-3.1.2-2\]), anything else closes.
    fn connect_failed(&mut self, error: DecodeError) {
        if matches!(
            error,
            DecodeError::UnsupportedProtocolVersion(_) | DecodeError::InvalidProtocolName
        ) {
            self.conn.version = Some(ProtocolVersion::V3_1_1);
            let refuse = mqtt_proto::ConnAck::new(false, ReasonCode::UNSUPPORTED_PROTOCOL_VERSION);
            self.transmit(&refuse.into());
            self.conn.version = None;
        }
        self.violations.push(Violation::Decode(error));
        self.close();
    }

    /// A 5.0 CONNECT to a broker of 3.1.1 only: return code 1 in the 3.1.1 format
    /// (\[MQTT-3.1.2-2\]), then the connection closes.
    pub(super) fn refuse_v5(&mut self) {
        self.conn.version = Some(ProtocolVersion::V3_1_1);
        let refuse = mqtt_proto::ConnAck::new(false, ReasonCode::UNSUPPORTED_PROTOCOL_VERSION);
        self.transmit(&refuse.into());
        self.close();
    }

    /// Ends the connection: a non-persistent session goes, held acknowledgements are lost.
    fn close(&mut self) {
        if self.conn.phase == Phase::Closed {
            return;
        }
        if self.conn.phase == Phase::Open && !self.conn.persistent {
            if let Some(id) = &self.client_id {
                self.sessions.remove(id);
            }
        }
        self.conn.phase = Phase::Closed;
        self.conn.inbound.clear();
        self.conn.held_acks.clear();
        self.conn.pending_connect = None;
    }

    /// Queues an outbound message for the current client and sends what the window allows.
    fn deliver(&mut self, mut publish: Publish, qos: QoS) -> Option<PacketId> {
        if qos == QoS::AtMostOnce {
            if self.conn.phase == Phase::Open {
                publish.qos_pid = QosPid::AtMostOnce;
                self.transmit(&publish.into());
            }
            return None;
        }
        let session = self.sessions.get_mut(self.client_id.as_deref()?)?;
        let packet_id = session.allocate_id()?;
        publish.qos_pid = QosPid::new(qos, packet_id);
        session.outbound.push_back(Outbound {
            publish,
            packet_id,
            state: OutboundState::Queued,
        });
        self.pump();
        Some(packet_id)
    }

    /// Sends queued outbound messages while the client's Receive Maximum allows.
    fn pump(&mut self) {
        if self.conn.phase != Phase::Open {
            return;
        }
        let window = usize::from(self.conn.client_receive_maximum);
        let Some(session) = self
            .client_id
            .as_deref()
            .and_then(|id| self.sessions.get_mut(id))
        else {
            return;
        };
        let mut to_send = Vec::new();
        let mut in_flight = session.in_flight();
        for outbound in &mut session.outbound {
            if in_flight >= window {
                break;
            }
            if outbound.state == OutboundState::Queued {
                outbound.state = match outbound.publish.qos() {
                    QoS::ExactlyOnce => OutboundState::AwaitingPubRec,
                    _ => OutboundState::AwaitingPubAck,
                };
                in_flight += 1;
                to_send.push(outbound.publish.clone());
            }
        }
        for publish in to_send {
            self.transmit(&publish.into());
        }
    }
}
