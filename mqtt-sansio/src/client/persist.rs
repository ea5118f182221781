//! The session's durable state: the changes it gives its store, and a session restored from
//! one ([`crate::store`]).

use mqtt_proto::QoS;

use super::Client;
use super::publish::{Outgoing, Stage};
use super::receive::{Inbound2, Qos2State};
use crate::store::{Durable, RestoreError, Stored};

impl Client {
    /// Switches the store on (`true`) or off: while on, every change to the state a restarted
    /// process needs comes out of [`poll_store`](Self::poll_store), and the driver makes it
    /// durable before it writes the bytes it takes from [`poll_transmit`](Self::poll_transmit)
    /// after it ([`crate::store`] says why this one rule is enough). Off by default; switch it on
    /// before the first [`publish`](Self::publish).
    pub fn set_store(&mut self, on: bool) {
        self.changes.set(on);
    }

    /// The oldest change for the store not yet taken ([`set_store`](Self::set_store)).
    ///
    /// ```
    /// use mqtt_proto::{MqttString, QoS, TopicName};
    /// use mqtt_sansio::{Client, Config, Durable, Instant, Message, Stored};
    ///
    /// let mut client = Client::new(Config::new(MqttString::from_static("kept")));
    /// client.set_store(true);
    /// let topic = TopicName::new("t").unwrap();
    /// let id = client.publish(Message::new(topic, QoS::AtLeastOnce, "x")).unwrap().unwrap();
    /// // Accepted while offline: kept before it is ever sent.
    /// let mut stored = Stored::default();
    /// while let Some(change) = client.poll_store() {
    ///     stored.apply(&change);
    /// }
    /// assert_eq!(stored.messages[0].publish.qos_pid.packet_id(), Some(id));
    ///
    /// // A new process takes the session back.
    /// let mut restarted = Client::new(client.config().clone());
    /// restarted.restore(stored).unwrap();
    /// assert_eq!(restarted.inflight(), 1);
    /// ```
    pub fn poll_store(&mut self) -> Option<Durable> {
        self.changes.poll()
    }

    /// How many changes wait for [`poll_store`](Self::poll_store).
    #[must_use]
    pub fn store_len(&self) -> usize {
        self.changes.len()
    }

    /// Takes back the session a store kept, in a new client, before its first connection.
    ///
    /// The stored messages are in flight, in their order, as they were when the process ended
    /// (whether they had been sent is not kept: each goes again with DUP set, which says
    /// "perhaps sent before"): when the server resumes the session they are sent again, PUBLISH
    /// with DUP and PUBREL for the released ones ([MQTT-4.4.0-1]); when it has none, they go as
    /// new messages ([`Event::SessionReset`](crate::Event::SessionReset)). The inbound QoS 2
    /// identifiers wait for their PUBREL: a PUBLISH under one of them is not delivered again
    /// ([MQTT-4.3.3-10] of 5.0). For the server to resume the session, the configuration asks
    /// for it ([`Config::with_clean_start`](crate::Config::with_clean_start) `false` and, in MQTT
    /// 5.0, a Session Expiry Interval).
    ///
    /// # Errors
    /// [`RestoreError::NotNew`] once a transport was opened or the client has state of its own,
    /// [`RestoreError::DuplicateId`], [`RestoreError::AtMostOnce`] for a store that broke its
    /// contract; nothing is restored then.
    pub fn restore(&mut self, stored: Stored) -> Result<(), RestoreError> {
        self.journal
            .keep(|| crate::journal::Entry::Restore(stored.clone()));
        if self.connection() != 0
            || !self.inflight.is_empty()
            || !self.pending.is_empty()
            || !self.requests.is_empty()
            || self.inbound_qos2.len() != 0
        {
            return Err(RestoreError::NotNew);
        }
        let mut ids = crate::ids::PacketIds::new();
        let mut inflight = alloc::collections::VecDeque::with_capacity(stored.messages.len());
        for message in stored.messages {
            let mut publish = message.publish;
            let id = publish
                .qos_pid
                .packet_id()
                .ok_or(RestoreError::AtMostOnce)?;
            if !ids.reserve(id) {
                return Err(RestoreError::DuplicateId(id));
            }
            let stage = match (publish.qos(), message.released) {
                (QoS::ExactlyOnce, true) => Stage::Released,
                (QoS::ExactlyOnce, false) => Stage::Qos2Sent,
                _ => Stage::Qos1Sent,
            };
            publish.dup = false;
            // Its time to live counts from the restart: how long the previous process held
            // it, no clock here can tell.
            let expires = self.expires(&publish);
            inflight.push_back(Outgoing {
                publish,
                stage,
                expires,
            });
        }
        let mut inbound = crate::id_map::IdMap::new();
        for id in stored.inbound {
            if inbound.contains_key(id.get()) {
                return Err(RestoreError::DuplicateId(id));
            }
            inbound.insert(id.get(), Inbound2::received());
        }
        self.ids = ids;
        self.inflight = inflight;
        self.inbound_qos2 = inbound;
        Ok(())
    }

    /// Keeps the change `make` builds, while the store is on.
    #[inline]
    pub(super) fn durable(&mut self, make: impl FnOnce() -> Durable) {
        self.changes.keep(make);
    }
}

impl Inbound2 {
    /// An exchange restored from a store: PUBREC went out, PUBREL is due.
    pub(super) fn received() -> Self {
        Self::new(Qos2State::Received, 0)
    }
}
