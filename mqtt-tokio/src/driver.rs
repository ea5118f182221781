//! The connection task: one socket, one `mqtt_sansio::Supervisor` (the session and its
//! commands' bookkeeping), one timer.

use std::collections::VecDeque;

use bytes::BytesMut;
use core::time::Duration;
use mqtt_proto::{Publish, ReasonCode};
use mqtt_sansio::{
    Chunks, ConnectionEvent, DisconnectReason, Done, End, Instant, Next, Output, Supervisor,
};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::client::{Command, Control};
use mqtt_options::Options;
use mqtt_options::{Attempts, Error, EventSink};

type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// Who waits for a command's outcome.
enum Tag {
    Publish(Reply<mqtt_sansio::Published>),
    Codes(Reply<Vec<ReasonCode>>),
    Unit(Reply<()>),
}

impl Tag {
    /// Answers with `done`.
    fn answer(self, done: Done) {
        match (self, done) {
            (Tag::Publish(tx), Done::Published(result)) => {
                let _ = tx.send(result.map_err(Error::from));
            }
            (Tag::Codes(tx), Done::Codes(result)) => {
                let _ = tx.send(result.map_err(Error::from));
            }
            (Tag::Unit(tx), Done::Unit(result)) => {
                let _ = tx.send(result.map_err(Error::from));
            }
            _ => {}
        }
    }
}

/// The most commands taken in one turn of the loop before writing.
const BATCH: usize = 256;

/// The size of the read buffer: hundreds of small packets per read. Reads cycle through all of
/// it, so all of it stays resident for as long as the connection lives.
const READ_BUFFER: usize = 32 * 1024;

/// The least room a read is given in the read buffer.
const MIN_READ: usize = 4 * 1024;

/// The room taken for the rest of a packet larger than [`MIN_READ`]: several such packets per
/// read, and one allocation shared by their payloads.
const LARGE_READ: usize = 256 * 1024;

/// How long the last bytes of a connection (a DISCONNECT) may take to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Reads what the transport has into `buf`, after the partial packet it may hold.
///
/// Cancel safe, as `read_buf` is.
async fn read_some(
    reader: &mut (impl tokio::io::AsyncRead + Unpin),
    buf: &mut BytesMut,
) -> std::io::Result<usize> {
    // The rest of a large packet gets room for all of it, and for the packets after it in the
    // same read (the session has checked the size against its limit already; the cap is for the
    // memory taken before the bytes arrive). Small packets cycle through a small buffer.
    let rest = match mqtt_proto::FixedHeader::parse(buf) {
        Ok(Some(header)) => header.packet_len().saturating_sub(buf.len()),
        _ => 0,
    };
    let (want, size) = if rest > MIN_READ {
        let want = rest.min(LARGE_READ * 16);
        (want, want.max(LARGE_READ))
    } else {
        (MIN_READ, READ_BUFFER)
    };
    if buf.capacity() - buf.len() < want {
        // Reclaims the buffer's memory when the messages taken from it are gone; otherwise takes
        // new memory, which those messages' payloads keep.
        buf.reserve(size);
    }
    reader.read_buf(buf).await
}

/// Writes some of `chunks` (many buffers in one vectored write); once all of it is written,
/// flushes the transport if it needs that.
///
/// Cancel safe: bytes are removed from `chunks` in the same poll that writes them.
async fn write_some(
    writer: &mut (impl AsyncWrite + Unpin),
    chunks: &mut Chunks,
    unflushed: &mut bool,
    needs_flush: bool,
) -> std::io::Result<()> {
    if chunks.is_empty() {
        writer.flush().await?;
        *unflushed = false;
        return Ok(());
    }
    if writer.write_buf(chunks).await? == 0 {
        return Err(std::io::ErrorKind::WriteZero.into());
    }
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
    sup: Supervisor<Tag>,
    commands: mpsc::Receiver<Command>,
    control: mpsc::Receiver<Control>,
    messages: mpsc::Sender<Publish>,
    events: EventSink,
    /// Received messages the application has not taken yet: while any wait, the socket is not
    /// read.
    inbox: VecDeque<Publish>,
    /// The caller of `connect`, until the first connection is accepted or fails.
    first: Option<Reply<()>>,
    /// Why the transport could not be opened, for the caller of `connect`.
    unreachable: Option<Error>,
    origin: tokio::time::Instant,
    attempts: Attempts,
}

impl Driver {
    pub(crate) fn new(
        options: Options,
        tls: TlsSetup,
        commands: mpsc::Receiver<Command>,
        control: mpsc::Receiver<Control>,
        messages: mpsc::Sender<Publish>,
        events: EventSink,
        first: Reply<()>,
    ) -> Self {
        Self {
            sup: options.supervisor(),
            attempts: Attempts::new(&options),
            options,
            tls,
            commands,
            control,
            messages,
            events,
            inbox: VecDeque::new(),
            first: Some(first),
            unreachable: None,
            origin: tokio::time::Instant::now(),
        }
    }

    fn now(&self) -> Instant {
        let nanos = self.origin.elapsed().as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Answers finished commands, queues messages and reports events; returns the reason when
    /// the connection ended.
    fn outputs(&mut self) -> Option<DisconnectReason> {
        let mut ended = None;
        while let Some(output) = self.sup.poll_output() {
            match output {
                Output::Done(tag, done) => tag.answer(done),
                Output::Message(publish) => self.inbox.push_back(publish),
                Output::Event(event) => {
                    match &event {
                        ConnectionEvent::Connected { .. } => {
                            if let Some(first) = self.first.take() {
                                let _ = first.send(Ok(()));
                            }
                        }
                        ConnectionEvent::Disconnected(reason) => ended = Some(reason.clone()),
                        _ => {}
                    }
                    // A full event queue makes room and says so: the application lags.
                    self.events.send(event);
                }
                _ => {}
            }
        }
        ended
    }

    /// Connects, serves the connection, and reconnects while that makes sense.
    pub(crate) async fn run(mut self) {
        loop {
            if let Some(fresh) = self.attempts.before().await {
                self.sup
                    .client_mut()
                    .set_credentials(fresh.username, fresh.password);
            }
            let end = self.connection().await;
            // Retrying the same CONNECT after a fatal refusal fails the same way; fresh
            // credentials from the hook may not.
            let (fresh, jitter) = self.attempts.after(&end).await;
            if let Next::Retry(delay) =
                self.sup
                    .next(self.now(), &end, self.first.is_some(), fresh, jitter)
            {
                self.outputs();
                if !self.wait(delay).await {
                    break;
                }
                continue;
            }
            if let Some(first) = self.first.take() {
                // The first connection failed: `connect` reports why.
                let _ = first.send(Err(Error::first_connection(end, self.unreachable.take())));
            }
            break;
        }
        self.sup.stop();
        self.outputs();
    }

    /// Sleeps `delay` while taking commands (they wait in the session); `false` to stop.
    async fn wait(&mut self, delay: Duration) -> bool {
        let until = tokio::time::Instant::now() + delay;
        loop {
            self.outputs();
            if self.sup.must_stop() {
                return false;
            }
            let room = self.sup.has_room();
            tokio::select! {
                () = tokio::time::sleep_until(until) => return true,
                control = self.control.recv() => self.on_control(control),
                command = self.commands.recv(), if room => match command {
                    Some(command) => self.command(command),
                    None => self.sup.abandon(self.now()),
                },
            }
        }
    }

    /// Opens the transport: TCP, then TLS when configured, within the connect timeout.
    /// (An associated function: the session, and with it the driver, need not be `Sync`.)
    async fn open(options: &Options, tls: &TlsSetup) -> Result<Box<dyn Io>, Error> {
        let timeout = options.connect_timeout;
        let address = (options.host(), options.port());
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| Error::ConnectTimeout)??;
        let _ = stream.set_nodelay(true);
        let Some((config, name)) = tls else {
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
        let stream = match Self::open(&self.options, &self.tls).await {
            Ok(stream) => stream,
            Err(e) => {
                self.unreachable = Some(e);
                return End::Unreachable;
            }
        };
        // TLS holds records back until flushed; TCP writes them at once.
        let needs_flush = self.tls.is_some();
        let (mut reader, mut writer) = tokio::io::split(stream);
        self.sup.transport_open(self.now());
        let mut read_buf = BytesMut::with_capacity(READ_BUFFER);
        let mut write_buf = Chunks::new();
        // Written bytes the transport may still hold.
        let mut unflushed = false;
        let mut reading = true;
        // A handle of its own, so that waiting for room does not borrow the driver.
        let messages = self.messages.clone();
        loop {
            if self.sup.must_stop() {
                self.outputs();
                return End::Stop;
            }
            // Bytes, then outputs, then the deadline: the drain order of the session.
            if write_buf.is_empty() && !unflushed {
                self.sup.written();
            }
            self.sup.transmit(self.now(), &mut write_buf);
            if let Some(reason) = self.outputs() {
                // The last bytes (a DISCONNECT), unless the broker stopped reading.
                let closed = tokio::time::timeout(CLOSE_TIMEOUT, async {
                    writer.write_all_buf(&mut write_buf).await?;
                    writer.shutdown().await
                })
                .await;
                let end = self.sup.closed(reason, matches!(closed, Ok(Ok(()))));
                self.outputs();
                return end;
            }
            self.deliver(&messages);
            let want = self.inbox.is_empty();
            if want != reading {
                reading = want;
                let now = self.now();
                if reading {
                    self.sup.client_mut().handle_read_resumed(now);
                } else {
                    self.sup.client_mut().handle_read_paused(now);
                }
            }
            let deadline = self
                .sup
                .poll_timeout()
                .map(|t| self.origin + Duration::from_nanos(t.as_nanos()));
            let far = tokio::time::Instant::now() + Duration::from_secs(86_400);
            let accepting = self.sup.has_room();
            tokio::select! {
                written = write_some(&mut writer, &mut write_buf, &mut unflushed, needs_flush),
                    if !write_buf.is_empty() || unflushed =>
                {
                    let now = self.now();
                    if written.is_err() {
                        self.sup.transport_closed(now);
                    } else {
                        self.sup.write_progress(now);
                    }
                }
                read = read_some(&mut reader, &mut read_buf), if reading => match read {
                    Ok(0) | Err(_) => self.sup.transport_closed(self.now()),
                    Ok(_) => self.sup.read(self.now(), &mut read_buf),
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
                control = self.control.recv() => self.on_control(control),
                command = self.commands.recv(), if accepting => {
                    let Some(command) = command else {
                        self.sup.abandon(self.now());
                        continue;
                    };
                    self.command(command);
                    // Take what else is waiting, so that many small publishes leave in one
                    // write.
                    for _ in 0..BATCH {
                        if !self.sup.has_room() {
                            break;
                        }
                        let Ok(command) = self.commands.try_recv() else { break };
                        self.command(command);
                    }
                }
                () = tokio::time::sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                    self.sup.timeout(self.now());
                }
            }
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

    /// Applies `disconnect` or `abort` (`None`: every handle is gone).
    fn on_control(&mut self, control: Option<Control>) {
        let now = self.now();
        match control {
            Some(Control::Disconnect(timeout, reply)) => {
                // What was sent before `disconnect` is part of what it waits for (past the
                // session's room, a message fails as the queue being full).
                while let Ok(command) = self.commands.try_recv() {
                    self.command(command);
                }
                self.sup.disconnect(now, timeout, Tag::Unit(reply));
            }
            Some(Control::Abort(reply)) => self.sup.abort(now, Tag::Unit(reply)),
            None => self.sup.abandon(now),
        }
    }

    /// Applies an application command to the session.
    fn command(&mut self, command: Command) {
        match command {
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
        }
    }
}
