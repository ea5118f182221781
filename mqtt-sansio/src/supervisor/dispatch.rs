//! The supervisor's outputs: the session's events turned into answers for the tags that wait,
//! flushes settled, and the decisions between connections.

use alloc::string::ToString;
use core::time::Duration;

use alloc::vec::Vec;
use mqtt_proto::ProtocolVersion;

use crate::reconnect::{End, Next};
use crate::{ClientError, CommandId, Event, Instant, Retry, SessionReset};

use super::outcome::{Acked, ConnectionEvent, Done, Failure, Output, Published};
use super::{Supervisor, Waiter};

impl<T> Supervisor<T> {
    // ---- outputs ----

    /// The next outcome, message or event.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output<T>> {
        self.absorb_events();
        self.settle_flushes();
        self.outputs.pop_front()
    }

    /// Takes the session's events into the outputs.
    pub(super) fn absorb_events(&mut self) {
        while let Some(event) = self.client.poll_event() {
            self.dispatch(event);
        }
    }

    /// Answers QoS 0 messages that will not be written.
    pub(super) fn fail_qos0(&mut self, waiters: Vec<Waiter<T>>, failure: &Failure) {
        for waiter in waiters {
            match waiter {
                Waiter::Tagged(tag) => self
                    .outputs
                    .push_back(Output::Done(tag, Done::Published(Err(failure.clone())))),
                Waiter::Sent(_) => {
                    self.send_failure.get_or_insert_with(|| failure.clone());
                }
                // Restored messages are QoS 1 and 2.
                Waiter::Restored => {}
            }
        }
    }

    /// A command the session accepted and then gave up.
    pub(super) fn failed(&mut self, command: CommandId, error: ClientError) {
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
                Some(Waiter::Restored) => {
                    self.outputs
                        .push_back(Output::Event(ConnectionEvent::RestoredPublished {
                            packet_id: id,
                            result: Err(Failure::Client(error)),
                        }));
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
    pub(super) fn renumber(&mut self, reset: &SessionReset) {
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

    pub(super) fn dispatch(&mut self, event: Event) {
        match event {
            Event::Connected(connected) => {
                self.reconnect.handle_connected(self.clock);
                self.versions.accepted = true;
                self.outputs
                    .push_back(Output::Event(ConnectionEvent::Connected {
                        session_present: connected.session_present,
                        limits: connected.limits,
                        connack: connected.connack,
                        broker: self.reconnect.broker(),
                        version: self.client.config().version,
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
                Some(waiter @ (Waiter::Tagged(_) | Waiter::Restored)) => {
                    let result = if reason_code.is_error() {
                        Err(Failure::Failed(reason_code))
                    } else {
                        Ok(Published {
                            packet_id: Some(packet_id),
                            reason_code,
                            properties,
                        })
                    };
                    self.outputs.push_back(match waiter {
                        Waiter::Tagged(tag) => Output::Done(tag, Done::Published(result)),
                        _ => {
                            Output::Event(ConnectionEvent::RestoredPublished { packet_id, result })
                        }
                    });
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
    pub(super) fn settle_flushes(&mut self) {
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

    /// Whether and when to connect again after `end`, at `now`
    /// ([`Reconnect::next`](crate::Reconnect::next) under the policy): `first` says that no connection was accepted yet (the caller of connect waits:
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
        if self.policy.version_fallback
            && !self.versions.accepted
            && self.client.config().version.is_v5()
            && super::versions::refuses_v5(end)
        {
            let broker = self.reconnect.broker();
            if self.reconnect.redirect().is_none() {
                self.versions.fall_back(broker);
            }
            let _ = self.client.set_version(ProtocolVersion::V3_1_1);
            self.outputs
                .push_back(Output::Event(ConnectionEvent::Reconnecting {
                    attempt: self.reconnect.attempt(),
                    delay: Duration::ZERO,
                    broker,
                }));
            return Next::Retry(Duration::ZERO);
        }
        let next = self
            .reconnect
            .next(now, end, first, fresh_credentials, jitter);
        if self.policy.version_fallback {
            // The version of the broker the next attempt (if any) goes to.
            let version = match self.reconnect.redirect() {
                Some(_) => self.versions.configured,
                None => self.versions.version_for(self.reconnect.broker()),
            };
            if version != self.client.config().version {
                let _ = self.client.set_version(version);
            }
        }
        if let Some((reference, permanent)) = end.redirection() {
            let followed =
                matches!(next, Next::Retry(_)) && self.reconnect.redirect() == Some(reference);
            self.outputs
                .push_back(Output::Event(ConnectionEvent::Redirected {
                    server_reference: reference.to_string(),
                    permanent,
                    followed,
                }));
        }
        if let Next::Retry(delay) = next {
            self.outputs
                .push_back(Output::Event(ConnectionEvent::Reconnecting {
                    attempt: self.reconnect.attempt(),
                    delay,
                    broker: self.reconnect.broker(),
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
