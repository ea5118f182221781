//! What every driver keeps beside the session: who waits for which command, when a QoS 0
//! message counts as sent, flushes, a draining disconnect, room for more commands, and the
//! reconnect decision. A driver attaches a tag of its own to each command (a reply channel, a
//! token) and gets it back with the command's outcome, so it only moves bytes, sleeps and wakes.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::time::Duration;

use alloc::boxed::Box;
use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    AckProperties, AuthProperties, ConnAck, DisconnectProperties, MqttString, PacketId, Publish,
    ReasonCode, SubscribeProperties, Subscription, TopicFilter, UnsubscribeProperties,
};

use crate::id_map::IdMap;
use crate::reconnect::{End, Next, Policy, Reconnect};
use crate::{
    Authenticator, Chunks, Client, ClientError, CommandId, Config, DisconnectReason, Event,
    Instant, Message, Retry, ServerLimits, SessionReset,
};

/// What a finished publish reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// The packet identifier (QoS 1 and 2).
    pub packet_id: Option<PacketId>,
    /// The broker's reason code (MQTT 5.0); success for 3.x and QoS 0.
    pub reason_code: ReasonCode,
    /// The properties of the PUBACK or PUBCOMP (MQTT 5.0): a Reason String, User Properties.
    pub properties: AckProperties,
}

/// What a finished subscribe or unsubscribe reports: the SUBACK's or UNSUBACK's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Acked {
    /// One code per filter, in order: the granted QoS (0x00 to 0x02) or a failure. None for an
    /// UNSUBACK of MQTT 3.1.1, which has no codes.
    pub reason_codes: Vec<ReasonCode>,
    /// The acknowledgement's properties (MQTT 5.0): a Reason String, User Properties.
    pub properties: AckProperties,
}

/// Why a command did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The session refused it.
    Client(ClientError),
    /// The broker answered with a failure reason code.
    Failed(ReasonCode),
    /// The connection ended before a QoS 0 message was written (it is not sent again).
    Disconnected(DisconnectReason),
    /// The client stopped first.
    Closed,
}

/// The outcome of a command, with the tag it came with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Done {
    /// A publish: acknowledged (QoS 1, 2) or written (QoS 0).
    Published(Result<Published, Failure>),
    /// A subscribe or unsubscribe: one code per filter, and the acknowledgement's properties.
    Codes(Result<Acked, Failure>),
    /// A flush, a disconnect or an abort.
    Unit(Result<(), Failure>),
}

/// A change in the connection, for the application.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// Connected; whether the broker resumed the session, and its limits.
    Connected {
        /// Whether the broker had a session.
        session_present: bool,
        /// The broker's limits for this connection.
        limits: ServerLimits,
        /// The CONNACK, with every property (MQTT 5.0): an Assigned Client Identifier, Server
        /// Keep Alive, Response Information, a Reason String, User Properties, …
        connack: ConnAck,
    },
    /// An AUTH from the broker while no [`Authenticator`] is set (MQTT 5.0 enhanced
    /// authentication): the application answers with [`Supervisor::auth`] unless it reports
    /// success.
    Auth {
        /// Continue Authentication, Re-authenticate or Success.
        reason_code: ReasonCode,
        /// The Authentication Method and Data, a Reason String, User Properties.
        properties: AuthProperties,
    },
    /// The broker had no session: what was subscribed again and queued again.
    SessionReset(SessionReset),
    /// The connection ended.
    Disconnected(DisconnectReason),
    /// The server answered the subscriptions made again after it lost the session: each
    /// filter with its granted QoS or failure code (see
    /// [`Event::Resubscribed`](crate::Event::Resubscribed)).
    Resubscribed(Vec<(TopicFilter, ReasonCode)>),
    /// The duplicate guard held back a QoS 2 message the broker sent again after it was
    /// completed (see [`Event::DuplicateSuppressed`](crate::Event::DuplicateSuppressed)).
    DuplicateSuppressed {
        /// The broker's packet identifier.
        packet_id: PacketId,
    },
    /// Another connection with the same client identifier took the session over (MQTT 5.0
    /// DISCONNECT 0x8E); [`Policy::takeover`] says whether the client stops or comes back
    /// later (then [`Reconnecting`](Self::Reconnecting) follows).
    SessionTakenOver,
    /// Waiting before the next attempt.
    Reconnecting {
        /// The attempt that comes next, from 1.
        attempt: u32,
        /// How long the client waits first.
        delay: Duration,
    },
    /// The client stopped: a fatal refusal, or `disconnect`.
    Stopped,
    /// The application read events more slowly than they came: this many were dropped (the
    /// oldest) before the ones that follow. Made by the adapters' event queues, never by the
    /// supervisor.
    Lagged {
        /// How many events were dropped.
        missed: u64,
    },
}

/// What the driver takes from [`Supervisor::poll_output`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Output<T> {
    /// A command finished: answer whoever `T` stands for.
    Done(T, Done),
    /// A received message for the application.
    Message(Publish),
    /// A change in the connection; after `Disconnected` the driver writes what is left (a
    /// DISCONNECT), closes the transport and calls [`Supervisor::closed`].
    Event(ConnectionEvent),
}

/// Who waits for a message.
#[derive(Debug)]
enum Waiter<T> {
    /// A publish with a tag.
    Tagged(T),
    /// A message given to `send`, by number.
    Sent(u64),
}

impl<T> Waiter<T> {
    fn sent(&self) -> Option<u64> {
        match self {
            Self::Sent(number) => Some(*number),
            Self::Tagged(_) => None,
        }
    }
}

/// The session and the bookkeeping around it, for a driver: who waits for which command, when
/// a QoS 0 message counts as sent, flushes, a draining disconnect, room for more commands, and
/// the reconnect decision. A driver attaches a tag of its own to each command (a reply channel,
/// a token) and gets it back with the command's outcome.
///
/// The driver's loop is the one of [`Client`], through these methods:
/// - when the transport opens, [`transport_open`](Self::transport_open); bytes go to
///   [`read`](Self::read), a passed [`poll_timeout`](Self::poll_timeout) to
///   [`timeout`](Self::timeout), a closed transport to
///   [`transport_closed`](Self::transport_closed);
/// - after each write that made progress, [`write_progress`](Self::write_progress) (a PINGREQ
///   waiting behind a large payload on a slow link is not late); once the write buffer is
///   written, [`written`](Self::written), then [`transmit`](Self::transmit) for the next bytes
///   (64 KiB of messages at most: an ack or a PINGREQ never waits long behind them);
/// - commands only while [`has_room`](Self::has_room); then [`poll_output`](Self::poll_output)
///   until `None`, answering each tag;
/// - after `Disconnected`, [`closed`](Self::closed), then [`next`](Self::next) says whether to
///   connect again, and when ([`Reconnect`]: the backoff starts afresh only after connections
///   stay up for [`Policy::stable_after`]).
///
/// Every command gets its tag back exactly once: a message the session accepted and later
/// could not send (new limits after a reconnect, a QoS 0 message whose connection ended first,
/// a QoS 2 message in doubt) fails with [`Failure::Client`] or [`Failure::Disconnected`]; a
/// message sent again under a new packet identifier after a session loss completes under it.
///
/// ```
/// use bytes::{Buf, BytesMut};
/// use mqtt_proto::{MqttString, QoS, TopicName};
/// use mqtt_sansio::{Chunks, Config, ConnectionEvent, Instant, Message, Output, Policy, Supervisor};
/// use mqtt_test::FakeBroker;
///
/// let config = Config::new(MqttString::from_static("supervised"));
/// let mut s: Supervisor<&str> = Supervisor::new(config, Policy::default());
/// let mut broker = FakeBroker::new(Default::default());
/// let now = Instant::ZERO;
/// s.handle_transport_open(now);
/// s.publish(Message::new(TopicName::new("a").unwrap(), QoS::AtLeastOnce, "x"), "caller 1");
/// let mut out = Chunks::new();
/// // Bytes go back and forth until the broker has acknowledged.
/// for _ in 0..4 {
///     while s.poll_transmit(now, &mut out) {
///         broker.handle_read(&out.copy_to_bytes(out.len()));
///         s.handle_written();
///     }
///     while let Some(bytes) = broker.poll_transmit() {
///         let mut bytes = BytesMut::from(&bytes[..]);
///         s.handle_read(now, &mut bytes);
///     }
/// }
/// let mut outputs = Vec::new();
/// while let Some(output) = s.poll_output() {
///     outputs.push(output);
/// }
/// assert!(matches!(outputs[0], Output::Event(ConnectionEvent::Connected { .. })));
/// assert!(matches!(outputs[1], Output::Done("caller 1", _)));
/// ```
pub struct Supervisor<T> {
    client: Client,
    policy: Policy,
    publishes: IdMap<Waiter<T>>,
    requests: IdMap<T>,
    /// QoS 0 messages in the session, by their number there ([`Client::qos0_accepted`]).
    qos0: VecDeque<(u64, Waiter<T>)>,
    /// QoS 0 messages in the driver's write buffer.
    buffered: Vec<Waiter<T>>,
    /// QoS 0 messages whose connection ended before they were handed over, until its
    /// `Disconnected` says why.
    lost: Vec<Waiter<T>>,
    /// The number of the last message given to `send`.
    sent: u64,
    send_failure: Option<Failure>,
    /// Flushes waiting, with the number of the last message each covers.
    flushes: VecDeque<(u64, T)>,
    /// A draining disconnect: DISCONNECT once every message is acknowledged, or at this instant.
    draining: Option<Instant>,
    stopping: Vec<T>,
    /// The driver must stop at once (`abort`, or `disconnect` without a connection).
    halt: bool,
    /// Every handle is gone.
    abandoned: bool,
    /// The reason code and properties of the DISCONNECT a draining disconnect ends with.
    farewell: Option<(ReasonCode, DisconnectProperties)>,
    reconnect: Reconnect,
    /// The instant of the latest input.
    clock: Instant,
    outputs: VecDeque<Output<T>>,
}

impl<T> Supervisor<T> {
    /// A supervisor of a new session.
    #[must_use]
    pub fn new(config: Config, policy: Policy) -> Self {
        Self {
            client: Client::new(config),
            publishes: IdMap::new(),
            requests: IdMap::new(),
            qos0: VecDeque::new(),
            buffered: Vec::new(),
            lost: Vec::new(),
            sent: 0,
            send_failure: None,
            flushes: VecDeque::new(),
            draining: None,
            stopping: Vec::new(),
            halt: false,
            abandoned: false,
            farewell: None,
            reconnect: Reconnect::new(&policy),
            policy,
            clock: Instant::ZERO,
            outputs: VecDeque::new(),
        }
    }

    /// The session.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The session itself, for what a driver does not need (tests, tools). A driver needs
    /// none of it: every input it has is a method of the supervisor.
    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The user name and password of the next CONNECT (fresh credentials before an attempt).
    pub fn set_credentials(&mut self, username: Option<MqttString>, password: Option<Bytes>) {
        self.client.set_credentials(username, password);
    }

    /// Answers the server's AUTH packets (MQTT 5.0 enhanced authentication) with `authenticator`.
    pub fn set_authenticator(&mut self, authenticator: Box<dyn Authenticator>) {
        self.client.set_authenticator(authenticator);
    }

    /// The policy.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    // ---- inputs ----

    /// The transport is open: CONNECT is queued.
    pub fn handle_transport_open(&mut self, now: Instant) {
        self.clock = now;
        self.client.handle_transport_open(now);
    }

    /// Bytes arrived, in the driver's read buffer ([`Client::handle_read_buf`]).
    pub fn handle_read(&mut self, now: Instant, buf: &mut BytesMut) {
        self.clock = now;
        self.client.handle_read_buf(now, buf);
    }

    /// The transport closed.
    pub fn handle_transport_closed(&mut self, now: Instant) {
        self.client.handle_transport_closed(now);
    }

    /// The driver stopped reading the transport (the application's stream is full, or it
    /// paused reading): [`Client::handle_read_paused`].
    pub fn handle_read_paused(&mut self, now: Instant) {
        self.clock = now;
        self.client.handle_read_paused(now);
    }

    /// The driver reads the transport again: [`Client::handle_read_resumed`].
    pub fn handle_read_resumed(&mut self, now: Instant) {
        self.clock = now;
        self.client.handle_read_resumed(now);
    }

    /// [`poll_timeout`](Self::poll_timeout) has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.client.poll_timeout().is_some_and(|t| t <= now) {
            self.client.handle_timeout(now);
        }
        self.drain(now);
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.client.poll_timeout(), self.draining) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves the session's next bytes into `chunks` when it is empty (nothing is copied: see
    /// [`Client::poll_transmit_chunks`]); `true` if there were any. Call it again once they
    /// are written ([`handle_written`](Self::handle_written)).
    #[must_use = "the bytes in `chunks` are for the transport"]
    pub fn poll_transmit(&mut self, now: Instant, chunks: &mut Chunks) -> bool {
        self.drain(now);
        if !chunks.is_empty() {
            return false;
        }
        let any = self.client.poll_transmit_chunks(now, chunks);
        // Messages that failed on the way out leave the queue first: every other QoS 0 message
        // up to the last one handed over is in `chunks`.
        self.absorb_events();
        let through = self.client.qos0_transmitted();
        while self
            .qos0
            .front()
            .is_some_and(|(number, _)| *number <= through)
        {
            if let Some((_, waiter)) = self.qos0.pop_front() {
                self.buffered.push(waiter);
            }
        }
        any
    }

    /// Some of what [`poll_transmit`](Self::poll_transmit) gave was written
    /// ([`Client::handle_write_progress`]): on a slow link the PINGREQ waiting behind it is not
    /// late.
    pub fn handle_write_progress(&mut self, now: Instant) {
        self.client.handle_write_progress(now);
    }

    /// Everything [`poll_transmit`](Self::poll_transmit) gave is written (and flushed): the
    /// QoS 0 messages in it are done.
    pub fn handle_written(&mut self) {
        // Drained in place: the buffer keeps its room for the next write (no allocation per
        // write).
        for waiter in self.buffered.drain(..) {
            if let Waiter::Tagged(tag) = waiter {
                self.outputs.push_back(Output::Done(
                    tag,
                    Done::Published(Ok(Published {
                        packet_id: None,
                        reason_code: ReasonCode::SUCCESS,
                        properties: AckProperties::default(),
                    })),
                ));
            }
        }
        self.settle_flushes();
    }

    /// The driver closed the transport after `Disconnected`; `written` says whether what was
    /// left in its buffer was written. Returns how the connection ended.
    #[must_use = "how the connection ended decides what comes next"]
    pub fn handle_closed(&mut self, reason: DisconnectReason, written: bool) -> End {
        if written {
            self.handle_written();
        } else {
            let buffered = core::mem::take(&mut self.buffered);
            self.fail_qos0(buffered, &Failure::Disconnected(reason.clone()));
            self.settle_flushes();
        }
        if self.halt || !self.stopping.is_empty() || self.abandoned {
            End::Stop
        } else {
            End::Reason(reason)
        }
    }

    // ---- commands ----

    /// Whether to take another command: false while a disconnect drains, and while the
    /// session holds as many messages as the policy allows (commands then wait in the driver's
    /// queue, and its callers wait for room).
    #[must_use]
    pub fn has_room(&self) -> bool {
        // Never past the session's own bound: a command taken then would fail with
        // QueueFull instead of waiting for room.
        let max_pending = self.client.config().max_pending;
        let most = if self.client.is_connected() {
            self.policy.connected_pending.min(max_pending)
        } else {
            max_pending
        };
        self.draining.is_none()
            && self.client.pending() < most
            && self.client.pending_bytes() + self.client.transmit_len() < self.policy.pending_bytes
    }

    /// Whether the driver must stop now (after `abort`, or `disconnect` without a connection).
    #[must_use]
    pub fn must_stop(&self) -> bool {
        self.halt
    }

    /// Publishes `message`; `tag` comes back with the outcome.
    pub fn publish(&mut self, message: Message, tag: T) {
        match self.client.publish(message) {
            Ok(Some(id)) => self.publishes.insert(id.get(), Waiter::Tagged(tag)),
            Ok(None) => self
                .qos0
                .push_back((self.client.qos0_accepted(), Waiter::Tagged(tag))),
            Err(e) => self
                .outputs
                .push_back(Output::Done(tag, Done::Published(Err(Failure::Client(e))))),
        }
    }

    /// Publishes `message` without a tag: a later [`flush`](Self::flush) reports its outcome.
    pub fn send(&mut self, message: Message) {
        self.sent += 1;
        match self.client.publish(message) {
            Ok(Some(id)) => self.publishes.insert(id.get(), Waiter::Sent(self.sent)),
            Ok(None) => self
                .qos0
                .push_back((self.client.qos0_accepted(), Waiter::Sent(self.sent))),
            Err(e) => {
                self.send_failure.get_or_insert(Failure::Client(e));
            }
        }
    }

    /// Done once every message given to [`send`](Self::send) before it is, with the first
    /// failure among them since the last flush.
    pub fn flush(&mut self, tag: T) {
        self.flushes.push_back((self.sent, tag));
        self.settle_flushes();
    }

    /// Subscribes; `tag` comes back with one code per filter.
    pub fn subscribe(
        &mut self,
        subscriptions: Vec<Subscription>,
        properties: SubscribeProperties,
        tag: T,
    ) {
        match self.client.subscribe(subscriptions, properties) {
            Ok(id) => self.requests.insert(id.get(), tag),
            Err(e) => self
                .outputs
                .push_back(Output::Done(tag, Done::Codes(Err(Failure::Client(e))))),
        }
    }

    /// Unsubscribes; `tag` comes back with the codes (empty for 3.x).
    pub fn unsubscribe(
        &mut self,
        filters: Vec<TopicFilter>,
        properties: UnsubscribeProperties,
        tag: T,
    ) {
        match self.client.unsubscribe(filters, properties) {
            Ok(id) => self.requests.insert(id.get(), tag),
            Err(e) => self
                .outputs
                .push_back(Output::Done(tag, Done::Codes(Err(Failure::Client(e))))),
        }
    }

    /// Acknowledges a received message (manual acks).
    ///
    /// # Errors
    /// As [`Client::ack`].
    pub fn ack(&mut self, packet_id: PacketId) -> Result<(), ClientError> {
        self.client.ack(packet_id)
    }

    /// Disconnects once every message is acknowledged, or after `timeout`; `tag` comes back
    /// when the driver stops. Without a connection, the driver stops at once.
    pub fn disconnect(&mut self, now: Instant, timeout: Duration, tag: T) {
        self.stopping.push(tag);
        if self.client.is_connected() {
            let until = now + timeout;
            self.draining = Some(self.draining.map_or(until, |d| d.min(until)));
            self.drain(now);
        } else {
            self.halt = true;
        }
    }

    /// Answers an AUTH challenge ([`ConnectionEvent::Auth`]) or starts a re-authentication
    /// without an authenticator: [`Client::auth`].
    ///
    /// # Errors
    /// As [`Client::auth`].
    pub fn auth(
        &mut self,
        reason_code: ReasonCode,
        properties: AuthProperties,
    ) -> Result<(), ClientError> {
        self.client.auth(reason_code, properties)
    }

    /// Starts a re-authentication with the authenticator: [`Client::reauthenticate`].
    ///
    /// # Errors
    /// As [`Client::reauthenticate`].
    pub fn reauthenticate(&mut self) -> Result<(), ClientError> {
        self.client.reauthenticate()
    }

    /// [`disconnect`](Self::disconnect) with the DISCONNECT's reason code and properties
    /// (MQTT 5.0): Disconnect with Will Message (0x04) to have the broker publish the will, a
    /// Session Expiry Interval, a Reason String, User Properties.
    pub fn disconnect_with(
        &mut self,
        now: Instant,
        timeout: Duration,
        reason_code: ReasonCode,
        properties: DisconnectProperties,
        tag: T,
    ) {
        self.farewell = Some((reason_code, properties));
        self.disconnect(now, timeout, tag);
    }

    /// Closes the connection without DISCONNECT (the broker publishes the will); the driver
    /// stops.
    pub fn abort(&mut self, now: Instant, tag: T) {
        self.stopping.push(tag);
        self.halt = true;
        self.client.handle_transport_closed(now);
    }

    /// Every handle is gone: disconnect after the messages in flight, then stop.
    pub fn abandon(&mut self, now: Instant) {
        if !self.abandoned {
            self.abandoned = true;
            if self.client.is_connected() {
                let until = now + self.policy.disconnect_timeout;
                self.draining.get_or_insert(until);
                self.drain(now);
            } else {
                self.halt = true;
            }
        }
    }

    /// Sends DISCONNECT once a draining disconnect is done or out of time.
    fn drain(&mut self, now: Instant) {
        if let Some(until) = self.draining {
            let drained = self.client.inflight() == 0 && self.client.pending() == 0;
            if drained || now >= until {
                self.draining = None;
                let (reason_code, properties) = self.farewell.take().unwrap_or_default();
                if self
                    .client
                    .disconnect_with(reason_code, properties)
                    .is_err()
                {
                    self.halt = true;
                }
            }
        }
    }

    // ---- outputs ----

    /// The next outcome, message or event.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output<T>> {
        self.absorb_events();
        self.settle_flushes();
        self.outputs.pop_front()
    }

    /// Takes the session's events into the outputs.
    fn absorb_events(&mut self) {
        while let Some(event) = self.client.poll_event() {
            self.dispatch(event);
        }
    }

    /// Answers QoS 0 messages that will not be written.
    fn fail_qos0(&mut self, waiters: Vec<Waiter<T>>, failure: &Failure) {
        for waiter in waiters {
            match waiter {
                Waiter::Tagged(tag) => self
                    .outputs
                    .push_back(Output::Done(tag, Done::Published(Err(failure.clone())))),
                Waiter::Sent(_) => {
                    self.send_failure.get_or_insert_with(|| failure.clone());
                }
            }
        }
    }

    /// A command the session accepted and then gave up.
    fn failed(&mut self, command: CommandId, error: ClientError) {
        match command {
            CommandId::Qos0(number) => {
                let Some(index) = self.qos0.iter().position(|(n, _)| *n == number) else {
                    return;
                };
                let Some((_, waiter)) = self.qos0.remove(index) else {
                    return;
                };
                if error == ClientError::Disconnected {
                    // Answered with the connection's end, which follows.
                    self.lost.push(waiter);
                } else {
                    self.fail_qos0(alloc::vec![waiter], &Failure::Client(error));
                }
            }
            CommandId::Publish(id) => match self.publishes.remove(id.get()) {
                Some(Waiter::Tagged(tag)) => self.outputs.push_back(Output::Done(
                    tag,
                    Done::Published(Err(Failure::Client(error))),
                )),
                Some(Waiter::Sent(_)) => {
                    self.send_failure.get_or_insert(Failure::Client(error));
                }
                None => {}
            },
            CommandId::Subscribe(id) | CommandId::Unsubscribe(id) => {
                if let Some(tag) = self.requests.remove(id.get()) {
                    self.outputs
                        .push_back(Output::Done(tag, Done::Codes(Err(Failure::Client(error)))));
                }
            }
        }
    }

    /// The server lost the session: messages sent again have new identifiers.
    fn renumber(&mut self, reset: &SessionReset) {
        let waiters: Vec<_> = reset
            .requeued
            .iter()
            .map(|r| self.publishes.remove(r.before.get()))
            .collect();
        for (renumbered, waiter) in reset.requeued.iter().zip(waiters) {
            if let Some(waiter) = waiter {
                self.publishes.insert(renumbered.after.get(), waiter);
            }
        }
    }

    fn dispatch(&mut self, event: Event) {
        match event {
            Event::Connected(connected) => {
                self.reconnect.handle_connected(self.clock);
                self.outputs
                    .push_back(Output::Event(ConnectionEvent::Connected {
                        session_present: connected.session_present,
                        limits: connected.limits,
                        connack: connected.connack,
                    }));
            }
            Event::SessionReset(reset) => {
                self.renumber(&reset);
                self.outputs
                    .push_back(Output::Event(ConnectionEvent::SessionReset(reset)));
            }
            Event::Failed { command, error } => self.failed(command, error),
            Event::Resubscribed { results } => self
                .outputs
                .push_back(Output::Event(ConnectionEvent::Resubscribed(results))),
            Event::DuplicateSuppressed { packet_id } => {
                self.outputs
                    .push_back(Output::Event(ConnectionEvent::DuplicateSuppressed {
                        packet_id,
                    }));
            }
            Event::Message(publish) => self.outputs.push_back(Output::Message(publish)),
            Event::Published {
                packet_id,
                reason_code,
                properties,
                ..
            } => match self.publishes.remove(packet_id.get()) {
                Some(Waiter::Tagged(tag)) => {
                    let result = if reason_code.is_error() {
                        Err(Failure::Failed(reason_code))
                    } else {
                        Ok(Published {
                            packet_id: Some(packet_id),
                            reason_code,
                            properties,
                        })
                    };
                    self.outputs
                        .push_back(Output::Done(tag, Done::Published(result)));
                }
                Some(Waiter::Sent(_)) if reason_code.is_error() => {
                    self.send_failure
                        .get_or_insert(Failure::Failed(reason_code));
                }
                Some(Waiter::Sent(_)) | None => {}
            },
            Event::Subscribed {
                packet_id,
                reason_codes,
                properties,
            }
            | Event::Unsubscribed {
                packet_id,
                reason_codes,
                properties,
            } => {
                if let Some(tag) = self.requests.remove(packet_id.get()) {
                    let acked = Acked {
                        reason_codes,
                        properties,
                    };
                    self.outputs
                        .push_back(Output::Done(tag, Done::Codes(Ok(acked))));
                }
            }
            // The client answers itself when it has an authenticator.
            Event::Auth {
                reason_code,
                properties,
            } => self.outputs.push_back(Output::Event(ConnectionEvent::Auth {
                reason_code,
                properties,
            })),
            Event::Disconnected(reason) => {
                let lost = core::mem::take(&mut self.lost);
                self.fail_qos0(lost, &Failure::Disconnected(reason.clone()));
                self.outputs
                    .push_back(Output::Event(ConnectionEvent::Disconnected(reason)));
            }
        }
    }

    /// Answers the flushes whose messages are all done.
    fn settle_flushes(&mut self) {
        if self.flushes.is_empty() {
            return;
        }
        // Numbers grow along each QoS 0 queue: the first `send` in each is its oldest.
        let oldest = self
            .publishes
            .values()
            .filter_map(Waiter::sent)
            .chain(self.qos0.iter().find_map(|(_, w)| w.sent()))
            .chain(self.buffered.iter().find_map(Waiter::sent))
            .chain(self.lost.iter().find_map(Waiter::sent))
            .min();
        while let Some(&(last, _)) = self.flushes.front() {
            if oldest.is_some_and(|oldest| oldest <= last) {
                break;
            }
            if let Some((_, tag)) = self.flushes.pop_front() {
                let result = self.send_failure.take().map_or(Ok(()), Err);
                self.outputs
                    .push_back(Output::Done(tag, Done::Unit(result)));
            }
        }
    }

    // ---- between connections ----

    /// Whether and when to connect again after `end`, at `now` ([`Reconnect::next`] under the
    /// policy): `first` says that no connection was accepted yet (the caller of connect waits:
    /// it gets the failure instead of a retry); `fresh_credentials` that the driver's
    /// credentials hook has new ones (a fatal refusal is then worth another attempt); `jitter`
    /// is a fresh uniformly random number. A takeover is reported as
    /// [`ConnectionEvent::SessionTakenOver`], a retry as [`ConnectionEvent::Reconnecting`].
    #[must_use = "the driver waits the delay, or stops"]
    pub fn handle_end(
        &mut self,
        now: Instant,
        end: &End,
        first: bool,
        fresh_credentials: bool,
        jitter: u32,
    ) -> Next {
        self.clock = now;
        if end.retry() == Some(Retry::TakenOver) {
            self.outputs
                .push_back(Output::Event(ConnectionEvent::SessionTakenOver));
        }
        let next = self
            .reconnect
            .next(now, end, first, fresh_credentials, jitter);
        if let Next::Retry(delay) = next {
            self.outputs
                .push_back(Output::Event(ConnectionEvent::Reconnecting {
                    attempt: self.reconnect.attempt(),
                    delay,
                }));
        }
        next
    }

    /// The driver stops: every command still waiting fails with [`Failure::Closed`] (a flush
    /// with the first failure it covers), `disconnect` and `abort` callers succeed, and
    /// [`ConnectionEvent::Stopped`] comes last.
    pub fn stop(&mut self) {
        self.absorb_events();
        self.settle_flushes();
        for waiter in self.publishes.drain() {
            if let Waiter::Tagged(tag) = waiter {
                self.outputs
                    .push_back(Output::Done(tag, Done::Published(Err(Failure::Closed))));
            }
        }
        for tag in self.requests.drain() {
            self.outputs
                .push_back(Output::Done(tag, Done::Codes(Err(Failure::Closed))));
        }
        let unwritten = self
            .qos0
            .drain(..)
            .map(|(_, waiter)| waiter)
            .chain(self.buffered.drain(..))
            .chain(self.lost.drain(..));
        for waiter in unwritten {
            if let Waiter::Tagged(tag) = waiter {
                self.outputs
                    .push_back(Output::Done(tag, Done::Published(Err(Failure::Closed))));
            }
        }
        while let Some((_, tag)) = self.flushes.pop_front() {
            let failure = self.send_failure.take().unwrap_or(Failure::Closed);
            self.outputs
                .push_back(Output::Done(tag, Done::Unit(Err(failure))));
        }
        for tag in self.stopping.drain(..) {
            self.outputs
                .push_back(Output::Done(tag, Done::Unit(Ok(()))));
        }
        self.outputs
            .push_back(Output::Event(ConnectionEvent::Stopped));
    }
}
