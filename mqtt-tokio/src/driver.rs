//! The connection task: one socket, one `mqtt_sansio::Client`, one timer.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};

use bytes::{Buf, BytesMut};
use core::time::Duration;
use mqtt_proto::{Publish, ReasonCode};
use mqtt_sansio::{Client as Core, DisconnectReason, Event, Instant, Retry};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::client::{Command, ConnectionEvent, Control, Published};
use crate::error::Error;
use crate::options::Options;

type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// The most commands taken in one turn of the loop before writing.
const BATCH: usize = 256;

/// The size of the read buffer.
const READ_BUFFER: usize = 256 * 1024;

/// How many messages may wait in the session for room in the window while connected.
const CONNECTED_PENDING: usize = 64;

/// How many bytes of messages may wait in the session, encoded or not, before the driver stops
/// taking commands (beside the session's own bound on their number).
const PENDING_BYTES: usize = 1024 * 1024;

/// The least room a read is given in the read buffer.
const MIN_READ: usize = 4 * 1024;

/// How long the last bytes of a connection (a DISCONNECT) may take to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Reads what the transport has into `buf`, after the partial packet it may hold.
///
/// Cancel safe, as `read_buf` is.
async fn read_some(
    reader: &mut (impl tokio::io::AsyncRead + Unpin),
    buf: &mut BytesMut,
) -> std::io::Result<usize> {
    // The rest of a large packet gets room of its own size, so that its payload, once taken,
    // keeps no more memory alive than it needs (the session has checked the size against its
    // limit already; the cap is for the memory taken before the bytes arrive).
    let rest = match mqtt_proto::FixedHeader::parse(buf) {
        Ok(Some(header)) => header.packet_len().saturating_sub(buf.len()),
        _ => 0,
    };
    let want = if rest > MIN_READ {
        rest.min(READ_BUFFER * 16)
    } else {
        MIN_READ
    };
    if buf.capacity() - buf.len() < want {
        // Reclaims the buffer's memory when the messages taken from it are gone; otherwise takes
        // new memory, which those messages' payloads keep.
        buf.reserve(want.max(READ_BUFFER));
    }
    reader.read_buf(buf).await
}

/// Writes some of `buf`; once all of it is written, flushes the transport if it needs that.
///
/// Cancel safe: bytes are removed from `buf` in the same poll that writes them.
async fn write_some(
    writer: &mut (impl AsyncWrite + Unpin),
    buf: &mut BytesMut,
    unflushed: &mut bool,
    needs_flush: bool,
) -> std::io::Result<()> {
    if buf.is_empty() {
        writer.flush().await?;
        *unflushed = false;
        return Ok(());
    }
    let written = writer.write(buf).await?;
    if written == 0 {
        return Err(std::io::ErrorKind::WriteZero.into());
    }
    buf.advance(written);
    *unflushed = needs_flush;
    Ok(())
}

/// A byte stream the driver can run a connection over: TCP, or TLS over TCP.
trait Io: tokio::io::AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: tokio::io::AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The rustls error inside a failed handshake, or the I/O error itself.
fn tls_error(e: std::io::Error) -> Error {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => Error::Tls(tls.clone()),
        None => Error::Io(e),
    }
}

/// What a TLS connection needs: the rustls configuration and the name to verify.
pub(crate) type TlsSetup = Option<(
    std::sync::Arc<rustls::ClientConfig>,
    rustls::pki_types::ServerName<'static>,
)>;

pub(crate) struct Driver {
    options: Options,
    tls: TlsSetup,
    core: Core,
    commands: mpsc::Receiver<Command>,
    control: mpsc::Receiver<Control>,
    messages: mpsc::Sender<Publish>,
    events: mpsc::Sender<ConnectionEvent>,
    /// Received messages the application has not taken yet: while any wait, the socket is not
    /// read.
    inbox: VecDeque<Publish>,
    /// QoS 1 and 2 messages waiting for their acknowledgement, by packet identifier.
    publishes: HashMap<u16, Waiter>,
    /// QoS 0 messages taken by the session, maybe not yet out of it.
    taken: Unwritten,
    /// QoS 0 messages in the write buffer: done once it is written.
    buffered: Unwritten,
    /// The number of the last message given to `send`.
    sent: u64,
    /// The first failure among sent messages since the last flush.
    send_failure: Option<Error>,
    /// Flushes waiting, with the number of the last message each covers.
    flushes: VecDeque<(u64, Reply<()>)>,
    requests: HashMap<u16, Reply<Vec<ReasonCode>>>,
    /// The caller of `connect`, until the first connection is accepted or fails.
    first: Option<Reply<()>>,
    /// The callers of `disconnect` and `abort`, answered when the task ends.
    stopping: Vec<Reply<()>>,
    /// Disconnecting: the connection ends once every message is acknowledged, or at this
    /// instant.
    draining: Option<tokio::time::Instant>,
    origin: tokio::time::Instant,
    jitter: RandomState,
    /// Whether the broker accepted the current (or last) connection.
    accepted: bool,
    /// Every handle was dropped: the task ends after a clean DISCONNECT.
    abandoned: bool,
}

/// Who waits for a QoS 1 or 2 message.
enum Waiter {
    /// A `publish` call.
    Reply(Reply<Published>),
    /// A message given to `send`, by number.
    Sent(u64),
}

/// QoS 0 messages not yet written, which are done once they are.
#[derive(Default)]
struct Unwritten {
    replies: Vec<Reply<Published>>,
    /// The number of the first message given to `send` among them.
    first_sent: Option<u64>,
}

impl Unwritten {
    /// Takes over `other`'s messages (which came later).
    fn append(&mut self, other: &mut Self) {
        self.replies.append(&mut other.replies);
        self.first_sent = self.first_sent.or(other.first_sent.take());
    }

    /// Reports every message as written.
    fn written(&mut self) {
        for reply in self.replies.drain(..) {
            let _ = reply.send(Ok(Published {
                packet_id: None,
                reason_code: ReasonCode::SUCCESS,
            }));
        }
        self.first_sent = None;
    }

    /// Reports every message as lost with the client.
    fn closed(&mut self) {
        for reply in self.replies.drain(..) {
            let _ = reply.send(Err(Error::Closed));
        }
        self.first_sent = None;
    }
}

/// How a connection ended.
enum End {
    /// The session state machine ended it.
    Reason(DisconnectReason),
    /// The socket could not be opened.
    Unreachable(Error),
    /// Every handle was dropped, or `disconnect` was called.
    Stop,
}

impl Driver {
    pub(crate) fn new(
        options: Options,
        tls: TlsSetup,
        commands: mpsc::Receiver<Command>,
        control: mpsc::Receiver<Control>,
        messages: mpsc::Sender<Publish>,
        events: mpsc::Sender<ConnectionEvent>,
        first: Reply<()>,
    ) -> Self {
        Self {
            core: Core::new(options.config.clone()),
            options,
            tls,
            commands,
            control,
            messages,
            events,
            inbox: VecDeque::new(),
            publishes: HashMap::new(),
            taken: Unwritten::default(),
            buffered: Unwritten::default(),
            sent: 0,
            send_failure: None,
            flushes: VecDeque::new(),
            requests: HashMap::new(),
            first: Some(first),
            stopping: Vec::new(),
            draining: None,
            origin: tokio::time::Instant::now(),
            jitter: RandomState::new(),
            accepted: false,
            abandoned: false,
        }
    }

    fn now(&self) -> Instant {
        let nanos = self.origin.elapsed().as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    fn event(&self, event: ConnectionEvent) {
        // A full event queue drops the newest event: the application is not reading them.
        let _ = self.events.try_send(event);
    }

    /// Connects, serves the connection, and reconnects while that makes sense.
    pub(crate) async fn run(mut self) {
        let mut attempt: u32 = 0;
        let mut credentials = None;
        loop {
            if let Some(hook) = &self.options.credentials {
                let fresh = hook.call().await;
                self.core
                    .set_credentials(fresh.username.clone(), fresh.password.clone());
                credentials = Some(fresh);
            }
            let end = self.connection().await;
            let retry = match &end {
                End::Stop => break,
                End::Reason(DisconnectReason::Refused(connack)) => {
                    Retry::after_connack(connack.reason_code)
                }
                End::Reason(DisconnectReason::ByServer(d)) => {
                    Retry::after_disconnect(d.reason_code)
                }
                End::Reason(DisconnectReason::InvalidConnect(_)) => Retry::Fatal,
                End::Unreachable(_) | End::Reason(_) => Retry::Transient,
            };
            // Retrying the same CONNECT after a fatal refusal fails the same way; fresh
            // credentials from the hook may not.
            let fresh = match (&self.options.credentials, retry) {
                (Some(hook), Retry::Fatal) => credentials.as_ref() != Some(&hook.call().await),
                _ => false,
            };
            let first_failed = self.first.is_some() && !fresh;
            if first_failed || (retry == Retry::Fatal && !fresh) || !self.options.reconnect {
                if let Some(first) = self.first.take() {
                    // The first connection failed: `connect` reports why, and the task ends.
                    let _ = first.send(Err(match end {
                        End::Unreachable(e) => e,
                        End::Reason(DisconnectReason::Refused(connack)) => {
                            Error::Refused(connack.reason_code)
                        }
                        End::Reason(DisconnectReason::ConnAckTimeout) => Error::ConnectTimeout,
                        End::Reason(reason) => Error::Disconnected(reason),
                        End::Stop => Error::Closed,
                    }));
                }
                break;
            }
            if std::mem::take(&mut self.accepted) {
                // The connection that ended had been accepted: back off from the start.
                attempt = 0;
            }
            let jitter = (self.jitter.hash_one(attempt) >> 32) as u32;
            let delay = if retry == Retry::Throttle {
                self.options.backoff.throttled_delay(attempt, jitter)
            } else {
                self.options.backoff.delay(attempt, jitter)
            };
            attempt = attempt.saturating_add(1);
            self.event(ConnectionEvent::Reconnecting { attempt, delay });
            if !self.wait(delay).await {
                break;
            }
        }
        self.event(ConnectionEvent::Stopped);
        for (_, waiter) in self.publishes.drain() {
            if let Waiter::Reply(reply) = waiter {
                let _ = reply.send(Err(Error::Closed));
            }
        }
        for (_, reply) in self.requests.drain() {
            let _ = reply.send(Err(Error::Closed));
        }
        self.taken.closed();
        self.buffered.closed();
        for (_, reply) in self.flushes.drain(..) {
            let _ = reply.send(Err(self.send_failure.take().unwrap_or(Error::Closed)));
        }
        for reply in self.stopping.drain(..) {
            let _ = reply.send(Ok(()));
        }
    }

    /// Whether the session has room for another message: when it has none, commands wait in
    /// their channel and `send` and `publish` wait for room.
    ///
    /// While connected, a short queue keeps the window full; without a connection, the session
    /// keeps up to `Config::max_pending` messages for the next one.
    fn has_room(&self) -> bool {
        let most = if self.core.is_connected() {
            CONNECTED_PENDING
        } else {
            self.core.config().max_pending
        };
        self.core.pending() < most
            && self.core.pending_bytes() + self.core.transmit_len() < PENDING_BYTES
    }

    /// Sleeps `delay` while taking commands (they wait in the session); `false` to stop.
    ///
    /// Without a connection there is nothing to drain: `disconnect` stops at once.
    async fn wait(&mut self, delay: Duration) -> bool {
        let until = tokio::time::Instant::now() + delay;
        loop {
            let room = self.has_room();
            tokio::select! {
                () = tokio::time::sleep_until(until) => return true,
                control = self.control.recv() => {
                    if let Some(Control::Disconnect(_, reply) | Control::Abort(reply)) = control {
                        self.stopping.push(reply);
                    }
                    return false;
                }
                command = self.commands.recv(), if room => match command {
                    Some(command) => self.command(command),
                    None => return false,
                },
            }
        }
    }

    /// Opens the transport: TCP, then TLS when configured, within the connect timeout.
    async fn open(&self) -> Result<Box<dyn Io>, Error> {
        let timeout = self.options.connect_timeout;
        let address = (self.options.host(), self.options.port());
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| Error::ConnectTimeout)??;
        let _ = stream.set_nodelay(true);
        let Some((config, name)) = &self.tls else {
            return Ok(Box::new(stream));
        };
        let connector = tokio_rustls::TlsConnector::from(config.clone());
        let tls = tokio::time::timeout(timeout, connector.connect(name.clone(), stream))
            .await
            .map_err(|_| Error::ConnectTimeout)?
            .map_err(tls_error)?;
        Ok(Box::new(tls))
    }

    /// One connection, from TCP connect to its end.
    async fn connection(&mut self) -> End {
        let stream = match self.open().await {
            Ok(stream) => stream,
            Err(e) => return End::Unreachable(e),
        };
        // TLS holds records back until flushed; TCP writes them at once.
        let needs_flush = self.tls.is_some();
        let (mut reader, mut writer) = tokio::io::split(stream);
        self.core.handle_transport_open(self.now());
        let mut read_buf = BytesMut::with_capacity(READ_BUFFER);
        let mut write_buf = BytesMut::new();
        // Written bytes the transport may still hold.
        let mut unflushed = false;
        let mut reading = true;
        let mut end = None;
        // A handle of its own, so that waiting for room does not borrow the driver.
        let messages = self.messages.clone();
        loop {
            // Transmit, then events, then the deadline: the drain order of the core. The
            // session's bytes are taken only while the write buffer is short, so that an ack or a
            // PINGREQ made meanwhile waits behind little.
            let now = self.now();
            if !self.drain() {
                return End::Stop;
            }
            self.transmit(now, &mut write_buf);
            if write_buf.is_empty() && !unflushed {
                self.buffered.written();
            }
            while let Some(event) = self.core.poll_event() {
                if let Some(reason) = self.dispatch(event) {
                    end = Some(reason);
                }
            }
            self.deliver(&messages);
            self.settle_flushes();
            if let Some(reason) = end {
                return self.finish(&mut writer, &write_buf, reason).await;
            }
            let want = self.inbox.is_empty();
            if want != reading {
                reading = want;
                if reading {
                    self.core.handle_read_resumed(self.now());
                } else {
                    self.core.handle_read_paused(self.now());
                }
            }
            let deadline = self
                .core
                .poll_timeout()
                .map(|t| self.origin + Duration::from_nanos(t.as_nanos()))
                .into_iter()
                .chain(self.draining)
                .min();
            let accepting = self.draining.is_none() && self.has_room();
            let far = tokio::time::Instant::now() + Duration::from_secs(86_400);
            tokio::select! {
                written = write_some(&mut writer, &mut write_buf, &mut unflushed, needs_flush),
                    if !write_buf.is_empty() || unflushed =>
                {
                    if written.is_err() {
                        self.core.handle_transport_closed(self.now());
                    }
                }
                read = read_some(&mut reader, &mut read_buf), if reading => match read {
                    Ok(0) | Err(_) => self.core.handle_transport_closed(self.now()),
                    Ok(_) => self.core.handle_read_buf(self.now(), &mut read_buf),
                },
                permit = messages.reserve(), if !self.inbox.is_empty() => match permit {
                    Ok(permit) => {
                        if let Some(message) = self.inbox.pop_front() {
                            permit.send(message);
                        }
                    }
                    // Nobody takes messages any more.
                    Err(_) => self.inbox.clear(),
                },
                control = self.control.recv() => {
                    if let Some(end) = self.on_control(control) {
                        return end;
                    }
                }
                command = self.commands.recv(), if accepting => {
                    let Some(command) = command else {
                        self.abandon();
                        continue;
                    };
                    self.command(command);
                    // Take what else is waiting, so that many small publishes leave in one
                    // write.
                    for _ in 0..BATCH {
                        if !self.has_room() {
                            break;
                        }
                        let Ok(command) = self.commands.try_recv() else { break };
                        self.command(command);
                    }
                }
                () = tokio::time::sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                    self.core.handle_timeout(self.now());
                }
            }
        }
    }

    /// Ends a connection: writes the last bytes (a DISCONNECT) unless the broker stopped
    /// reading, and says how it ended.
    async fn finish(
        &mut self,
        writer: &mut (impl AsyncWrite + Unpin),
        write_buf: &[u8],
        reason: DisconnectReason,
    ) -> End {
        let closed = tokio::time::timeout(CLOSE_TIMEOUT, async {
            writer.write_all(write_buf).await?;
            writer.shutdown().await
        })
        .await;
        if matches!(closed, Ok(Ok(()))) {
            self.buffered.written();
        } else {
            // QoS 0 messages are not sent again.
            for reply in self.buffered.replies.drain(..) {
                let _ = reply.send(Err(Error::Disconnected(reason.clone())));
            }
            self.buffered.first_sent = None;
        }
        self.settle_flushes();
        if !self.stopping.is_empty() || self.abandoned {
            End::Stop
        } else {
            End::Reason(reason)
        }
    }

    /// Hands received messages to the application while the stream has room.
    fn deliver(&mut self, messages: &mpsc::Sender<Publish>) {
        while !self.inbox.is_empty() {
            match messages.try_reserve() {
                Ok(permit) => {
                    if let Some(message) = self.inbox.pop_front() {
                        permit.send(message);
                    }
                }
                Err(mpsc::error::TrySendError::Full(())) => break,
                // Nobody takes messages any more.
                Err(mpsc::error::TrySendError::Closed(())) => self.inbox.clear(),
            }
        }
    }

    /// Takes the session's bytes once the write buffer is written: at most 64 KiB of messages
    /// at a time (the session's budget), so that an ack or a PINGREQ made meanwhile waits
    /// behind little, and without copying them (the buffers trade places).
    fn transmit(&mut self, now: Instant, write_buf: &mut BytesMut) {
        if write_buf.is_empty() {
            let _ = self.core.poll_transmit(now, write_buf);
            if self.core.pending() == 0 {
                // Every QoS 0 message taken so far is in the write buffer or written.
                self.buffered.append(&mut self.taken);
            }
        }
    }

    /// Sends DISCONNECT once a `disconnect` finished draining; `false` when the session cannot.
    fn drain(&mut self) -> bool {
        if let Some(until) = self.draining {
            let drained = self.core.inflight() == 0 && self.core.pending() == 0;
            if drained || tokio::time::Instant::now() >= until {
                self.draining = None;
                return self
                    .core
                    .disconnect(ReasonCode::NORMAL_DISCONNECTION, None)
                    .is_ok();
            }
        }
        true
    }

    /// Every handle is gone: leave cleanly, after the messages in flight.
    fn abandon(&mut self) {
        if !self.abandoned {
            self.abandoned = true;
            self.draining
                .get_or_insert(tokio::time::Instant::now() + self.options.disconnect_timeout);
        }
    }

    /// Applies `disconnect` or `abort` during a connection (`None`: every handle is gone);
    /// returns how the connection ends when it must end at once.
    fn on_control(&mut self, control: Option<Control>) -> Option<End> {
        match control {
            Some(Control::Disconnect(timeout, reply)) => {
                self.stopping.push(reply);
                // What was sent before `disconnect` is part of what it waits for (past the
                // session's room, a message fails as the queue being full).
                while let Ok(command) = self.commands.try_recv() {
                    self.command(command);
                }
                let until = tokio::time::Instant::now() + timeout;
                self.draining = Some(self.draining.map_or(until, |d| d.min(until)));
                None
            }
            Some(Control::Abort(reply)) => {
                self.stopping.push(reply);
                self.core.handle_transport_closed(self.now());
                Some(End::Stop)
            }
            None => {
                self.abandon();
                None
            }
        }
    }

    /// Applies an application command to the session.
    fn command(&mut self, command: Command) {
        match command {
            Command::Publish(message, reply) => match self.core.publish(message) {
                Ok(Some(id)) => {
                    self.publishes.insert(id.get(), Waiter::Reply(reply));
                }
                Ok(None) => self.taken.replies.push(reply),
                Err(e) => {
                    let _ = reply.send(Err(Error::Client(e)));
                }
            },
            Command::Send(message) => {
                self.sent += 1;
                match self.core.publish(message) {
                    Ok(Some(id)) => {
                        self.publishes.insert(id.get(), Waiter::Sent(self.sent));
                    }
                    Ok(None) => {
                        self.taken.first_sent.get_or_insert(self.sent);
                    }
                    Err(e) => {
                        self.send_failure.get_or_insert(Error::Client(e));
                    }
                }
            }
            Command::Flush(reply) => {
                self.flushes.push_back((self.sent, reply));
                self.settle_flushes();
            }
            Command::Subscribe(subscriptions, properties, reply) => {
                match self.core.subscribe(subscriptions, properties) {
                    Ok(id) => {
                        self.requests.insert(id.get(), reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(Error::Client(e)));
                    }
                }
            }
            Command::Unsubscribe(filters, properties, reply) => {
                match self.core.unsubscribe(filters, properties) {
                    Ok(id) => {
                        self.requests.insert(id.get(), reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(Error::Client(e)));
                    }
                }
            }
            Command::Ack(id, reply) => {
                let _ = reply.send(self.core.ack(id).map_err(Error::Client));
            }
        }
    }

    /// Answers the flushes whose messages are all done.
    fn settle_flushes(&mut self) {
        if self.flushes.is_empty() {
            return;
        }
        // The oldest message given to `send` that is not done yet.
        let oldest = self
            .publishes
            .values()
            .filter_map(|waiter| match waiter {
                Waiter::Sent(number) => Some(*number),
                Waiter::Reply(_) => None,
            })
            .chain(self.taken.first_sent)
            .chain(self.buffered.first_sent)
            .min();
        while let Some(&(last, _)) = self.flushes.front() {
            if oldest.is_some_and(|oldest| oldest <= last) {
                break;
            }
            if let Some((_, reply)) = self.flushes.pop_front() {
                let _ = reply.send(self.send_failure.take().map_or(Ok(()), Err));
            }
        }
    }

    /// Routes an event of the session; returns the reason when the connection ended.
    fn dispatch(&mut self, event: Event) -> Option<DisconnectReason> {
        match event {
            Event::Connected(connected) => {
                self.accepted = true;
                if let Some(first) = self.first.take() {
                    let _ = first.send(Ok(()));
                }
                self.event(ConnectionEvent::Connected {
                    session_present: connected.session_present,
                    limits: connected.limits,
                });
            }
            Event::SessionReset(reset) => self.event(ConnectionEvent::SessionReset(reset)),
            Event::Message(publish) => self.inbox.push_back(publish),
            Event::Published {
                packet_id,
                reason_code,
                ..
            } => match self.publishes.remove(&packet_id.get()) {
                Some(Waiter::Reply(reply)) => {
                    let result = if reason_code.is_error() {
                        Err(Error::Failed(reason_code))
                    } else {
                        Ok(Published {
                            packet_id: Some(packet_id),
                            reason_code,
                        })
                    };
                    let _ = reply.send(result);
                }
                Some(Waiter::Sent(_)) if reason_code.is_error() => {
                    self.send_failure.get_or_insert(Error::Failed(reason_code));
                }
                Some(Waiter::Sent(_)) | None => {}
            },
            Event::Subscribed {
                packet_id,
                reason_codes,
                ..
            }
            | Event::Unsubscribed {
                packet_id,
                reason_codes,
                ..
            } => {
                if let Some(reply) = self.requests.remove(&packet_id.get()) {
                    let _ = reply.send(Ok(reason_codes));
                }
            }
            Event::Disconnected(reason) => {
                self.event(ConnectionEvent::Disconnected(reason.clone()));
                return Some(reason);
            }
            // Enhanced authentication has no API in this adapter yet.
            _ => {}
        }
        None
    }
}
