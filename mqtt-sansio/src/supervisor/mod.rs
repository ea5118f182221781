//! What every driver keeps beside the session: who waits for which command, when a QoS 0
//! message counts as sent, flushes, a draining disconnect, room for more commands, and the
//! reconnect decision. A driver attaches a tag of its own to each command (a reply channel, a
//! token) and gets it back with the command's outcome, so it only moves bytes, sleeps and wakes.

mod dispatch;
mod outcome;
mod versions;

use outcome::Waiter;
pub use outcome::{Acked, ConnectionEvent, Done, Failure, Output, Published};

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::time::Duration;

use alloc::boxed::Box;
use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    AckProperties, AuthProperties, DisconnectProperties, MqttString, PacketId, ReasonCode,
    SubscribeProperties, Subscription, TopicFilter, UnsubscribeProperties,
};

use crate::id_map::IdMap;
use crate::reconnect::{End, Policy, Reconnect};
use crate::{
    Authenticator, Chunks, Client, ClientError, Config, DisconnectReason, Instant, Message,
    WhenFull,
};

/// The session and the bookkeeping around it, for a driver: who waits for which command, when
/// a QoS 0 message counts as sent, flushes, a draining disconnect, room for more commands, and
/// the reconnect decision. A driver attaches a tag of its own to each command (a reply channel,
/// a token) and gets it back with the command's outcome.
///
/// The driver's loop is the one of [`Client`], in the same vocabulary: inputs `handle_*` with
/// `now`, then every `poll_*` drained.
/// - when the transport opens, [`handle_transport_open`](Self::handle_transport_open); bytes go
///   to [`handle_read`](Self::handle_read), a passed [`poll_timeout`](Self::poll_timeout) to
///   [`handle_timeout`](Self::handle_timeout), a closed transport to
///   [`handle_transport_closed`](Self::handle_transport_closed), a pause in reading (the
///   application's stream is full) to [`handle_read_paused`](Self::handle_read_paused);
/// - after each write that made progress,
///   [`handle_write_progress`](Self::handle_write_progress) (a PINGREQ waiting behind a large
///   payload on a slow link is not late); once the write buffer is written,
///   [`handle_written`](Self::handle_written), then [`poll_transmit`](Self::poll_transmit) for
///   the next bytes (64 KiB of messages at most: an ack or a PINGREQ never waits long behind
///   them);
/// - commands only while [`has_room`](Self::has_room); then [`poll_output`](Self::poll_output)
///   until `None`, answering each tag;
/// - after `Disconnected`, [`handle_closed`](Self::handle_closed), then
///   [`handle_end`](Self::handle_end) says whether to connect again, and when ([`Reconnect`]:
///   the backoff starts afresh only after connections stay up for [`Policy::stable_after`]).
///
/// No driver needs [`client_mut`](Self::client_mut): credentials, the authenticator and read
/// pauses have methods of their own.
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
    /// The protocol version each broker speaks ([`Policy::version_fallback`]).
    versions: versions::Versions,
    /// The instant of the latest input.
    clock: Instant,
    outputs: VecDeque<Output<T>>,
}

impl<T> Supervisor<T> {
    /// A supervisor of a new session.
    #[must_use]
    pub fn new(config: Config, policy: Policy) -> Self {
        let config_version = config.version;
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
            versions: versions::Versions::new(config_version),
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

    /// The driver has `count` brokers (a fleet: the same service at several addresses) and
    /// connects to [`broker`](Self::broker) at each attempt: after a failure the next one is
    /// tried at once, and the backoff applies per round of brokers ([`Reconnect`]).
    ///
    /// ```
    /// use mqtt_proto::MqttString;
    /// use mqtt_sansio::{Config, End, Instant, Policy, Supervisor};
    ///
    /// let mut sup: Supervisor<()> = Supervisor::new(Config::new(MqttString::new("c").unwrap()), Policy::default());
    /// sup.set_brokers(2);
    /// assert_eq!(sup.broker(), 0);
    /// // The first broker is down: the second at once, before the first connection gives up.
    /// let next = sup.handle_end(Instant::ZERO, &End::Unreachable, true, false, 0);
    /// assert_eq!(next, mqtt_sansio::Next::Retry(core::time::Duration::ZERO));
    /// assert_eq!(sup.broker(), 1);
    /// // Down too: the round is over, and a first connection fails.
    /// assert_eq!(sup.handle_end(Instant::ZERO, &End::Unreachable, true, false, 0), mqtt_sansio::Next::Stop);
    /// ```
    pub fn set_brokers(&mut self, count: usize) {
        self.reconnect.set_brokers(count);
        self.versions.set_brokers(count);
    }

    /// The index of the broker to connect to next (0 with one broker).
    #[must_use]
    pub fn broker(&self) -> usize {
        self.reconnect.broker()
    }

    /// The Server Reference to connect to next instead of [`broker`](Self::broker), when a
    /// redirection is followed ([`Redirect::Follow`](crate::Redirect::Follow)).
    #[must_use]
    pub fn redirect(&self) -> Option<&str> {
        self.reconnect.redirect()
    }

    // ---- inputs ----

    /// The transport is open: CONNECT is queued.
    pub fn handle_transport_open(&mut self, now: Instant) {
        self.clock = now;
        self.versions.accepted = false;
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

    /// Keeps (`true`) or stops keeping a log of the packets: [`Client::set_packet_log`].
    pub fn set_packet_log(&mut self, on: bool) {
        self.client.set_packet_log(on);
    }

    /// Keeps (`true`) or stops keeping the journal of the session: [`Client::set_journal`].
    pub fn set_journal(&mut self, on: bool) {
        self.client.set_journal(on);
    }

    /// The oldest entry of the journal not yet taken: [`Client::poll_journal`].
    pub fn poll_journal(&mut self) -> Option<crate::Entry> {
        self.client.poll_journal()
    }

    /// Keeps (`true`) or stops keeping the changes for a store: [`Client::set_store`].
    pub fn set_store(&mut self, on: bool) {
        self.client.set_store(on);
    }

    /// The oldest change for the store not yet taken: [`Client::poll_store`]. The driver
    /// applies and commits every one before it writes the bytes it takes next.
    pub fn poll_store(&mut self) -> Option<crate::Durable> {
        self.client.poll_store()
    }

    /// Takes back the session a store kept ([`Client::restore`]), before the first
    /// connection: nobody waits for its messages any more, so their outcomes come as
    /// [`ConnectionEvent::RestoredPublished`]; [`ConnectionEvent::SessionRestored`] says what
    /// was restored.
    ///
    /// # Errors
    /// What [`Client::restore`] refuses.
    pub fn restore(&mut self, stored: crate::Stored) -> Result<(), crate::RestoreError> {
        let ids: Vec<_> = stored
            .messages
            .iter()
            .filter_map(|m| m.publish.qos_pid.packet_id())
            .collect();
        let released = stored.messages.iter().filter(|m| m.released).count();
        let inbound = stored.inbound.len();
        self.client.restore(stored)?;
        for id in &ids {
            self.publishes.insert(id.get(), Waiter::Restored);
        }
        self.outputs
            .push_back(Output::Event(ConnectionEvent::SessionRestored {
                messages: ids.len(),
                released,
                inbound,
            }));
        Ok(())
    }

    /// The oldest packet of the log not yet taken: [`Client::poll_packet`].
    pub fn poll_packet(&mut self) -> Option<crate::PacketInfo> {
        self.client.poll_packet()
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
        // Never past the session's own bound while callers wait for room: a command taken then
        // would fail with QueueFull instead of waiting.
        let max_pending = self.client.config().max_pending;
        let most = if self.client.is_connected() {
            self.policy.connected_pending.min(max_pending)
        } else {
            max_pending
        };
        let bounded = self.client.pending() < most
            && self.client.pending_bytes() + self.client.transmit_len() < self.policy.pending_bytes;
        // Without a connection, a queue that refuses or drops when full ([`WhenFull`]) takes
        // every command and answers it at once.
        let answers_at_once =
            !self.client.is_connected() && self.client.config().when_full != WhenFull::Wait;
        self.draining.is_none() && (bounded || answers_at_once)
    }

    /// The driver's store could not keep the session's changes: nothing that depends on them
    /// may be written, so the connection closes at once (no DISCONNECT: the broker keeps the
    /// session, and publishes the will) and the driver stops, after
    /// [`ConnectionEvent::StoreFailed`] with `reason`. What the store kept before stays for the
    /// next process.
    pub fn store_failed(&mut self, now: Instant, reason: alloc::string::String) {
        self.clock = now;
        self.halt = true;
        self.client.handle_transport_closed(now);
        self.outputs
            .push_back(Output::Event(ConnectionEvent::StoreFailed { reason }));
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
}
