//! The connection task, once for every runtime: it opens the transport (TCP, then TLS), runs
//! the session over it, hands received messages to the application's stream, and reconnects
//! while the policy says so. Each turn it drains the session (bytes, then outputs, then the
//! deadline), then waits for whatever comes first: the transport writable or readable, room in
//! the message stream, a command, the deadline.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Buf;
use event_listener::{Event, EventListener};
use futures_lite::Future;
use mqtt_proto::Publish;
use mqtt_sansio::{Chunks, End, Instant};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{Receiver, Sender};

use crate::open::{Opened, open};
use crate::read_buffer::ReadBuffer;
use crate::runtime::{Runtime, Timer, Transport};
use crate::session::{Command, Control, Session};
use crate::{Attempts, Numbered, Options, TaskFigures};

/// The most commands taken in one turn before writing: many small publishes leave in one
/// write.
const BATCH: usize = 256;

/// How long the last bytes of a connection (a DISCONNECT) may take to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// How far away "no deadline" is.
const FAR: Duration = Duration::from_secs(86_400);

/// The channels between the handles and the connection task.
pub(crate) struct Channels {
    pub(crate) commands: Receiver<Command>,
    pub(crate) control: Receiver<Control>,
    pub(crate) messages: Sender<Numbered<Publish>>,
    /// Notified when the application takes a message: room in the stream.
    pub(crate) taken: Arc<Event>,
    /// Where the messages the stream has no room for go when the client stops.
    pub(crate) leftover: Arc<Mutex<VecDeque<Numbered<Publish>>>>,
}

pub(crate) struct Driver<R: Runtime> {
    runtime: R,
    options: Options,
    session: Session,
    attempts: Attempts,
    channels: Channels,
    /// Whether the handles' ends of the channels are still there.
    commands_open: bool,
    control_open: bool,
    origin: std::time::Instant,
}

/// One open connection: the transport and its buffers.
struct Connection {
    transport: Box<dyn Transport>,
    read_buf: ReadBuffer,
    write_buf: Chunks,
    /// Written bytes the transport may still hold (TLS records).
    unflushed: bool,
    /// TLS and WebSocket hold bytes back until flushed; TCP writes them at once.
    needs_flush: bool,
    /// Whether the bytes read wait for their acknowledgement.
    ack: Ack,
}

/// The acknowledgement (TCP's) of the bytes read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ack {
    /// Sent: carried by a write, or at once.
    Sent,
    /// Owed: bytes were read since; the next write carries it, if one comes.
    Owed,
    /// The transport cannot acknowledge at once: the OS's delayed ACK does.
    Unsupported,
}

impl Ack {
    /// Bytes were read.
    fn read(&mut self) {
        if *self == Self::Sent {
            *self = Self::Owed;
        }
    }

    /// Bytes were written, which carry the acknowledgement.
    fn written(&mut self) {
        if *self == Self::Owed {
            *self = Self::Sent;
        }
    }
}

impl Connection {
    /// Acknowledges what was read at once when the client awaits answers (PUBACK, PUBREC,
    /// PUBCOMP, SUBACK, …) and nothing is about to be written that would carry the
    /// acknowledgement: a broker with Nagle's algorithm on holds its next answers until the
    /// client's delayed ACK otherwise, up to 40 ms on Linux, while a client with a full window
    /// or a `flush` under way has nothing to send. Messages read while nothing is awaited (a
    /// subscriber's stream) keep the OS's delayed acknowledgements, which cost nothing.
    fn acknowledge_if_idle(&mut self, writing_soon: bool, awaiting: bool) {
        if awaiting && !writing_soon && self.write_buf.is_empty() && !self.unflushed {
            self.acknowledge_owed();
        }
    }

    /// Acknowledges at once what was read since the last write, if the transport can.
    fn acknowledge_owed(&mut self) {
        if self.ack == Ack::Owed {
            self.ack = match self.transport.acknowledge_now() {
                Ok(()) => Ack::Sent,
                Err(_) => Ack::Unsupported,
            };
        }
    }
}

/// What was ready in one turn: everything that was, so that a busy socket starves nothing.
#[derive(Default)]
struct Ready {
    written: Option<std::io::Result<()>>,
    read: Option<std::io::Result<usize>>,
    room: bool,
    control: Option<Control>,
    command: Option<Command>,
    /// Every handle is gone.
    abandoned: bool,
    timer: bool,
}

impl Ready {
    fn any(&self) -> bool {
        self.written.is_some()
            || self.read.is_some()
            || self.room
            || self.control.is_some()
            || self.command.is_some()
            || self.abandoned
            || self.timer
    }
}

impl<R: Runtime> Driver<R> {
    pub(crate) fn new(runtime: R, options: Options, session: Session, channels: Channels) -> Self {
        Self {
            origin: runtime.now(),
            runtime,
            attempts: Attempts::new(&options),
            options,
            session,
            channels,
            commands_open: true,
            control_open: true,
        }
    }

    fn now(&self) -> Instant {
        let nanos = self.runtime.now().duration_since(self.origin).as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    fn at(&self, instant: Instant) -> std::time::Instant {
        self.origin + Duration::from_nanos(instant.as_nanos())
    }

    /// Connects, serves the connection, and reconnects while that makes sense; then answers
    /// every command still waiting. The driver comes boxed: an `async fn` keeps its arguments
    /// beside its locals, so a driver by value would take its room twice in every task.
    pub(crate) async fn run(mut self: Box<Self>) {
        loop {
            // The hook's future comes boxed: `before` and `after` keep a pointer to it.
            if let Some(fresh) = self.attempts.before().await {
                self.session.set_credentials(fresh);
            }
            let target = self.session.next_broker(&self.options);
            let span = self.session.attempt(&target);
            // Boxed, as the waits between attempts: their state takes room while they run,
            // not for the life of the connection task (thousands of them in some processes).
            let attempt = Box::pin(async {
                let opened = match target {
                    // The handshakes' state (TLS, proxy, WebSocket) only while they run.
                    Ok(broker) => Box::pin(open(&self.runtime, &self.options, &broker)).await,
                    Err(e) => Err(e),
                };
                match opened {
                    // In the attempt's box, where the handshake's box was.
                    Ok(opened) => self.connection(opened).await,
                    Err(e) => {
                        self.session.unreachable(e);
                        End::Unreachable
                    }
                }
            });
            #[cfg(feature = "tracing")]
            let end = tracing::Instrument::instrument(attempt, span.span().clone()).await;
            #[cfg(not(feature = "tracing"))]
            let end = {
                let _ = span;
                attempt.await
            };
            let (fresh, jitter) = self.attempts.after(&end).await;
            let now = self.now();
            match self.session.after_attempt(now, end, fresh, jitter) {
                Some(delay) => {
                    if !Box::pin(self.wait(delay)).await {
                        break;
                    }
                }
                None => break,
            }
        }
        self.session.stop();
        self.publish_stats(0);
        // Received messages the stream has no room for follow its last message: none is lost
        // because the client stopped.
        self.deliver();
        let held = std::mem::take(self.session.inbox());
        *self
            .channels
            .leftover
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = held;
        // A command sent after the last answer would otherwise wait for ever: the channels
        // keep what is queued while any sender lives, and the handles hold senders. Closing
        // makes later sends fail; dropping what is queued answers `Closed`.
        self.channels.commands.close();
        self.channels.control.close();
        while self.channels.commands.try_recv().is_ok() {}
        while self.channels.control.try_recv().is_ok() {}
    }

    /// Sleeps `delay` while taking commands (they wait in the session) and timing requests
    /// out; `false` to stop.
    async fn wait(&mut self, delay: Duration) -> bool {
        let end = self.now() + delay;
        let mut timer = self.runtime.timer(self.at(end));
        let mut armed = Some(end);
        loop {
            // A message accepted while offline is kept at once.
            let _ = self.session.persist(self.now());
            let _ = self.session.dispatch();
            if self.session.supervisor().must_stop() {
                return false;
            }
            self.publish_stats(0);
            let wake = self.session.poll_timeout().map_or(end, |t| t.min(end));
            if armed != Some(wake) {
                timer.reset(self.at(wake));
                armed = Some(wake);
            }
            let accepting = self.session.supervisor().has_room();
            let ready = self
                .turn(accepting, |cx, ready, _| {
                    ready.timer = timer.poll_elapsed(cx).is_ready();
                })
                .await;
            let fired = ready.timer;
            // What was taken from the channels in this turn is applied, elapsed or not.
            self.handle(ready);
            let mut elapsed = false;
            if fired {
                let now = self.now();
                self.session.handle_timeout(now);
                elapsed = now >= end;
                armed = None;
            }
            if elapsed || self.session.take_reconnect_now() {
                return !self.session.supervisor().must_stop();
            }
        }
    }

    /// One connection, from the open transport to its end.
    async fn connection(&mut self, opened: Opened) -> End {
        let mut conn = Connection {
            transport: opened.transport,
            read_buf: ReadBuffer::new(),
            write_buf: Chunks::new(),
            unflushed: false,
            needs_flush: opened.needs_flush,
            ack: Ack::Sent,
        };
        let now = self.now();
        // A wish to reconnect at once was for the wait this connection ends.
        let _ = self.session.take_reconnect_now();
        self.session.supervisor_mut().handle_transport_open(now);
        let mut timer = self.runtime.timer(self.runtime.now() + FAR);
        // The deadline the timer is set to: set again only when it comes earlier (a timer goes
        // through the runtime's timer wheel or reactor each time). A later deadline, as the
        // keep-alive's after every write, leaves it where it is: it fires early once, finds
        // nothing due, and is set then to the deadline of that time.
        let mut armed: Option<Instant> = None;
        let mut room: Option<EventListener> = None;
        loop {
            if self.session.supervisor().must_stop() {
                let _ = self.session.dispatch();
                return End::Stop;
            }
            // Bytes, then outputs, then the deadline: the drain order of the session.
            if conn.write_buf.is_empty() && !conn.unflushed {
                self.session.supervisor_mut().handle_written();
            }
            let now = self.now();
            // The bytes are in the write buffer, which says whether there are any.
            let _ = self
                .session
                .supervisor_mut()
                .poll_transmit(now, &mut conn.write_buf);
            // What the bytes depend on is durable before they go.
            if !self.session.persist(now) {
                // The store failed: nothing that depends on what it could not keep is written.
                conn.write_buf = Chunks::new();
                let _ = self.session.dispatch();
                return End::Stop;
            }
            if let Some(reason) = self.session.dispatch().ended {
                let written = close(&self.runtime, &mut conn).await;
                let end = self.session.supervisor_mut().handle_closed(reason, written);
                let _ = self.session.dispatch();
                self.publish_stats(0);
                return end;
            }
            self.deliver();
            let reading = self.session.reading(now);
            let deadline = self.session.poll_timeout();
            if let Some(deadline) = deadline.filter(|d| armed.is_none_or(|a| *d < a)) {
                timer.reset(self.at(deadline));
                armed = Some(deadline);
            }
            self.publish_stats(conn.write_buf.len());
            let accepting = self.session.supervisor().has_room();
            conn.acknowledge_if_idle(
                accepting && !self.channels.commands.is_empty(),
                self.session.awaits_answers(),
            );
            let waiting = !self.session.inbox().is_empty();
            let mut ready = self
                .turn(accepting, |cx, ready, channels| {
                    if waiting {
                        ready.room = poll_room(cx, &mut room, channels);
                    }
                    if !conn.write_buf.is_empty() || conn.unflushed {
                        ready.written = ready_value(poll_write(cx, &mut conn));
                    }
                    if reading {
                        ready.read = ready_value(poll_read(cx, &mut conn));
                    }
                    if deadline.is_some() {
                        ready.timer = timer.poll_elapsed(cx).is_ready();
                    }
                })
                .await;
            let now = self.now();
            let failed = matches!(ready.written, Some(Err(_)));
            match ready.written.take() {
                Some(Ok(())) => self.session.supervisor_mut().handle_write_progress(now),
                Some(Err(_)) => self.session.supervisor_mut().handle_transport_closed(now),
                None => {}
            }
            // Bytes read after the transport failed belong to a connection that is over.
            match ready.read.take().filter(|_| !failed) {
                Some(Ok(0) | Err(_)) => self.session.supervisor_mut().handle_transport_closed(now),
                Some(Ok(_)) => {
                    conn.ack.read();
                    self.session
                        .supervisor_mut()
                        .handle_read(now, conn.read_buf.bytes());
                }
                None => {}
            }
            if ready.room {
                // The next turn hands the held messages over.
                room = None;
            }
            if ready.timer {
                self.session.handle_timeout(now);
                // A timer that fired is set again, whatever the next deadline.
                armed = None;
            }
            self.handle(ready);
        }
    }

    /// Waits until something is ready: the handles' channels, or what `poll` looks at (the
    /// transport, the timer, room in the message stream).
    async fn turn(
        &mut self,
        accepting: bool,
        mut poll: impl FnMut(&mut Context<'_>, &mut Ready, &Channels),
    ) -> Ready {
        std::future::poll_fn(|cx| {
            let mut ready = Ready::default();
            self.poll_handles(cx, accepting, &mut ready);
            poll(cx, &mut ready, &self.channels);
            if ready.any() {
                Poll::Ready(ready)
            } else {
                Poll::Pending
            }
        })
        .await
    }

    /// Polls the handles' channels: control always, commands while the session has room.
    fn poll_handles(&mut self, cx: &mut Context<'_>, accepting: bool, ready: &mut Ready) {
        if self.control_open {
            if let Poll::Ready(control) = self.channels.control.poll_recv(cx) {
                self.control_open = control.is_some();
                ready.abandoned |= control.is_none();
                ready.control = control;
            }
        }
        if accepting && self.commands_open {
            if let Poll::Ready(command) = self.channels.commands.poll_recv(cx) {
                self.commands_open = command.is_some();
                ready.abandoned |= command.is_none();
                ready.command = command;
            }
        }
    }

    /// Applies what the handles sent.
    fn handle(&mut self, ready: Ready) {
        let now = self.now();
        if let Some(command) = ready.command {
            self.session.command(now, command);
            // Take what else is waiting, so that many small publishes leave in one write.
            for _ in 0..BATCH {
                if !self.session.supervisor().has_room() {
                    break;
                }
                let Ok(command) = self.channels.commands.try_recv() else {
                    break;
                };
                self.session.command(now, command);
            }
        }
        if let Some(control) = ready.control {
            if matches!(control, Control::Disconnect(..)) {
                // What was sent before `disconnect` is part of what it waits for (past the
                // session's room, a message fails as the queue being full).
                while let Ok(command) = self.channels.commands.try_recv() {
                    self.session.command(now, command);
                }
            }
            self.session.control(now, Some(control));
        }
        if ready.abandoned {
            self.session.control(now, None);
        }
    }

    /// Publishes the figures for the handles.
    fn publish_stats(&mut self, write_buffered: usize) {
        self.session.set_task_figures(TaskFigures {
            commands_queued: self.channels.commands.len(),
            write_buffered,
        });
        self.session.publish_stats();
    }

    /// Hands received messages to the application while its stream has room.
    fn deliver(&mut self) {
        let messages = &self.channels.messages;
        self.session
            .deliver(|message| match messages.try_send(message) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(message)) => Err(Some(message)),
                Err(TrySendError::Closed(_)) => Err(None),
            });
    }
}

/// Writes the last bytes (a DISCONNECT) and closes, unless the broker stopped reading; whether
/// that worked.
async fn close<R: Runtime>(runtime: &R, conn: &mut Connection) -> bool {
    let mut timer = runtime.timer(runtime.now() + CLOSE_TIMEOUT);
    std::future::poll_fn(|cx| {
        if timer.poll_elapsed(cx).is_ready() {
            return Poll::Ready(false);
        }
        while !conn.write_buf.is_empty() {
            match poll_write(cx, conn) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Poll::Ready(false),
                Poll::Pending => return Poll::Pending,
            }
        }
        conn.transport.poll_close(cx).map(|closed| closed.is_ok())
    })
    .await
}

/// The value of a finished poll.
fn ready_value<T>(poll: Poll<T>) -> Option<T> {
    match poll {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// Whether the application made room in the message stream for a batch of the messages held
/// back ([`room_to_resume`](crate::session::room_to_resume)). The listener is made before
/// looking, so that room made in between is not missed: the application notifies it once the
/// stream has that much room.
fn poll_room(cx: &mut Context<'_>, room: &mut Option<EventListener>, channels: &Channels) -> bool {
    let listener = room.get_or_insert_with(|| channels.taken.listen());
    let messages = &channels.messages;
    if messages.capacity() >= crate::session::room_to_resume(messages.max_capacity()) {
        return true;
    }
    Pin::new(listener).poll(cx).is_ready()
}

/// Writes the connection's bytes, about [`MAX_WRITE`](crate::MAX_WRITE) at a time (whole
/// buffers in one vectored write), while the transport takes them; once all of it is written,
/// flushes the transport if it needs that. Bytes leave the buffer in the poll that writes them.
///
/// A TCP transport refuses a write while bytes written before have not left
/// ([`limit_unsent`](crate::limit_unsent)): the peer's window is full. What was read is
/// acknowledged then, at once, for a broker that holds its answers until it has the ACK
/// (Nagle's algorithm) while the bytes that would carry it wait for the window.
fn poll_write(cx: &mut Context<'_>, conn: &mut Connection) -> Poll<std::io::Result<()>> {
    if conn.write_buf.is_empty() {
        std::task::ready!(conn.transport.poll_flush(cx))?;
        conn.unflushed = false;
        return Poll::Ready(Ok(()));
    }
    let mut wrote = false;
    while !conn.write_buf.is_empty() {
        let mut slices = [IoSlice::new(&[]); 64];
        let filled = conn
            .write_buf
            .chunks_vectored_up_to(&mut slices, crate::MAX_WRITE);
        let polled = conn
            .transport
            .poll_write_vectored(cx, slices.get(..filled).unwrap_or_default());
        match polled {
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
            Poll::Ready(Ok(written)) => {
                conn.write_buf.advance(written);
                conn.unflushed = conn.needs_flush;
                // The segment carries the acknowledgement of what was read.
                conn.ack.written();
                wrote = true;
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {
                conn.acknowledge_owed();
                return if wrote {
                    Poll::Ready(Ok(()))
                } else {
                    Poll::Pending
                };
            }
        }
    }
    Poll::Ready(Ok(()))
}

/// Reads what the transport has into the read buffer, after the partial packet it may hold.
fn poll_read(cx: &mut Context<'_>, conn: &mut Connection) -> Poll<std::io::Result<usize>> {
    // What the packet at the front still lacks, if it is partial.
    let rest = match mqtt_proto::FixedHeader::parse(conn.read_buf.bytes()) {
        Ok(Some(header)) => header
            .packet_len()
            .saturating_sub(conn.read_buf.bytes().len()),
        _ => 0,
    };
    let read = conn
        .transport
        .poll_read_buf(cx, conn.read_buf.prepare(rest));
    if let Poll::Ready(Ok(n)) = read {
        conn.read_buf.record(n);
    }
    read
}
