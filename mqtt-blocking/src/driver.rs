//! The state every thread shares under one lock, and the connection thread: it opens the
//! transport, reads it (the read timeout follows the session's deadline), and reconnects.
//! Callers apply their commands under the same lock and write what they produce themselves.

use std::io::{ErrorKind, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use mqtt_driver::session::{Reply, Session, room_to_resume};
use mqtt_driver::trace::AttemptSpan;
use mqtt_driver::{Attempts, Error, EventSink, Numbered, Options, TaskFigures};
use mqtt_proto::Publish;
use mqtt_sansio::{Chunks, DisconnectReason, End, Instant};

use crate::link::{Link, Socket};

/// The size of a read.
const READ_CHUNK: usize = 64 * 1024;

/// How long a write may block on a broker that stopped reading before the connection counts
/// as broken.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct State {
    /// The session, its waiting commands and the messages the application has not taken yet
    /// (while any wait, the socket is not read).
    pub(crate) session: Session,
    link: Option<Link>,
    write_buf: Chunks,
    /// Dropped when the connection thread stops, so that the application's stream ends once
    /// it has taken the messages in it (and then those left in `inbox`).
    messages: Option<SyncSender<Numbered<Publish>>>,
    /// [`Shared::in_stream`], counted up as messages go into the stream.
    in_stream: Arc<AtomicUsize>,
    /// Set when the session ended the connection, until the connection thread closes it.
    ended: Option<DisconnectReason>,
    /// The connection thread has finished: commands fail with `Closed`.
    pub(crate) stopped: bool,
    /// The span of the attempt under way: whichever thread moves the session enters it.
    span: Option<AttemptSpan>,
    /// How many times bytes were written: a write after a read carries its acknowledgement.
    writes: u64,
    origin: std::time::Instant,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    /// Room for commands, room in the message stream, a stop: whoever waits on the state
    /// looks again.
    pub(crate) changed: Condvar,
    /// Messages handed to the stream and not taken yet.
    pub(crate) in_stream: Arc<AtomicUsize>,
    /// A message taken that leaves this many in the stream wakes the connection thread, which
    /// holds received messages back for room ([`room_to_resume`]): once per half a stream,
    /// not once per message.
    pub(crate) resume_at: usize,
}

impl Shared {
    pub(crate) fn new(
        options: &Options,
        messages: SyncSender<Numbered<Publish>>,
        events: EventSink,
        first: Reply<()>,
    ) -> Result<Self, Error> {
        let capacity = options.message_capacity.max(1);
        let in_stream = Arc::new(AtomicUsize::new(0));
        Ok(Self {
            state: Mutex::new(State {
                session: Session::new(options, events, first)?,
                link: None,
                write_buf: Chunks::new(),
                messages: Some(messages),
                in_stream: in_stream.clone(),
                ended: None,
                stopped: false,
                span: None,
                writes: 0,
                origin: std::time::Instant::now(),
            }),
            changed: Condvar::new(),
            in_stream,
            resume_at: capacity - room_to_resume(capacity),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves a state that is still consistent enough to
        // fail every command with `Closed`.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until a command may be applied; `None` when the client stopped.
    pub(crate) fn with_room(&self) -> Option<MutexGuard<'_, State>> {
        let mut state = self.lock();
        loop {
            if state.stopped {
                return None;
            }
            if state.session.supervisor().has_room() {
                return Some(state);
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

impl State {
    pub(crate) fn now(&self) -> Instant {
        let nanos = self.origin.elapsed().as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Writes what the session has to send, answers finished commands, hands messages on and
    /// reports events, until nothing moves. Then whoever waits looks again.
    pub(crate) fn pump(&mut self, changed: &Condvar) {
        let span = self.span.clone();
        let _entered = span.as_ref().map(AttemptSpan::enter);
        loop {
            let now = self.now();
            let mut moved = false;
            let transmitted = self
                .session
                .supervisor_mut()
                .poll_transmit(now, &mut self.write_buf);
            // What the bytes depend on is durable before they go (and a message accepted
            // while offline is kept at once).
            if !self.session.persist(now) {
                // The store failed: nothing that depends on what it could not keep is written.
                self.write_buf.clear();
                if let Some(link) = self.link.as_mut() {
                    link.shutdown();
                }
            } else if transmitted {
                moved = true;
                let sent = match self.link.as_mut() {
                    Some(link) => link.send(&mut self.write_buf).is_ok(),
                    None => false,
                };
                self.write_buf.clear();
                self.writes += 1;
                if sent {
                    self.session.supervisor_mut().handle_written();
                } else {
                    self.session.supervisor_mut().handle_transport_closed(now);
                }
            }
            let dispatched = self.session.dispatch();
            if dispatched.outputs > 0 {
                moved = true;
                if let Some(reason) = dispatched.ended {
                    self.ended = Some(reason);
                    // The last bytes went out above: close, so that the connection thread's
                    // read returns.
                    if let Some(link) = self.link.as_mut() {
                        link.shutdown();
                    }
                }
            }
            self.deliver();
            if !moved {
                break;
            }
        }
        self.session.set_task_figures(TaskFigures {
            commands_queued: 0,
            write_buffered: self.write_buf.len(),
        });
        self.session.publish_stats();
        changed.notify_all();
    }

    /// After the client stopped: the next received message the stream had no room for.
    pub(crate) fn leftover(&mut self) -> Option<Numbered<Publish>> {
        if self.messages.is_some() {
            return None;
        }
        self.session.inbox().pop_front()
    }

    /// Hands received messages to the application while the stream has room.
    fn deliver(&mut self) {
        let Some(messages) = &self.messages else {
            return;
        };
        let in_stream = &self.in_stream;
        self.session.deliver(|message| {
            // Counted before the application can take it.
            in_stream.fetch_add(1, Ordering::AcqRel);
            let sent = messages.try_send(message);
            if sent.is_err() {
                in_stream.fetch_sub(1, Ordering::AcqRel);
            }
            match sent {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(message)) => Err(Some(message)),
                // Nobody takes messages any more.
                Err(TrySendError::Disconnected(_)) => Err(None),
            }
        });
    }

    /// How long until the session's next deadline.
    fn until_deadline(&self) -> Duration {
        self.session
            .poll_timeout()
            .map_or(Duration::from_secs(3600), |t| {
                t.saturating_duration_since(self.now())
            })
    }
}

/// The connection thread: connects, serves the connection, and reconnects while that makes
/// sense; then fails what still waits.
pub(crate) fn run(shared: &Shared, options: &Options) {
    let mut attempts = Attempts::new(options);
    loop {
        // The hook runs without the lock: commands go on meanwhile.
        if let Some(fresh) = futures_lite::future::block_on(attempts.before()) {
            shared.lock().session.set_credentials(fresh);
        }
        let (span, target) = {
            let mut state = shared.lock();
            let target = state.session.next_broker(options);
            let span = state.session.attempt(&target);
            state.span = Some(span.clone());
            (span, target)
        };
        let opened = {
            let _entered = span.enter();
            target.and_then(|broker| Link::open(options, &broker))
        };
        let end = match opened {
            Ok((link, reader)) => serve(shared, link, reader),
            Err(e) => {
                let _entered = span.enter();
                shared.lock().session.unreachable(e);
                End::Unreachable
            }
        };
        shared.lock().span = None;
        let (fresh, jitter) = futures_lite::future::block_on(attempts.after(&end));
        let mut state = shared.lock();
        let now = state.now();
        let next = state.session.after_attempt(now, end, fresh, jitter);
        state.pump(&shared.changed);
        if let Some(delay) = next {
            // Sleep, unless `disconnect` or `abort` comes first.
            let deadline = std::time::Instant::now() + delay;
            while !state.session.supervisor().must_stop() {
                if state.session.take_reconnect_now() {
                    break;
                }
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                // Requests time out meanwhile.
                let wait = left.min(state.until_deadline());
                state = shared
                    .changed
                    .wait_timeout(state, wait)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
                let now = state.now();
                state.session.handle_timeout(now);
                state.pump(&shared.changed);
            }
            if !state.session.supervisor().must_stop() {
                continue;
            }
        }
        state.session.stop();
        state.pump(&shared.changed);
        state.stopped = true;
        state.messages = None;
        shared.changed.notify_all();
        return;
    }
}

/// One connection, from the open transport to its end.
fn serve(shared: &Shared, link: Link, mut reader: Socket) -> End {
    link.set_write_timeout(WRITE_TIMEOUT);
    let mut state = shared.lock();
    state.link = Some(link);
    let now = state.now();
    // A wish to reconnect at once was for the wait this connection ends.
    let _ = state.session.take_reconnect_now();
    state.session.supervisor_mut().handle_transport_open(now);
    state.pump(&shared.changed);
    let mut raw = vec![0_u8; READ_CHUNK];
    let mut plain = BytesMut::new();
    let mut reading = true;
    let mut can_acknowledge = true;
    loop {
        if state.session.supervisor().must_stop() {
            if let Some(mut link) = state.link.take() {
                link.shutdown();
            }
            state.pump(&shared.changed);
            return End::Stop;
        }
        if let Some(reason) = state.ended.take() {
            state.link = None;
            let end = state.session.supervisor_mut().handle_closed(reason, true);
            state.pump(&shared.changed);
            return end;
        }
        // A full message stream stops reading the socket: TCP slows the broker down, and the
        // session keeps pinging without expecting the PINGRESP it cannot read.
        let now = state.now();
        if state.session.reading(now) != reading {
            reading = !reading;
            if reading && !plain.is_empty() {
                // What was read while reading was paused.
                state.session.supervisor_mut().handle_read(now, &mut plain);
            }
            state.pump(&shared.changed);
            continue;
        }
        let wait = state.until_deadline();
        if !reading {
            state = shared
                .changed
                .wait_timeout(state, wait)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
            let now = state.now();
            state.session.handle_timeout(now);
            state.deliver();
            state.pump(&shared.changed);
            continue;
        }
        // Read without the lock; the read timeout is the session's next deadline.
        drop(state);
        let _ = reader.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
        let read = reader.read(&mut raw);
        state = shared.lock();
        let now = state.now();
        let writes = state.writes;
        let read_some = matches!(read, Ok(n) if n > 0);
        match read {
            Ok(0) => state.session.supervisor_mut().handle_transport_closed(now),
            Ok(n) => {
                let received = match state.link.as_mut() {
                    Some(link) => link.receive(&raw[..n], &mut plain),
                    None => Ok(()),
                };
                match received {
                    // Paused meanwhile: the bytes wait in `plain` until reading resumes.
                    Ok(()) if !state.session.reading(now) => {}
                    Ok(()) => state.session.supervisor_mut().handle_read(now, &mut plain),
                    Err(_) => state.session.supervisor_mut().handle_transport_closed(now),
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => state.session.supervisor_mut().handle_transport_closed(now),
        }
        state.session.handle_timeout(now);
        state.pump(&shared.changed);
        // A read that left nothing to write while answers are awaited is acknowledged at once:
        // a broker with Nagle's algorithm on holds its next answers until the client's delayed
        // ACK otherwise (`mqtt_driver::Transport::acknowledge_now`).
        if read_some && can_acknowledge && state.writes == writes && state.session.awaits_answers()
        {
            can_acknowledge = reader.acknowledge_now().is_ok();
        }
    }
}
