//! The connection task: one socket, one `mqtt_sansio::Client`, one timer.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};

use bytes::BytesMut;
use core::time::Duration;
use mqtt_proto::{Publish, ReasonCode};
use mqtt_sansio::{Client as Core, DisconnectReason, Event, Instant, Retry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::client::{Command, ConnectionEvent, Published};
use crate::error::Error;
use crate::options::Options;

type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// The most commands taken in one turn of the loop before writing.
const BATCH: usize = 256;

/// A byte stream the driver can run a connection over: TCP, or TLS over TCP.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

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
    messages: mpsc::Sender<Publish>,
    events: mpsc::Sender<ConnectionEvent>,
    /// Received messages the application has not taken yet: while any wait, the socket is not
    /// read.
    inbox: VecDeque<Publish>,
    publishes: HashMap<u16, Reply<Published>>,
    /// QoS 0 publishes, done once written.
    unwritten: Vec<Reply<Published>>,
    requests: HashMap<u16, Reply<Vec<ReasonCode>>>,
    /// The caller of `connect`, until the first connection is accepted or fails.
    first: Option<Reply<()>>,
    /// The caller of `disconnect`, answered once DISCONNECT is written.
    stopping: Option<Reply<()>>,
    origin: tokio::time::Instant,
    jitter: RandomState,
    /// Whether the broker accepted the current (or last) connection.
    accepted: bool,
    /// Every handle was dropped: the task ends after a clean DISCONNECT.
    abandoned: bool,
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
        messages: mpsc::Sender<Publish>,
        events: mpsc::Sender<ConnectionEvent>,
        first: Reply<()>,
    ) -> Self {
        Self {
            core: Core::new(options.config.clone()),
            options,
            tls,
            commands,
            messages,
            events,
            inbox: VecDeque::new(),
            publishes: HashMap::new(),
            unwritten: Vec::new(),
            requests: HashMap::new(),
            first: Some(first),
            stopping: None,
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
        for (_, reply) in self.publishes.drain() {
            let _ = reply.send(Err(Error::Closed));
        }
        for (_, reply) in self.requests.drain() {
            let _ = reply.send(Err(Error::Closed));
        }
        for reply in self.unwritten.drain(..) {
            let _ = reply.send(Err(Error::Closed));
        }
        if let Some(reply) = self.stopping.take() {
            let _ = reply.send(Ok(()));
        }
    }

    /// Sleeps `delay` while taking commands (they wait in the session); `false` to stop.
    async fn wait(&mut self, delay: Duration) -> bool {
        let until = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => return true,
                command = self.commands.recv() => match command {
                    Some(Command::Disconnect(reply) | Command::Abort(reply)) => {
                        self.stopping = Some(reply);
                        return false;
                    }
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
        let (mut reader, mut writer) = tokio::io::split(stream);
        self.core.handle_transport_open(self.now());
        let mut read_buf = BytesMut::with_capacity(16 * 1024);
        let mut write_buf = BytesMut::with_capacity(16 * 1024);
        let mut reading = true;
        let mut end = None;
        // A handle of its own, so that waiting for room does not borrow the driver.
        let messages = self.messages.clone();
        loop {
            // Transmit everything, then events, then the deadline: the drain order of the core.
            let now = self.now();
            while self.core.poll_transmit(now, &mut write_buf) {}
            if !write_buf.is_empty() {
                if writer.write_all(&write_buf).await.is_err() {
                    self.core.handle_transport_closed(self.now());
                }
                write_buf.clear();
                if self.core.pending() == 0 {
                    for reply in self.unwritten.drain(..) {
                        let _ = reply.send(Ok(Published {
                            packet_id: None,
                            reason_code: ReasonCode::SUCCESS,
                        }));
                    }
                }
            }
            while let Some(event) = self.core.poll_event() {
                if let Some(reason) = self.dispatch(event) {
                    end = Some(reason);
                }
            }
            if let Some(reason) = end {
                // The last bytes (a DISCONNECT) were written above.
                let _ = writer.shutdown().await;
                if self.stopping.is_some() || self.abandoned {
                    return End::Stop;
                }
                return End::Reason(reason);
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
                .map(|t| self.origin + Duration::from_nanos(t.as_nanos()));
            let far = tokio::time::Instant::now() + Duration::from_secs(86_400);
            tokio::select! {
                read = reader.read_buf(&mut read_buf), if reading => match read {
                    Ok(0) | Err(_) => self.core.handle_transport_closed(self.now()),
                    Ok(_) => {
                        self.core.handle_read(self.now(), &read_buf);
                        read_buf.clear();
                    }
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
                command = self.commands.recv() => {
                    if let Some(end) = self.on_command(command) {
                        return end;
                    }
                    // Take what else is waiting, so that many small publishes leave in one
                    // write.
                    for _ in 0..BATCH {
                        let Ok(command) = self.commands.try_recv() else { break };
                        let last = matches!(command, Command::Disconnect(_));
                        if let Some(end) = self.on_command(Some(command)) {
                            return end;
                        }
                        if last {
                            break;
                        }
                    }
                }
                () = tokio::time::sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                    self.core.handle_timeout(self.now());
                }
            }
        }
    }

    /// Applies a command received during a connection (`None`: every handle is gone); returns how
    /// the connection ends when it must end at once.
    fn on_command(&mut self, command: Option<Command>) -> Option<End> {
        match command {
            Some(Command::Disconnect(reply)) => {
                self.stopping = Some(reply);
                if self
                    .core
                    .disconnect(ReasonCode::NORMAL_DISCONNECTION, None)
                    .is_err()
                {
                    return Some(End::Stop);
                }
            }
            Some(Command::Abort(reply)) => {
                self.stopping = Some(reply);
                self.core.handle_transport_closed(self.now());
                return Some(End::Stop);
            }
            Some(command) => self.command(command),
            // Leave cleanly: DISCONNECT, then the task ends.
            None => {
                self.abandoned = true;
                if self
                    .core
                    .disconnect(ReasonCode::NORMAL_DISCONNECTION, None)
                    .is_err()
                {
                    return Some(End::Stop);
                }
            }
        }
        None
    }

    /// Applies an application command to the session.
    fn command(&mut self, command: Command) {
        match command {
            Command::Publish(message, reply) => match self.core.publish(message) {
                Ok(Some(id)) => {
                    self.publishes.insert(id.get(), reply);
                }
                Ok(None) => self.unwritten.push(reply),
                Err(e) => {
                    let _ = reply.send(Err(Error::Client(e)));
                }
            },
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
            Command::Disconnect(reply) | Command::Abort(reply) => {
                // Not connected: nothing to tell the broker.
                self.stopping = Some(reply);
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
            } => {
                if let Some(reply) = self.publishes.remove(&packet_id.get()) {
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
            }
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
