//! What every driver does with the session, whatever moves its bytes: commands applied to the
//! [`Supervisor`], its outputs dispatched to the callers waiting for them, received messages
//! held while the application's stream is full (and reading paused meanwhile), the first
//! connection's outcome, and the reconnect decision. The async driver of this crate and the
//! thread-based one of `mqtt-blocking` both run on it.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use mqtt_proto::{
    AuthProperties, DisconnectProperties, MqttString, PacketId, Publish, QoS, ReasonCode,
    SubscribeProperties, Subscription, TopicFilter, UnsubscribeProperties,
};
use mqtt_sansio::{
    Acked, ClientError, ConnectionEvent, DisconnectReason, Done, End, Instant, Message, Next,
    Output, Published, Supervisor,
};

#[cfg(doc)]
use crate::Attempts;
use crate::record::Recorder;
use crate::requests::Requests;
use crate::store::{FileStore, Store, StoreError};
use crate::trace::{self, AttemptSpan};
use crate::{Credentials, Error, EventSink, Numbered, Options, StatsCell, TaskFigures};

/// Where the outcome of a command goes: a one-shot channel its caller awaits (or blocks on).
pub type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// Who waits for a command's outcome: the tag the supervisor gives back with it.
#[derive(Debug)]
pub enum Tag {
    /// A publish: its acknowledgement.
    Publish(Reply<Published>),
    /// A subscribe or unsubscribe: one code per filter, and the acknowledgement's properties.
    Codes(Reply<Acked>),
    /// A flush, a disconnect, an abort.
    Unit(Reply<()>),
    /// The PUBLISH of a request, by its correlation data: the request fails if it does.
    Request(Bytes),
    /// The subscription to the response topic.
    Responses,
}

impl Tag {
    /// Answers with `done` (a caller that went away is not an error).
    pub fn answer(self, done: Done) {
        match (self, done) {
            (Self::Publish(tx), Done::Published(result)) => {
                let _ = tx.send(result.map_err(Error::from));
            }
            (Self::Codes(tx), Done::Codes(result)) => {
                let _ = tx.send(result.map_err(Error::from));
            }
            (Self::Unit(tx), Done::Unit(result)) => {
                let _ = tx.send(result.map_err(Error::from));
            }
            // The session handles its own; the supervisor answers each tag with the outcome of
            // the command it was given with, so the other pairs do not occur.
            (Self::Request(_) | Self::Responses, _)
            | (Self::Publish(_), Done::Codes(_) | Done::Unit(_))
            | (Self::Codes(_), Done::Published(_) | Done::Unit(_))
            | (Self::Unit(_), Done::Published(_) | Done::Codes(_)) => {}
        }
    }
}

/// A command of the application, in the order the handles issued them.
#[derive(Debug)]
pub enum Command {
    /// Publish and report the outcome.
    Publish(Message, Reply<Published>),
    /// Publish; a later [`Command::Flush`] reports the outcome.
    Send(Message),
    /// Wait for everything sent before.
    Flush(Reply<()>),
    /// Subscribe.
    Subscribe(Vec<Subscription>, SubscribeProperties, Reply<Acked>),
    /// Unsubscribe.
    Unsubscribe(Vec<TopicFilter>, UnsubscribeProperties, Reply<Acked>),
    /// Acknowledge a received message (manual acks).
    Ack(PacketId, Reply<()>),
    /// Send an AUTH (MQTT 5.0): answer a challenge, or re-authenticate without an
    /// authenticator.
    Auth(ReasonCode, AuthProperties, Reply<()>),
    /// Re-authenticate with the authenticator (MQTT 5.0).
    Reauthenticate(Reply<()>),
    /// Publish a request (MQTT 5.0): the session sets its Response Topic and Correlation Data,
    /// and the response goes to the reply unless the timeout passes first.
    Request(Message, Duration, Reply<Numbered<Publish>>),
}

/// How a disconnect ends the connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Farewell {
    /// How long to wait for the messages in flight before DISCONNECT.
    pub timeout: Duration,
    /// The DISCONNECT's reason code (MQTT 5.0): Normal disconnection (0x00), Disconnect with
    /// Will Message (0x04), …
    pub reason_code: ReasonCode,
    /// The DISCONNECT's properties (MQTT 5.0): a Session Expiry Interval, a Reason String,
    /// User Properties.
    pub properties: DisconnectProperties,
}

/// A command that never waits behind messages: it ends the client.
#[derive(Debug)]
pub enum Control {
    /// Disconnect once what is in flight is done (boxed: the channel's slots are the size of
    /// the largest command, in every connection).
    Disconnect(Box<Farewell>, Reply<()>),
    /// Close without DISCONNECT, as a crash would.
    Abort(Reply<()>),
    /// While waiting to reconnect: attempt at once.
    ReconnectNow(Reply<()>),
    /// Stop (`true`) or go on (`false`) reading the transport.
    PauseReading(bool, Reply<()>),
}

/// What one [`Session::dispatch`] did.
#[derive(Debug)]
#[must_use]
pub struct Dispatched {
    /// How many outputs it dispatched.
    pub outputs: usize,
    /// Why the connection ended, when it did.
    pub ended: Option<DisconnectReason>,
}

/// How much room a full message stream of `capacity` needs before the driver, which holds
/// received messages back for it ([`Session::deliver`]), is woken to hand them over: half of
/// it, rounded up (a stream holds at least one message).
///
/// Woken for every message the application takes, a driver would run once per message, on
/// another thread under a multi-threaded executor or in a blocking adapter; woken at this
/// much room, it hands over half a stream at a time. The application's side wakes it when a
/// message it takes leaves this much room; the driver looks at the room after it starts
/// listening, so that no wake-up is missed.
///
/// ```
/// use mqtt_driver::session::room_to_resume;
///
/// assert_eq!(room_to_resume(64), 32);
/// assert_eq!(room_to_resume(3), 2);
/// assert_eq!(room_to_resume(1), 1);
/// ```
#[must_use]
pub fn room_to_resume(capacity: usize) -> usize {
    capacity.div_ceil(2)
}

/// The session as every driver holds it: the supervisor, the messages the application has not
/// taken, the caller of `connect`, and where events go.
pub struct Session {
    sup: Supervisor<Tag>,
    inbox: VecDeque<Numbered<Publish>>,
    /// Where the handles read the figures.
    stats: StatsCell,
    /// The driver's figures, as it last gave them.
    task: TaskFigures,
    /// When the broker accepted the current connection.
    connected_since: Option<std::time::Instant>,
    /// Connection attempts so far.
    attempts: u64,
    /// Requests waiting for their responses.
    requests: Requests,
    /// The broker's Response Information (MQTT 5.0), from the latest CONNACK.
    response_information: Option<MqttString>,
    /// Where the session is recorded ([`Options::record`]).
    recorder: Option<Recorder>,
    /// The caller of `connect`, until the first connection is accepted or given up.
    first: Option<Reply<()>>,
    /// Why the transport could not be opened, for the caller of `connect`.
    unreachable: Option<Error>,
    events: EventSink,
    reading: bool,
    /// The application paused reading.
    paused: bool,
    /// The application asked for the next attempt at once.
    reconnect_now: bool,
    /// Where the session is kept ([`Options::store`]).
    store: Option<Box<dyn Store>>,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("inbox", &self.inbox.len())
            .field("first", &self.first.is_some())
            .field("reading", &self.reading)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The session of `options`; events go to `events`, and `first` learns how the first
    /// connection went.
    ///
    /// # Errors
    /// [`Error::Recording`] when the recording file ([`Options::record`]) cannot be created;
    /// [`Error::Store`] when the session store ([`Options::store`]) cannot be opened or read,
    /// or holds a session that cannot be restored.
    pub fn new(options: &Options, events: EventSink, first: Reply<()>) -> Result<Self, Error> {
        let mut sup = options.supervisor();
        let recorder = match &options.record {
            Some(path) => {
                sup.set_journal(true);
                Some(Recorder::create(path, &options.config)?)
            }
            None => None,
        };
        // After the recorder: a recording of a restarted process starts with its restore.
        let store = match &options.store {
            Some(store) => {
                let mut store = FileStore::open(&store.path, store.durability)?;
                let stored = store.load()?;
                if !stored.is_empty() {
                    sup.restore(stored).map_err(StoreError::from)?;
                }
                sup.set_store(true);
                Some(Box::new(store) as Box<dyn Store>)
            }
            None => None,
        };
        Ok(Self {
            sup,
            inbox: VecDeque::new(),
            stats: StatsCell::default(),
            task: TaskFigures::default(),
            connected_since: None,
            attempts: 0,
            requests: Requests::new(),
            response_information: None,
            first: Some(first),
            unreachable: None,
            events,
            reading: true,
            paused: false,
            reconnect_now: false,
            recorder,
            store,
        })
    }

    /// The supervisor's getters.
    #[must_use]
    pub const fn supervisor(&self) -> &Supervisor<Tag> {
        &self.sup
    }

    /// The supervisor, for its inputs and outputs.
    pub fn supervisor_mut(&mut self) -> &mut Supervisor<Tag> {
        &mut self.sup
    }

    /// Answers finished commands, holds received messages for the application and reports
    /// events.
    ///
    /// Messages and events carry the number of the connection they came on: every output of
    /// a connection is dispatched before the next one opens.
    pub fn dispatch(&mut self) -> Dispatched {
        let mut dispatched = Dispatched {
            outputs: 0,
            ended: None,
        };
        let connection = self.sup.client().connection();
        // The figures are published before any caller learns of an outcome, so that those it
        // reads next include it.
        let mut published = false;
        while let Some(packet) = self.sup.poll_packet() {
            trace::packet(&packet);
        }
        self.record();
        while let Some(output) = self.sup.poll_output() {
            dispatched.outputs += 1;
            match output {
                Output::Done(tag, done) => {
                    if !core::mem::replace(&mut published, true) {
                        self.publish_stats();
                    }
                    trace::outcome(&done);
                    match tag {
                        Tag::Request(correlation) => self.request_sent(&correlation, done),
                        Tag::Responses => self.responses_subscribed(done),
                        tag => tag.answer(done),
                    }
                }
                Output::Message(publish) => {
                    let message = Numbered::new(connection, publish);
                    if let Some(message) = self.requests.take(message) {
                        self.inbox.push_back(message);
                    }
                }
                Output::Event(event) => {
                    match &event {
                        ConnectionEvent::Connected { connack, .. } => {
                            self.response_information
                                .clone_from(&connack.properties.response_information);
                            self.connected_since = Some(std::time::Instant::now());
                            // Published before anyone learns of the connection.
                            self.publish_stats();
                            published = true;
                            if let Some(first) = self.first.take() {
                                let _ = first.send(Ok(()));
                            }
                        }
                        ConnectionEvent::Disconnected(reason) => {
                            self.connected_since = None;
                            dispatched.ended = Some(reason.clone());
                            // Published before anyone learns of the end: the driver publishes
                            // them again only once it has closed the transport, which may wait.
                            self.publish_stats();
                            published = true;
                        }
                        _ => {}
                    }
                    trace::event(connection, &event);
                    // A full event queue makes room and says so: the application lags.
                    self.events.send(Numbered::new(connection, event));
                }
            }
        }
        // Every driver publishes the figures after it dispatched, as its turn ends.
        // The events just taken.
        self.record();
        dispatched
    }

    /// Writes the journal's new entries to the recording.
    fn record(&mut self) {
        if let Some(recorder) = self.recorder.as_mut() {
            let mut wrote = false;
            while let Some(entry) = self.sup.poll_journal() {
                recorder.write(&entry);
                wrote = true;
            }
            if wrote {
                recorder.flush();
            }
        }
    }

    /// Makes the session's changes durable: a driver calls it after it took bytes from
    /// `poll_transmit` and before it writes them (and in each turn while it waits, so that a
    /// message accepted offline is kept at once). `false` when the store failed: the client
    /// stops ([`Supervisor::store_failed`]) and the driver must not write the bytes it took.
    #[must_use = "the bytes taken may not be written when the store failed"]
    pub fn persist(&mut self, now: Instant) -> bool {
        let Some(store) = self.store.as_mut() else {
            return true;
        };
        let mut changed = false;
        let mut result = Ok(());
        while let Some(change) = self.sup.poll_store() {
            changed = true;
            if result.is_ok() {
                result = store.apply(&change);
            }
        }
        if changed && result.is_ok() {
            result = store.commit();
        }
        let Err(error) = result else {
            return true;
        };
        trace::store_failed(&error);
        self.sup.store_failed(now, error.to_string());
        if let Some(first) = self.first.take() {
            let _ = first.send(Err(Error::Store(error)));
        }
        false
    }

    /// Where the next attempt goes: the broker of `options` the supervisor names, or the
    /// server a followed redirection names.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] for a Server Reference that is not an address.
    pub fn next_broker(&self, options: &Options) -> Result<crate::Address, Error> {
        let brokers = options.brokers();
        let listed =
            brokers
                .get(self.sup.broker())
                .or(brokers.first())
                .ok_or(Error::InvalidAddress {
                    address: String::new(),
                    reason: crate::AddressError::Empty,
                })?;
        match self.sup.redirect() {
            Some(reference) => {
                listed
                    .redirected(reference)
                    .map_err(|reason| Error::InvalidAddress {
                        address: reference.to_owned(),
                        reason,
                    })
            }
            None => Ok(listed.clone()),
        }
    }

    /// A connection attempt to `target` ([`next_broker`](Self::next_broker)'s answer) begins:
    /// its span, which the driver enters for as long as the attempt lasts, naming the broker
    /// (or the redirection that could not be followed). The session keeps a log of its packets
    /// while anyone listens to them.
    pub fn attempt(&mut self, target: &Result<crate::Address, Error>) -> AttemptSpan {
        self.attempts += 1;
        let version = self.sup.client().config().version;
        let redirect = self.sup.redirect().unwrap_or_default();
        let broker: &dyn core::fmt::Display = match target {
            Ok(broker) => broker,
            Err(_) => &redirect,
        };
        let span = AttemptSpan::new(broker, self.attempts, version);
        self.sup.set_packet_log(trace::packets_wanted());
        span
    }

    /// Where the handles read the figures.
    #[must_use]
    pub fn stats_cell(&self) -> StatsCell {
        self.stats.clone()
    }

    /// Gives the driver's own figures, for the next [`publish_stats`](Self::publish_stats).
    pub fn set_task_figures(&mut self, task: TaskFigures) {
        self.task = task;
    }

    /// Publishes the figures for the handles: the session's, with the driver's. A driver does
    /// it after each dispatch; [`dispatch`] does it too, before it answers anyone.
    ///
    /// [`dispatch`]: Self::dispatch
    pub fn publish_stats(&self) {
        let task = self.task;
        let client = self.sup.client();
        // Written where the handles read it: the figures are most of a kilobyte, and this
        // runs on every turn of the driver.
        self.stats.update(|stats| {
            stats.session = *client.stats();
            stats.inflight_out = client.inflight();
            stats.inflight_in = client.inflight_in();
            stats.awaiting_pubrel = client.awaiting_pubrel().count();
            stats.pending = client.pending();
            stats.pending_bytes = client.pending_bytes();
            stats.requests = client.requests();
            stats.connected_since = self.connected_since;
            stats.reconnects = stats.session.connected.saturating_sub(1);
            stats.reading_paused = !self.reading;
            stats.messages_waiting = self.inbox.len();
            stats.commands_queued = task.commands_queued;
            stats.bytes_queued = client.transmit_len() + task.write_buffered;
        });
    }

    /// Whether the client awaits answers from the broker: QoS 1 and 2 messages in flight, or a
    /// SUBSCRIBE or UNSUBSCRIBE unanswered. A driver acknowledges reads at once then, when it has
    /// nothing to write ([`Transport::acknowledge_now`](crate::Transport::acknowledge_now)).
    #[must_use]
    pub fn awaits_answers(&self) -> bool {
        let client = self.sup.client();
        client.inflight() > 0 || client.requests() > 0
    }

    /// Received messages the application's stream had no room for yet, oldest first.
    pub fn inbox(&mut self) -> &mut VecDeque<Numbered<Publish>> {
        &mut self.inbox
    }

    /// Hands the received messages to the application's stream, oldest first, while `offer`
    /// takes them: `Ok` taken, `Err(Some(message))` no room (it waits for the next time),
    /// `Err(None)` nobody takes messages any more (the rest is dropped).
    pub fn deliver(
        &mut self,
        mut offer: impl FnMut(Numbered<Publish>) -> Result<(), Option<Numbered<Publish>>>,
    ) {
        while let Some(message) = self.inbox.pop_front() {
            match offer(message) {
                Ok(()) => self.stats.message_queued(),
                Err(Some(message)) => {
                    self.inbox.push_front(message);
                    break;
                }
                Err(None) => self.inbox.clear(),
            }
        }
    }

    /// Whether to read the transport: not while messages wait for room in the application's
    /// stream, nor while the application paused reading (TCP then slows the broker down).
    /// Tells the session when that changes, so that it keeps pinging without expecting a
    /// PINGRESP it cannot read.
    pub fn reading(&mut self, now: Instant) -> bool {
        let want = self.inbox.is_empty() && !self.paused;
        if want != self.reading {
            self.reading = want;
            if want {
                self.sup.handle_read_resumed(now);
            } else {
                self.sup.handle_read_paused(now);
            }
        }
        want
    }

    /// Applies `command`, at `now`.
    pub fn command(&mut self, now: Instant, command: Command) {
        match command {
            Command::Request(message, timeout, reply) => self.request(now, message, timeout, reply),
            Command::Publish(message, reply) => self.sup.publish(message, Tag::Publish(reply)),
            Command::Send(message) => self.sup.send(message),
            Command::Flush(reply) => self.sup.flush(Tag::Unit(reply)),
            Command::Subscribe(subscriptions, properties, reply) => {
                self.sup
                    .subscribe(subscriptions, properties, Tag::Codes(reply));
            }
            Command::Unsubscribe(filters, properties, reply) => {
                self.sup.unsubscribe(filters, properties, Tag::Codes(reply));
            }
            Command::Ack(id, reply) => {
                let _ = reply.send(self.sup.ack(id).map_err(Error::Client));
            }
            Command::Auth(reason_code, properties, reply) => {
                let result = self.sup.auth(reason_code, properties);
                let _ = reply.send(result.map_err(Error::Client));
            }
            Command::Reauthenticate(reply) => {
                let _ = reply.send(self.sup.reauthenticate().map_err(Error::Client));
            }
        }
    }

    /// Applies `control`; `None` when every handle is gone (disconnect after what is in
    /// flight, then stop). A driver applies the commands queued before a disconnect first.
    pub fn control(&mut self, now: Instant, control: Option<Control>) {
        match control {
            Some(Control::Disconnect(farewell, reply)) => {
                let farewell = *farewell;
                self.sup.disconnect_with(
                    now,
                    farewell.timeout,
                    farewell.reason_code,
                    farewell.properties,
                    Tag::Unit(reply),
                );
            }
            Some(Control::Abort(reply)) => self.sup.abort(now, Tag::Unit(reply)),
            Some(Control::ReconnectNow(reply)) => {
                self.reconnect_now = true;
                let _ = reply.send(Ok(()));
            }
            Some(Control::PauseReading(paused, reply)) => {
                self.paused = paused;
                let _ = reply.send(Ok(()));
            }
            None => self.sup.abandon(now),
        }
    }

    /// Publishes a request: with the response topic (subscribed to on the first request) and
    /// new correlation data, waiting for the response until `timeout` has passed.
    fn request(
        &mut self,
        now: Instant,
        mut message: Message,
        timeout: Duration,
        reply: Reply<Numbered<Publish>>,
    ) {
        let config = self.sup.client().config();
        if !config.version.is_v5() {
            let _ = reply.send(Err(Error::Client(ClientError::NeedsV5)));
            return;
        }
        let client_id = config.client_id.as_str().to_owned();
        let topic = self
            .requests
            .topic(self.response_information.as_ref(), &client_id);
        let (topic, new) = match topic {
            Ok(topic) => topic,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        if new {
            let filter = TopicFilter::from_bytes(Bytes::copy_from_slice(topic.as_bytes()));
            match filter {
                Ok(filter) => {
                    let subscription = Subscription::new(filter, QoS::AtLeastOnce);
                    self.sup.subscribe(
                        vec![subscription],
                        SubscribeProperties::default(),
                        Tag::Responses,
                    );
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                    return;
                }
            }
        }
        let correlation = self.requests.correlation();
        message.properties.response_topic = Some(topic);
        message.properties.correlation_data = Some(correlation.clone());
        self.requests.wait(correlation.clone(), now, timeout, reply);
        self.sup.publish(message, Tag::Request(correlation));
    }

    /// The PUBLISH of a request is done: if it failed, so did the request.
    fn request_sent(&mut self, correlation: &Bytes, done: Done) {
        if let Done::Published(Err(failure)) = done {
            self.requests.fail(correlation, failure.into());
        }
    }

    /// The subscription to the response topic is done: if the broker refused it, the requests
    /// waiting on it fail.
    fn responses_subscribed(&mut self, done: Done) {
        let refused = match done {
            Done::Codes(Ok(acked)) => acked
                .reason_codes
                .iter()
                .find(|code| code.is_error())
                .map(|&code| Error::Failed(code)),
            Done::Codes(Err(failure)) => Some(failure.into()),
            Done::Published(_) | Done::Unit(_) => None,
        };
        if let Some(error) = refused {
            self.requests.unsubscribed(&error);
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due: the session's deadline, or a
    /// request's.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.sup
            .poll_timeout()
            .into_iter()
            .chain(self.requests.poll_timeout())
            .min()
    }

    /// [`poll_timeout`](Self::poll_timeout) has passed: the session's timers, and the requests
    /// whose time is up.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.sup.handle_timeout(now);
        self.requests.handle_timeout(now);
    }

    /// Whether the application asked for the next attempt at once since a connection was last
    /// opened; asking again needs another [`Control::ReconnectNow`].
    pub fn take_reconnect_now(&mut self) -> bool {
        core::mem::take(&mut self.reconnect_now)
    }

    /// Credentials for the next CONNECT, from [`Attempts::before`].
    pub fn set_credentials(&mut self, credentials: Credentials) {
        self.sup
            .set_credentials(credentials.username, credentials.password);
    }

    /// The transport could not be opened: the caller of `connect` learns why if it was the
    /// first attempt.
    pub fn unreachable(&mut self, error: Error) {
        trace::unreachable(&error);
        self.unreachable = Some(error);
    }

    /// After a connection ended with `end`: the delay before the next attempt, or `None` to
    /// stop (the caller of `connect` then learns why, if the first connection never came up).
    /// `fresh` and `jitter` are [`Attempts::after`]'s.
    pub fn after_attempt(
        &mut self,
        now: Instant,
        end: End,
        fresh: bool,
        jitter: u32,
    ) -> Option<Duration> {
        let next = self
            .sup
            .handle_end(now, &end, self.first.is_some(), fresh, jitter);
        if let Next::Retry(delay) = next {
            trace::decision(&end, Some(delay));
            let _ = self.dispatch();
            return Some(delay);
        }
        trace::decision(&end, None);
        if let Some(first) = self.first.take() {
            let _ = first.send(Err(Error::first_connection(end, self.unreachable.take())));
        }
        None
    }

    /// The client stops: every waiting command is answered, `Stopped` is the last event.
    pub fn stop(&mut self) {
        self.requests.close();
        self.sup.stop();
        let _ = self.dispatch();
    }
}
