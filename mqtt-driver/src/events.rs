//! The connection events between a driver and the application: bounded, and never losing an
//! event without saying so.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use event_listener::Listener as _;
use mqtt_sansio::ConnectionEvent;

use crate::Numbered;

/// An event with the number of its connection.
type Item = Numbered<ConnectionEvent>;

/// Creates the two ends of an event queue that holds at most `capacity` events (at least 2).
///
/// The driver never waits: when the application lags behind, the oldest events give way and a
/// [`ConnectionEvent::Lagged`] in their place says how many it missed, as
/// `tokio::sync::broadcast` reports `Lagged(n)`. The newest events, `Stopped` last of all, are
/// always there to read.
///
/// ```
/// use mqtt_driver::{Numbered, event_queue};
/// use mqtt_sansio::ConnectionEvent;
///
/// let (sink, events) = event_queue(3);
/// for attempt in 1..=5 {
///     let event = ConnectionEvent::Reconnecting { attempt, delay: Default::default(), broker: 0 };
///     sink.send(Numbered::new(u64::from(attempt), event));
/// }
/// sink.send(Numbered::new(5, ConnectionEvent::Stopped));
/// drop(sink);
/// let lagged = events.try_recv().unwrap();
/// assert_eq!(lagged.item, ConnectionEvent::Lagged { missed: 4 });
/// assert_eq!(lagged.connection, 4, "the last connection it missed an event of");
/// assert!(matches!(*events.try_recv().unwrap(), ConnectionEvent::Reconnecting { attempt: 5, .. }));
/// assert_eq!(events.recv_blocking().map(Numbered::into_inner), Some(ConnectionEvent::Stopped));
/// assert_eq!(events.recv_blocking(), None, "the driver is gone");
/// ```
#[must_use]
pub fn event_queue(capacity: usize) -> (EventSink, EventQueue) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            capacity: capacity.max(2),
            closed: false,
        }),
        ready: event_listener::Event::new(),
    });
    (
        EventSink {
            shared: shared.clone(),
        },
        EventQueue { shared },
    )
}

struct Shared {
    state: Mutex<State>,
    ready: event_listener::Event,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct State {
    queue: VecDeque<Item>,
    capacity: usize,
    /// The driver is gone: once the queue is empty, there is nothing more.
    closed: bool,
}

/// The driver's end of an [`event_queue`]; dropping it ends the queue.
pub struct EventSink {
    shared: Arc<Shared>,
}

impl EventSink {
    /// Queues `event` without waiting: when the queue is full, the oldest events make room and
    /// a [`ConnectionEvent::Lagged`] at the front counts them.
    /// The count carries the number of the connection of the last event it stands for.
    pub fn send(&self, event: Item) {
        let mut state = self.shared.lock();
        if state.queue.len() >= state.capacity {
            let mut missed = 0;
            let mut connection = 0;
            // Room for the event and for the count in front of the rest.
            while state.queue.len() + 2 > state.capacity {
                let Some(dropped) = state.queue.pop_front() else {
                    break;
                };
                connection = dropped.connection;
                match dropped.item {
                    ConnectionEvent::Lagged { missed: earlier } => missed += earlier,
                    _ => missed += 1,
                }
            }
            if let Some(ConnectionEvent::Lagged { missed: earlier }) =
                state.queue.front().map(|e| &e.item)
            {
                missed += earlier;
                state.queue.pop_front();
            }
            let lagged = Numbered::new(connection, ConnectionEvent::Lagged { missed });
            state.queue.push_front(lagged);
        }
        state.queue.push_back(event);
        drop(state);
        self.shared.ready.notify(usize::MAX);
    }
}

impl Drop for EventSink {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify(usize::MAX);
    }
}

impl std::fmt::Debug for EventSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSink").finish_non_exhaustive()
    }
}

/// The application's end of an [`event_queue`].
pub struct EventQueue {
    shared: Arc<Shared>,
}

impl EventQueue {
    /// The next event if one is waiting, without waiting; `None` when none is (or the driver
    /// is gone).
    #[must_use]
    pub fn try_recv(&self) -> Option<Item> {
        self.shared.lock().queue.pop_front()
    }

    /// Done with the next event, or with `None` when the driver is gone and every event was
    /// taken; to go on waiting while there is nothing to say yet.
    fn ready(&self) -> ControlFlow<Option<Item>> {
        let mut state = self.shared.lock();
        match state.queue.pop_front() {
            Some(event) => ControlFlow::Break(Some(event)),
            None if state.closed => ControlFlow::Break(None),
            None => ControlFlow::Continue(()),
        }
    }

    /// The next event; `None` once the driver is gone and every event was taken.
    ///
    /// Cancel safe: an event is never lost by dropping this future.
    pub async fn recv(&self) -> Option<Item> {
        loop {
            if let ControlFlow::Break(ready) = self.ready() {
                return ready;
            }
            let listener = self.shared.ready.listen();
            // An event may have come between the look and the listening.
            if let ControlFlow::Break(ready) = self.ready() {
                return ready;
            }
            listener.await;
        }
    }

    /// [`recv`](Self::recv), blocking the thread.
    #[must_use]
    pub fn recv_blocking(&self) -> Option<Item> {
        self.recv_until(None)
    }

    /// The next event within `timeout`, blocking the thread; `None` when none came (or the
    /// driver is gone).
    #[must_use]
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Item> {
        self.recv_until(Some(Instant::now() + timeout))
    }

    fn recv_until(&self, deadline: Option<Instant>) -> Option<Item> {
        loop {
            if let ControlFlow::Break(ready) = self.ready() {
                return ready;
            }
            let listener = self.shared.ready.listen();
            if let ControlFlow::Break(ready) = self.ready() {
                return ready;
            }
            match deadline {
                None => listener.wait(),
                Some(deadline) => listener.wait_deadline(deadline)?,
            }
        }
    }
}

impl std::fmt::Debug for EventQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue").finish_non_exhaustive()
    }
}
