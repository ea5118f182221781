//! The connection task: one socket (async-net, futures-rustls), one `Supervisor`, one
//! async-io timer. It runs on a thread of its own under `async_io::block_on`, so it needs no
//! particular executor: the handles talk to it over async-channel, which every executor can
//! await.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::Arc;
use std::time::Duration;

use async_channel::{Receiver, Sender, TrySendError};
use bytes::{Buf, BytesMut};
use event_listener::Event;
use futures_lite::future::FutureExt as _;
use futures_lite::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use mqtt_options::{Attempts, Error, EventSink, Options};
use mqtt_proto::{Publish, ReasonCode};
use mqtt_sansio::{
    Chunks, ConnectionEvent, DisconnectReason, Done, End, Instant, Next, Output, Published,
    Supervisor,
};

use crate::client::{Command, Control};

pub(crate) type Reply<T> = Sender<Result<T, Error>>;

/// What a TLS connection needs: the rustls configuration and the name to verify.
pub(crate) type TlsSetup = Option<(
    Arc<rustls::ClientConfig>,
    rustls::pki_types::ServerName<'static>,
)>;

/// Who waits for a command's outcome.
enum Tag {
    Publish(Reply<Published>),
    Codes(Reply<Vec<ReasonCode>>),
    Unit(Reply<()>),
}

impl Tag {
    fn answer(self, done: Done) {
        match (self, done) {
            (Tag::Publish(tx), Done::Published(result)) => {
                let _ = tx.try_send(result.map_err(Error::from));
            }
            (Tag::Codes(tx), Done::Codes(result)) => {
                let _ = tx.try_send(result.map_err(Error::from));
            }
            (Tag::Unit(tx), Done::Unit(result)) => {
                let _ = tx.try_send(result.map_err(Error::from));
            }
            _ => {}
        }
    }
}

/// The most commands taken in one turn before writing.
const BATCH: usize = 256;
/// The size of a read.
const READ_BUFFER: usize = 64 * 1024;
/// How long the last bytes of a connection (a DISCONNECT) may take to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// A byte stream: TCP, or TLS over TCP.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// What woke the connection task.
enum Wake {
    Written(std::io::Result<()>),
    Read(std::io::Result<usize>),
    Room,
    Control(Option<Control>),
    Command(Option<Command>),
    Timer,
}

pub(crate) struct Driver {
    options: Options,
    tls: TlsSetup,
    sup: Supervisor<Tag>,
    commands: Receiver<Command>,
    control: Receiver<Control>,
    messages: Sender<Publish>,
    /// Notified when the application takes a message: room in the stream.
    taken: Arc<Event>,
    events: EventSink,
    inbox: VecDeque<Publish>,
    first: Option<Reply<()>>,
    unreachable: Option<Error>,
    origin: std::time::Instant,
    attempts: Attempts,
}

impl Driver {
    #[expect(clippy::too_many_arguments, reason = "the channels of one connection")]
    pub(crate) fn new(
        options: Options,
        tls: TlsSetup,
        commands: Receiver<Command>,
        control: Receiver<Control>,
        messages: Sender<Publish>,
        taken: Arc<Event>,
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
            taken,
            events,
            inbox: VecDeque::new(),
            first: Some(first),
            unreachable: None,
            origin: std::time::Instant::now(),
        }
    }

    fn now(&self) -> Instant {
        let nanos = self.origin.elapsed().as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    fn at(&self, instant: Instant) -> std::time::Instant {
        self.origin + Duration::from_nanos(instant.as_nanos())
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
                                let _ = first.try_send(Ok(()));
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
        self.deliver();
        ended
    }

    fn deliver(&mut self) {
        while let Some(message) = self.inbox.pop_front() {
            match self.messages.try_send(message) {
                Ok(()) => {}
                Err(TrySendError::Full(message)) => {
                    self.inbox.push_front(message);
                    break;
                }
                Err(TrySendError::Closed(_)) => self.inbox.clear(),
            }
        }
    }

    /// Connects, serves the connection, and reconnects while that makes sense.
    pub(crate) async fn run(mut self) {
        loop {
            if let Some(fresh) = self.attempts.before().await {
                self.sup
                    .client_mut()
                    .set_credentials(fresh.username, fresh.password);
            }
            let end = Box::pin(self.connection()).await;
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
                let _ = first.try_send(Err(Error::first_connection(end, self.unreachable.take())));
            }
            break;
        }
        self.sup.stop();
        self.outputs();
        // A command sent after the last answer would otherwise wait for ever: async-channel
        // keeps what is queued until every sender is gone too, and the handles hold senders.
        // Closing first makes later sends fail; dropping what is queued answers `Closed`.
        self.commands.close();
        self.control.close();
        while self.commands.try_recv().is_ok() {}
        while self.control.try_recv().is_ok() {}
    }

    /// Sleeps `delay` while taking commands (they wait in the session); `false` to stop.
    async fn wait(&mut self, delay: Duration) -> bool {
        let until = std::time::Instant::now() + delay;
        loop {
            self.outputs();
            if self.sup.must_stop() {
                return false;
            }
            let room = self.sup.has_room();
            let timer = async {
                async_io::Timer::at(until).await;
                Wake::Timer
            };
            let control = async { Wake::Control(self.control.recv().await.ok()) };
            let command = async {
                if room {
                    Wake::Command(self.commands.recv().await.ok())
                } else {
                    std::future::pending().await
                }
            };
            match timer.or(control).or(command).await {
                Wake::Timer => return true,
                Wake::Control(control) => self.on_control(control),
                Wake::Command(Some(command)) => self.command(command),
                Wake::Command(None) => self.sup.abandon(self.now()),
                _ => {}
            }
        }
    }

    async fn open(&self) -> Result<Box<dyn Io>, Error> {
        let timeout = self.options.connect_timeout;
        let address = (self.options.host().to_owned(), self.options.port());
        let tcp = async {
            async_net::TcpStream::connect(address)
                .await
                .map_err(Error::Io)
        }
        .or(async {
            async_io::Timer::after(timeout).await;
            Err(Error::ConnectTimeout)
        })
        .await?;
        let _ = tcp.set_nodelay(true);
        let Some((config, name)) = &self.tls else {
            return Ok(Box::new(tcp));
        };
        let connector = futures_rustls::TlsConnector::from(config.clone());
        let tls = async {
            connector.connect(name.clone(), tcp).await.map_err(|e| {
                match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    Some(tls) => Error::Tls(tls.clone()),
                    None => Error::Io(e),
                }
            })
        }
        .or(async {
            async_io::Timer::after(timeout).await;
            Err(Error::ConnectTimeout)
        })
        .await?;
        Ok(Box::new(tls))
    }

    async fn connection(&mut self) -> End {
        let stream = match self.open().await {
            Ok(stream) => stream,
            Err(e) => {
                self.unreachable = Some(e);
                return End::Unreachable;
            }
        };
        let needs_flush = self.tls.is_some();
        let (mut reader, mut writer) = futures_lite::io::split(stream);
        self.sup.transport_open(self.now());
        let mut read_buf = BytesMut::with_capacity(READ_BUFFER);
        // Reads land here first: futures-io reads into initialised memory.
        let mut chunk = vec![0_u8; READ_BUFFER];
        let mut write_buf = Chunks::new();
        let mut unflushed = false;
        let mut reading = true;
        loop {
            if self.sup.must_stop() {
                self.outputs();
                return End::Stop;
            }
            if write_buf.is_empty() && !unflushed {
                self.sup.written();
            }
            self.sup.transmit(self.now(), &mut write_buf);
            if let Some(reason) = self.outputs() {
                let closed = async {
                    let result = async {
                        for chunk in write_buf.iter() {
                            writer.write_all(chunk).await?;
                        }
                        writer.close().await
                    }
                    .await;
                    result.is_ok()
                }
                .or(async {
                    async_io::Timer::after(CLOSE_TIMEOUT).await;
                    false
                })
                .await;
                let end = self.sup.closed(reason, closed);
                self.outputs();
                return end;
            }
            let empty = self.inbox.is_empty();
            if empty != reading {
                reading = empty;
                let now = self.now();
                if reading {
                    self.sup.client_mut().handle_read_resumed(now);
                } else {
                    self.sup.client_mut().handle_read_paused(now);
                }
            }
            let deadline = self.sup.poll_timeout().map(|t| self.at(t));
            let accepting = self.sup.has_room();
            let wake = next_wake(Waits {
                writer: &mut writer,
                write_buf: &mut write_buf,
                unflushed: &mut unflushed,
                needs_flush,
                reader: if reading { Some(&mut reader) } else { None },
                chunk: &mut chunk,
                taken: (!self.inbox.is_empty()).then(|| (self.taken.clone(), &self.messages)),
                control: &self.control,
                commands: accepting.then_some(&self.commands),
                deadline,
            })
            .await;
            if let Wake::Read(Ok(n)) = wake {
                read_buf.extend_from_slice(&chunk[..n]);
            }
            match wake {
                Wake::Written(Ok(())) => self.sup.write_progress(self.now()),
                Wake::Written(Err(_)) | Wake::Read(Ok(0) | Err(_)) => {
                    self.sup.transport_closed(self.now());
                }
                Wake::Read(Ok(_)) => self.sup.read(self.now(), &mut read_buf),
                Wake::Room => self.deliver(),
                Wake::Control(control) => self.on_control(control),
                Wake::Command(None) => self.sup.abandon(self.now()),
                Wake::Command(Some(command)) => {
                    self.command(command);
                    for _ in 0..BATCH {
                        if !self.sup.has_room() {
                            break;
                        }
                        let Ok(command) = self.commands.try_recv() else {
                            break;
                        };
                        self.command(command);
                    }
                }
                Wake::Timer => self.sup.timeout(self.now()),
            }
        }
    }

    fn on_control(&mut self, control: Option<Control>) {
        let now = self.now();
        match control {
            Some(Control::Disconnect(timeout, reply)) => {
                while let Ok(command) = self.commands.try_recv() {
                    self.command(command);
                }
                self.sup.disconnect(now, timeout, Tag::Unit(reply));
            }
            Some(Control::Abort(reply)) => self.sup.abort(now, Tag::Unit(reply)),
            None => self.sup.abandon(now),
        }
    }

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
                let _ = reply.try_send(self.sup.ack(id).map_err(Error::Client));
            }
        }
    }
}

/// What the connection task waits for in one turn; `None` for what it does not wait for.
struct Waits<'a, W, R> {
    writer: &'a mut W,
    write_buf: &'a mut Chunks,
    unflushed: &'a mut bool,
    needs_flush: bool,
    reader: Option<&'a mut R>,
    chunk: &'a mut [u8],
    /// Messages wait for room in the stream: the application taking one wakes the task.
    taken: Option<(Arc<Event>, &'a Sender<Publish>)>,
    control: &'a Receiver<Control>,
    commands: Option<&'a Receiver<Command>>,
    deadline: Option<std::time::Instant>,
}

/// The first of the waits to finish. Each is cancel safe: a write or a read that completes
/// does so within the poll that returns it.
async fn next_wake<W: AsyncWrite + Unpin, R: AsyncRead + Unpin>(w: Waits<'_, W, R>) -> Wake {
    let pending_write = !w.write_buf.is_empty() || *w.unflushed;
    let (writer, write_buf, unflushed, needs_flush) =
        (w.writer, w.write_buf, w.unflushed, w.needs_flush);
    let write = async {
        if pending_write {
            Wake::Written(write_some(writer, write_buf, unflushed, needs_flush).await)
        } else {
            std::future::pending().await
        }
    };
    let (reader, chunk) = (w.reader, w.chunk);
    let read = async {
        match reader {
            Some(reader) => Wake::Read(reader.read(chunk).await),
            None => std::future::pending().await,
        }
    };
    let taken = w.taken;
    let room = async {
        match taken {
            Some((taken, messages)) => {
                let listener = taken.listen();
                // Room made before the listener existed would otherwise go unnoticed.
                if messages.is_full() {
                    listener.await;
                }
                Wake::Room
            }
            None => std::future::pending().await,
        }
    };
    let control = async { Wake::Control(w.control.recv().await.ok()) };
    let commands = w.commands;
    let command = async {
        match commands {
            Some(commands) => Wake::Command(commands.recv().await.ok()),
            None => std::future::pending().await,
        }
    };
    let deadline = w.deadline;
    let timer = async {
        match deadline {
            Some(at) => {
                async_io::Timer::at(at).await;
                Wake::Timer
            }
            None => std::future::pending().await,
        }
    };
    write
        .or(read)
        .or(room)
        .or(control)
        .or(command)
        .or(timer)
        .await
}

/// Writes some of `chunks` (many buffers in one vectored write); once all of it is written,
/// flushes the transport if it needs that.
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
    let mut slices = [IoSlice::new(&[]); 64];
    let filled = chunks.chunks_vectored(&mut slices);
    let written = writer.write_vectored(&slices[..filled]).await?;
    if written == 0 {
        return Err(std::io::ErrorKind::WriteZero.into());
    }
    chunks.advance(written);
    *unflushed = needs_flush;
    Ok(())
}
