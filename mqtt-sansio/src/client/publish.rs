//! Outbound messages: the window, the pending queue, acknowledgements and resending.

use alloc::vec::Vec;

use bytes::Bytes;
use mqtt_proto::{
    AckProperties, Packet, PacketId, PacketType, PropertyBox, PubRel, Publish, PublishProperties,
    QoS, QosPid, ReasonCode, TopicName,
};

use super::Client;
use crate::config::{InDoubt, WhenFull};
use crate::error::ClientError;
use crate::event::{CommandId, Event, Renumbered, SessionReset};
use crate::store::Durable;
use crate::time::Instant;

/// An application message to publish.
///
/// ```
/// use mqtt_proto::{QoS, TopicName};
/// use mqtt_sansio::Message;
///
/// let mut message = Message::new(TopicName::new("sensors/t1").unwrap(), QoS::AtLeastOnce, "21.5");
/// message.retain = true;
/// message.properties.message_expiry_interval = Some(300);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// Where it goes.
    pub topic: TopicName,
    /// The QoS to send it with.
    pub qos: QoS,
    /// Whether the server keeps it for future subscribers.
    pub retain: bool,
    /// The application payload.
    pub payload: Bytes,
    /// MQTT 5.0 properties.
    pub properties: PropertyBox<PublishProperties>,
}

impl Message {
    /// A message without RETAIN or properties.
    #[must_use]
    pub fn new(topic: TopicName, qos: QoS, payload: impl Into<Bytes>) -> Self {
        Self {
            topic,
            qos,
            retain: false,
            payload: payload.into(),
            properties: PropertyBox::default(),
        }
    }
}

/// Where an outbound QoS 1 or 2 message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    /// QoS 1, PUBLISH sent, PUBACK due.
    Qos1Sent,
    /// QoS 2, PUBLISH sent, PUBREC due.
    Qos2Sent,
    /// QoS 2, PUBREL sent, PUBCOMP due.
    Released,
}

/// How many bytes of output the client holds before it stops encoding waiting messages: they
/// stay in the pending queue, unencoded, until the driver takes the bytes. Acknowledgements and
/// PINGREQ are never held back, so they wait behind at most this much.
pub(super) const TRANSMIT_BUDGET: usize = 64 * 1024;

/// The payload size from which a message's payload is transmitted by reference rather than
/// copied: below it, copying costs less than a buffer of its own in a vectored write.
const BY_REFERENCE: usize = 4 * 1024;

/// An outbound QoS 1 or 2 message in flight.
pub(super) struct Outgoing {
    /// The message with its full topic name, whatever form it last went out in.
    pub(super) publish: Publish,
    pub(super) stage: Stage,
    /// When its time to live ends, should it wait to be sent again as a new message.
    pub(super) expires: Option<Instant>,
}

impl Outgoing {
    fn id(&self) -> Option<PacketId> {
        self.publish.qos_pid.packet_id()
    }
}

/// A message waiting for a connection or for room in the window.
pub(super) struct Queued {
    /// The message with its full topic name.
    pub(super) publish: Publish,
    /// A QoS 0 message's number ([`Client::qos0_accepted`]); 0 for QoS 1 and 2.
    pub(super) qos0: u64,
    /// The application gave a Topic Alias and no topic name: the message goes out so when the
    /// alias still stands for its topic on the connection that carries it.
    pub(super) alias_only: bool,
    /// When its time to live ends ([`Config::message_ttl`](crate::Config::message_ttl), or its
    /// Message Expiry Interval).
    pub(super) expires: Option<Instant>,
}

impl Client {
    /// Publishes `message`; returns its packet identifier for QoS 1 and 2, reported again with
    /// [`Event::Published`] when the exchange ends.
    ///
    /// The message is sent at once when connected and the window has room (QoS 0 needs no
    /// room); otherwise it waits in the pending queue, in order, and goes out when it can. QoS 0
    /// has no event when it goes well: it is done when [`poll_transmit`](Self::poll_transmit)
    /// hands it over ([`qos0_transmitted`](Self::qos0_transmitted) counts them).
    ///
    /// A message is checked again against the limits of the connection that carries it (a
    /// server may lower its Maximum QoS, Maximum Packet Size or Retain Available when the client
    /// reconnects): one that no longer fits is not sent, and ends with [`Event::Failed`]. A
    /// Topic Alias above the new connection's Topic Alias Maximum is left out (the message goes
    /// with its topic name), and a message the application gave by alias alone goes with its
    /// topic name on any connection where the alias does not stand for it.
    ///
    /// # Errors
    /// Nothing is queued when it fails: [`ClientError::QueueFull`],
    /// [`ClientError::PacketIdsExhausted`]; against the server's limits (known once connected)
    /// [`ClientError::QosNotSupported`], [`ClientError::RetainNotSupported`],
    /// [`ClientError::PacketTooLarge`], [`ClientError::TopicAliasInvalid`];
    /// [`ClientError::Encode`] for a message the protocol version cannot carry.
    pub fn publish(&mut self, message: Message) -> Result<Option<PacketId>, ClientError> {
        self.journal
            .keep(|| crate::journal::Entry::Publish(message.clone()));
        let accepted = self.accept(message);
        self.counted(accepted)
    }

    fn accept(&mut self, message: Message) -> Result<Option<PacketId>, ClientError> {
        let Message {
            topic,
            qos,
            retain,
            payload,
            properties,
        } = message;
        let alias_only = topic.is_empty() && properties.topic_alias.is_some();
        let mut publish = Publish::new(topic, QosPid::AtMostOnce, payload);
        publish.retain = retain;
        publish.properties = properties;
        // The QoS and identifier size the packet like the real one, before an id is taken.
        publish.qos_pid = QosPid::new(qos, PacketId::MAX);
        let checked = publish.checked_len(self.version);
        let size = match checked {
            Ok(size) => size,
            Err(_) => publish.encoded_len(self.version),
        };
        self.check_publish(&publish, size)?;
        checked.map_err(ClientError::Encode)?;
        let direct = self.is_connected()
            && self.pending.is_empty()
            && self.has_room(qos)
            && self.transmit_len() < TRANSMIT_BUDGET;
        let drops = if direct {
            Vec::new()
        } else {
            self.make_room(size)?
        };
        let id = match qos {
            QoS::AtMostOnce => None,
            _ => Some(self.allocate_id()?),
        };
        for index in drops.into_iter().rev() {
            if let Some(dropped) = self.pending.remove(index) {
                self.pending_bytes -= dropped.publish.encoded_len(self.version);
                self.fail_message(&dropped.publish, dropped.qos0, ClientError::Dropped);
            }
        }
        if let Some(alias) = publish.properties.topic_alias {
            let index = usize::from(alias.get()) - 1;
            if alias_only {
                // Checked above: the alias stands for a topic.
                if let Some(topic) = self.alias_topic(index) {
                    publish.set_topic(topic.clone());
                }
            } else {
                // A topic name sets the alias for what follows.
                if self.alias_topics.len() <= index {
                    self.alias_topics.resize(index + 1, None);
                }
                if let Some(slot) = self.alias_topics.get_mut(index) {
                    *slot = Some(publish.topic_name());
                }
            }
        }
        publish.qos_pid = id.map_or(QosPid::AtMostOnce, |id| QosPid::new(qos, id));
        let qos0 = if id.is_none() {
            self.qos0_accepted += 1;
            self.qos0_accepted
        } else {
            0
        };
        if id.is_some() {
            // Kept from the moment it is accepted, before any byte of it is sent.
            self.durable(|| Durable::Message(publish.clone()));
        } else if direct {
            // A QoS 0 message sent at once is encoded from here, checked against this
            // connection's limits above; only its number waits, until the driver takes it.
            self.send_qos0(&publish, qos0, alias_only, true);
            return Ok(None);
        }
        let expires = self.expires(&publish);
        let queued = Queued {
            publish,
            qos0,
            alias_only,
            expires,
        };
        if direct {
            // Checked against this connection's limits above.
            self.send_publish(queued, true);
        } else {
            // What is taken off when it leaves the queue: its size now, with the topic name
            // an alias-only message was given above (an identifier has the size of the one
            // `size` was counted with).
            self.pending_bytes += if alias_only {
                queued.publish.encoded_len(self.version)
            } else {
                size
            };
            self.sweep_at(queued.expires);
            self.pending.push_back(queued);
        }
        Ok(id)
    }

    /// The number of the last QoS 0 message [`publish`](Self::publish) accepted: they are
    /// numbered from 1 in the order they are accepted, and an [`Event::Failed`] names one by
    /// its number ([`CommandId::Qos0`]).
    #[must_use]
    pub fn qos0_accepted(&self) -> u64 {
        self.qos0_accepted
    }

    /// The number of the last QoS 0 message handed to the driver by
    /// [`poll_transmit`](Self::poll_transmit): every QoS 0 message up to it has left the
    /// session, in the driver's hands or failed with [`Event::Failed`].
    #[must_use]
    pub fn qos0_transmitted(&self) -> u64 {
        self.qos0_transmitted
    }

    /// The checks of `publish` when it is accepted: its Topic Alias, then the server's limits.
    fn check_publish(&self, publish: &Publish, size: usize) -> Result<(), ClientError> {
        if let Some(alias) = publish.properties.topic_alias {
            let maximum = self.server.topic_alias_maximum;
            let index = usize::from(alias.get()) - 1;
            // [MQTT-3.3.2-9]: not above the server's Topic Alias Maximum; an empty topic name
            // needs an alias set earlier on this connection.
            let unset = publish.topic().is_empty() && self.alias_topic(index).is_none();
            if alias.get() > maximum || unset {
                return Err(ClientError::TopicAliasInvalid {
                    alias: alias.get(),
                    maximum,
                });
            }
        }
        self.check_limits(publish, size)
    }

    /// The topic an outbound alias stands for: set by the application since the transport
    /// opened, or by what went out on this connection.
    fn alias_topic(&self, index: usize) -> Option<&TopicName> {
        self.alias_topics
            .get(index)
            .and_then(Option::as_ref)
            .or_else(|| self.out_aliases.get(index).and_then(Option::as_ref))
    }

    /// The server's Maximum QoS, Retain Available ([MQTT-3.2.2-14]) and Maximum Packet Size
    /// ([MQTT-3.2.2-15]) for `publish` as it goes on the wire, `size` bytes.
    fn check_limits(&self, publish: &Publish, size: usize) -> Result<(), ClientError> {
        let qos = publish.qos();
        if qos > self.server.maximum_qos {
            // [MQTT-3.2.2-11]
            return Err(ClientError::QosNotSupported {
                requested: qos,
                maximum: self.server.maximum_qos,
            });
        }
        if publish.retain && !self.server.retain_available {
            return Err(ClientError::RetainNotSupported);
        }
        self.check_size(size)
    }

    /// The window: configured, and never above the server's Receive Maximum.
    pub(super) fn window(&self) -> usize {
        usize::from(
            self.config
                .max_inflight
                .clamp(1, self.server.receive_maximum.max(1)),
        )
    }

    /// Room in the pending queue for a message of `size` bytes: the positions of the QoS 0
    /// messages to drop for it, oldest first (none when it fits), or why there is none
    /// ([`Config::max_pending`](crate::Config::max_pending),
    /// [`Config::max_pending_bytes`](crate::Config::max_pending_bytes),
    /// [`Config::when_full`](crate::Config::when_full)).
    fn make_room(&self, size: usize) -> Result<Vec<usize>, ClientError> {
        let (most, most_bytes) = (self.config.max_pending, self.config.max_pending_bytes);
        let fits = |count: usize, bytes: usize| count < most && bytes + size <= most_bytes;
        let refusal = if self.pending.len() >= most {
            ClientError::QueueFull(most)
        } else {
            ClientError::QueueBytesFull(most_bytes)
        };
        let (mut count, mut bytes) = (self.pending.len(), self.pending_bytes);
        if fits(count, bytes) {
            return Ok(Vec::new());
        }
        if self.config.when_full != WhenFull::DropOldestQos0 {
            return Err(refusal);
        }
        let mut drops = Vec::new();
        for (index, queued) in self.pending.iter().enumerate() {
            if queued.publish.qos() != QoS::AtMostOnce {
                continue;
            }
            drops.push(index);
            count -= 1;
            bytes -= queued.publish.encoded_len(self.version);
            if fits(count, bytes) {
                return Ok(drops);
            }
        }
        // Dropping every QoS 0 message would not make room: none is dropped.
        Err(refusal)
    }

    /// When `publish`, accepted now, may no longer be sent: after its Message Expiry
    /// Interval, else after [`Config::message_ttl`](crate::Config::message_ttl).
    pub(super) fn expires(&self, publish: &Publish) -> Option<Instant> {
        publish
            .properties
            .message_expiry_interval
            .map(|secs| core::time::Duration::from_secs(u64::from(secs)))
            .or(self.config.message_ttl)
            .map(|ttl| self.clock + ttl)
    }

    /// A message that waited: `false` when its time to live ended (it fails with
    /// [`ClientError::Expired`] and is not sent); otherwise, in MQTT 5.0, its Message Expiry
    /// Interval becomes what remains of it, in whole seconds rounded up ([MQTT-3.3.2-6] asks
    /// the same of a server forwarding a message).
    fn count_down(&mut self, queued: &mut Queued) -> bool {
        let Some(expires) = queued.expires else {
            return true;
        };
        if self.clock >= expires {
            self.meter.stats.expired += 1;
            self.fail_message(&queued.publish, queued.qos0, ClientError::Expired);
            return false;
        }
        if self.version.is_v5() && queued.publish.properties.message_expiry_interval.is_some() {
            let left = expires.saturating_duration_since(self.clock);
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            queued.publish.properties.message_expiry_interval =
                Some(u32::try_from(secs).unwrap_or(u32::MAX));
        }
        true
    }

    /// A message with this end of its time to live waits in the queue: the timer looks then.
    fn sweep_at(&mut self, expires: Option<Instant>) {
        if let Some(at) = expires {
            self.expiry_sweep = Some(self.expiry_sweep.map_or(at, |t| t.min(at)));
        }
    }

    /// Ends the waiting messages whose time to live has ended, at once rather than when they
    /// would have been sent, so that they leave room and the application learns it in time.
    pub(super) fn expire_pending(&mut self) {
        let now = self.clock;
        self.expiry_sweep = None;
        let mut ended = Vec::new();
        let pending = core::mem::take(&mut self.pending);
        for queued in pending {
            match queued.expires {
                Some(at) if now >= at => ended.push(queued),
                expires => {
                    self.sweep_at(expires);
                    self.pending.push_back(queued);
                }
            }
        }
        for queued in ended {
            self.pending_bytes -= queued.publish.encoded_len(self.version);
            self.meter.stats.expired += 1;
            self.fail_message(&queued.publish, queued.qos0, ClientError::Expired);
        }
    }

    fn has_room(&self, qos: QoS) -> bool {
        qos == QoS::AtMostOnce || self.inflight.len() < self.window()
    }

    /// Sends a message and, for QoS 1 and 2, puts it in flight; one that does not fit this
    /// connection's limits fails instead. `checked`: the message was checked against this
    /// connection's limits as it is (when accepted for sending at once).
    fn send_publish(&mut self, queued: Queued, checked: bool) {
        let Queued {
            publish,
            qos0,
            alias_only,
            expires,
        } = queued;
        let stage = match publish.qos() {
            QoS::AtMostOnce => {
                self.send_qos0(&publish, qos0, alias_only, checked);
                return;
            }
            QoS::AtLeastOnce => Stage::Qos1Sent,
            QoS::ExactlyOnce => Stage::Qos2Sent,
        };
        if let Err(error) = self.encode_message(&publish, alias_only, checked) {
            self.fail_message(&publish, qos0, error);
            return;
        }
        if let Some(id) = publish.qos_pid.packet_id() {
            self.probe(stage).offer(id);
        }
        self.inflight.push_back(Outgoing {
            publish,
            stage,
            expires,
        });
    }

    /// Sends the QoS 0 message numbered `qos0`: its number waits until the driver takes its
    /// bytes ([`qos0_transmitted`](Self::qos0_transmitted)); one that does not fit this
    /// connection's limits fails instead.
    fn send_qos0(&mut self, publish: &Publish, qos0: u64, alias_only: bool, checked: bool) {
        match self.encode_message(publish, alias_only, checked) {
            Ok(()) => self.qos0_unhanded.push(qos0),
            Err(error) => self.fail_message(publish, qos0, error),
        }
    }

    /// A message that will not be sent: its identifier is free again, and the application
    /// learns why.
    fn fail_message(&mut self, publish: &Publish, qos0: u64, error: ClientError) {
        let command = match publish.qos_pid.packet_id() {
            Some(id) => {
                self.ids.release(id);
                self.durable(|| Durable::Done(id));
                CommandId::Publish(id)
            }
            None => CommandId::Qos0(qos0),
        };
        self.events.push_back(Event::Failed { command, error });
    }

    /// Encodes `publish` as this connection can carry it, after checking it against this
    /// connection's limits: with its Topic Alias alone when the alias stands for its topic here
    /// and the application gave it so, without the alias when it is above the server's Topic
    /// Alias Maximum, as it is otherwise (setting the alias for this connection).
    fn encode_message(
        &mut self,
        publish: &Publish,
        alias_only: bool,
        checked: bool,
    ) -> Result<(), ClientError> {
        let Some(alias) = publish.properties.topic_alias else {
            if !checked {
                self.check_limits(publish, publish.encoded_len(self.version))?;
            }
            if !self.encode_auto_aliased(publish) {
                self.encode_publish(publish);
            }
            return Ok(());
        };
        let index = usize::from(alias.get()) - 1;
        if alias.get() > self.server.topic_alias_maximum {
            let mut wire = publish.clone();
            wire.properties.topic_alias = None;
            self.check_limits(&wire, wire.encoded_len(self.version))?;
            self.encode_publish(&wire);
            return Ok(());
        }
        let stands_for_it = self
            .out_aliases
            .get(index)
            .and_then(Option::as_ref)
            .is_some_and(|topic| topic.as_bytes() == publish.topic_bytes());
        if alias_only && stands_for_it {
            let mut wire = publish.clone();
            wire.set_topic(TopicName::empty());
            self.check_limits(&wire, wire.encoded_len(self.version))?;
            self.encode_publish(&wire);
            return Ok(());
        }
        self.check_limits(publish, publish.encoded_len(self.version))?;
        self.encode_publish(publish);
        self.auto_aliases.forget(alias.get());
        self.set_out_alias(index, publish.topic_name());
        Ok(())
    }

    /// What `index` (alias − 1) stands for on this connection from now on.
    fn set_out_alias(&mut self, index: usize, topic: TopicName) {
        if self.out_aliases.len() <= index {
            self.out_aliases.resize(index + 1, None);
        }
        if let Some(slot) = self.out_aliases.get_mut(index) {
            *slot = Some(topic);
        }
    }

    /// Encodes `publish`, checked as it is, under a Topic Alias of the session's own
    /// ([`Config::auto_topic_alias`](crate::Config::auto_topic_alias)): with its topic name the
    /// first time on this connection, without it after that. `false` when it goes as it is
    /// instead: aliases are off, the server takes none ([MQTT-3.3.2-9]), or the alias property
    /// would take the packet past the server's Maximum Packet Size.
    fn encode_auto_aliased(&mut self, publish: &Publish) -> bool {
        if !self.version.is_v5() || !self.config.auto_topic_alias {
            return false;
        }
        let topic = publish.topic_name();
        let maximum = self.server.topic_alias_maximum;
        let Some((alias, known)) = self.auto_aliases.assign(&topic, maximum) else {
            return false;
        };
        let wire = publish.aliased(alias, !known);
        if !known && self.check_size(wire.encoded_len()).is_err() {
            // Three bytes too many: this one goes in full, and the alias stands for nothing.
            self.auto_aliases.forget(alias.get());
            return false;
        }
        let payload = publish.payload().len();
        let size = if payload < BY_REFERENCE {
            wire.encode(&mut self.out).ok()
        } else if let Ok(head) = wire.encode_head(&mut self.out) {
            self.chunks.push_encoded(self.out.split().freeze());
            self.chunks.push(publish.payload_bytes());
            Some(head + payload)
        } else {
            None
        };
        let Some(size) = size else {
            self.auto_aliases.forget(alias.get());
            return false;
        };
        self.meter
            .sent(PacketType::Publish, publish.qos_pid.packet_id(), size);
        if !known {
            self.set_out_alias(usize::from(alias.get()) - 1, topic);
        }
        true
    }

    /// Encodes `publish`, checked, into the outgoing bytes: a small payload is copied in, a
    /// large one ([`BY_REFERENCE`] or more) follows its packet's head as a chunk of its own,
    /// shared with the message.
    fn encode_publish(&mut self, publish: &Publish) {
        let size = if publish.payload().len() < BY_REFERENCE {
            publish.encode(self.version, &mut self.out).ok()
        } else if let Ok(head) = publish.encode_head(self.version, &mut self.out) {
            self.chunks.push_encoded(self.out.split().freeze());
            self.chunks.push(publish.payload_bytes());
            Some(head + publish.payload().len())
        } else {
            None
        };
        if let Some(size) = size {
            self.meter
                .sent(PacketType::Publish, publish.qos_pid.packet_id(), size);
        }
    }

    /// Sends pending messages while the window has room and less than [`TRANSMIT_BUDGET`]
    /// bytes wait to be sent.
    #[inline]
    pub(super) fn send_pending(&mut self) {
        // Called for every output and every acknowledgement; most often nothing waits.
        if !self.pending.is_empty() {
            self.send_waiting();
        }
    }

    /// [`send_pending`](Self::send_pending) with messages waiting.
    fn send_waiting(&mut self) {
        while self.is_connected() && self.transmit_len() < TRANSMIT_BUDGET {
            let Some(front) = self.pending.front() else {
                break;
            };
            if !self.has_room(front.publish.qos()) {
                break;
            }
            if let Some(mut queued) = self.pending.pop_front() {
                self.pending_bytes -= queued.publish.encoded_len(self.version);
                if self.count_down(&mut queued) {
                    self.send_publish(queued, false);
                }
            }
        }
    }

    /// The round-trip probe of messages at `stage`'s QoS.
    fn probe(&mut self, stage: Stage) -> &mut crate::stats::Probe {
        let [qos1, qos2] = &mut self.meter.probes;
        match stage {
            Stage::Qos1Sent => qos1,
            Stage::Qos2Sent | Stage::Released => qos2,
        }
    }

    fn position(&self, id: PacketId, stage: Stage) -> Option<usize> {
        self.inflight
            .iter()
            .position(|o| o.id() == Some(id) && o.stage == stage)
    }

    /// Ends the exchange of the in-flight message at `index`.
    fn complete(&mut self, index: usize, reason_code: ReasonCode, properties: AckProperties) {
        if let Some((id, stage)) = self
            .inflight
            .get(index)
            .and_then(|o| Some((o.id()?, o.stage)))
        {
            let sent = self.probe(stage).answered(id);
            let stats = &mut self.meter.stats;
            match (stage, sent) {
                _ if reason_code.is_error() => stats.rejected += 1,
                (Stage::Qos1Sent, Some(sent)) => stats.puback.sample(sent, self.clock),
                (Stage::Released, Some(sent)) => stats.pubcomp.sample(sent, self.clock),
                _ => {}
            }
        }
        if let Some(done) = self.inflight.remove(index) {
            if let Some(packet_id) = done.id() {
                self.ids.release(packet_id);
                self.durable(|| Durable::Done(packet_id));
                self.events.push_back(Event::Published {
                    packet_id,
                    qos: done.publish.qos(),
                    reason_code,
                    properties,
                });
            }
        }
        self.send_pending();
    }

    pub(super) fn handle_puback(&mut self, id: PacketId, code: ReasonCode, props: AckProperties) {
        // An acknowledgement of nothing in flight is ignored: it cannot be matched.
        if let Some(index) = self.position(id, Stage::Qos1Sent) {
            self.complete(index, code, props);
        }
    }

    pub(super) fn handle_pubrec(&mut self, id: PacketId, code: ReasonCode, props: AckProperties) {
        if let Some(index) = self.position(id, Stage::Qos2Sent) {
            if code.is_error() {
                // The server refused the message: no PUBREL follows (section 4.3.3).
                self.complete(index, code, props);
                return;
            }
            if let Some(outgoing) = self.inflight.get_mut(index) {
                outgoing.stage = Stage::Released;
            }
            // Kept before the PUBREL goes: a restart then completes the exchange with PUBREL
            // and never sends the PUBLISH again.
            self.durable(|| Durable::Released(id));
            // [MQTT-4.3.3-4] (5.0), [MQTT-4.3.3-3] (3.1.1)
            self.encode_infallible(&Packet::PubRel(PubRel::new(id)));
        } else if self.position(id, Stage::Released).is_some() {
            // A repeated PUBREC: the PUBREL may have been lost.
            self.encode_infallible(&Packet::PubRel(PubRel::new(id)));
        } else if self.reason_code_fits() {
            self.encode_infallible(&Packet::PubRel(PubRel::with_reason(
                id,
                ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
            )));
        } else {
            self.encode_infallible(&Packet::PubRel(PubRel::new(id)));
        }
    }

    pub(super) fn handle_pubcomp(&mut self, id: PacketId, code: ReasonCode, props: AckProperties) {
        if let Some(index) = self.position(id, Stage::Released) {
            self.complete(index, code, props);
        }
    }

    /// The server resumed the session: resend what is in flight, in the original order, PUBLISH
    /// with DUP and PUBREL as they were ([MQTT-4.4.0-1], [MQTT-4.4.0-2]), each checked against
    /// the new connection's limits. A server that lowered its Receive Maximum gets no more
    /// unacknowledged PUBLISH packets than it allows ([MQTT-4.9.0-2]): the rest wait, in order,
    /// at the front of the pending queue.
    pub(super) fn resume_session(&mut self) {
        let window = self.window();
        let mut resend = core::mem::take(&mut self.inflight);
        let mut deferred = Vec::new();
        for mut outgoing in resend.drain(..) {
            match outgoing.stage {
                Stage::Released => {
                    if let Some(id) = outgoing.id() {
                        self.encode_infallible(&Packet::PubRel(PubRel::new(id)));
                    }
                    self.inflight.push_back(outgoing);
                }
                Stage::Qos1Sent | Stage::Qos2Sent => {
                    // [MQTT-3.3.1-1]
                    outgoing.publish.dup = true;
                    if !deferred.is_empty() || self.inflight.len() >= window {
                        deferred.push(outgoing.publish);
                        continue;
                    }
                    match self.encode_message(&outgoing.publish, false, false) {
                        Ok(()) => self.inflight.push_back(outgoing),
                        Err(error) => self.fail_message(&outgoing.publish, 0, error),
                    }
                }
            }
        }
        // The first message sent again is timed.
        if let Some((id, stage)) = self.inflight.front().and_then(|o| Some((o.id()?, o.stage))) {
            self.probe(stage).offer(id);
        }
        for publish in deferred.into_iter().rev() {
            self.pending_bytes += publish.encoded_len(self.version);
            self.pending.push_front(Queued {
                publish,
                qos0: 0,
                alias_only: false,
                // Sent before under this identifier, which the server may know: it goes
                // again, expired or not, so that no acknowledgement is taken for another.
                expires: None,
            });
        }
    }

    /// The server has no session: the messages in flight go back to the front of the queue as
    /// new messages (DUP 0, fresh packet identifiers, [`SessionReset::requeued`]), inbound QoS 2
    /// state is forgotten and subscriptions are made again.
    ///
    /// A QoS 2 message the server had acknowledged with PUBREC but not yet completed is in
    /// doubt: some servers (Mosquitto) pass a QoS 2 message on only at PUBREL, and lost it with
    /// the session; others passed it on at once. [`Config::in_doubt`](crate::Config::in_doubt)
    /// says whether it is sent again (the default: it is not lost, but may arrive twice) or
    /// fails with [`ClientError::InDoubt`]. Returns the events that follow
    /// [`Event::SessionReset`].
    pub(super) fn reset_session(&mut self) -> (SessionReset, Vec<Event>) {
        let mut reset = SessionReset::default();
        let mut after = Vec::new();
        if self.inbound_qos2.len() != 0 {
            self.durable(|| Durable::InboundCleared);
        }
        self.inbound_qos2.clear();
        self.completed.clear();
        let inflight = core::mem::take(&mut self.inflight);
        let mut requeue = Vec::new();
        for outgoing in inflight {
            let Some(id) = outgoing.id() else { continue };
            self.ids.release(id);
            if outgoing.stage == Stage::Released {
                reset.released.push(id);
                if self.config.in_doubt == InDoubt::Fail {
                    self.durable(|| Durable::Done(id));
                    after.push(Event::Failed {
                        command: CommandId::Publish(id),
                        error: ClientError::InDoubt,
                    });
                    continue;
                }
            }
            requeue.push((outgoing.publish, outgoing.expires));
        }
        let mut renewed = Vec::with_capacity(requeue.len());
        for (mut publish, expires) in requeue {
            let Some(before) = publish.qos_pid.packet_id() else {
                continue;
            };
            // Identifiers were released just above, so there is one for each.
            let Ok(after_id) = self.allocate_id() else {
                self.durable(|| Durable::Done(before));
                after.push(Event::Failed {
                    command: CommandId::Publish(before),
                    error: ClientError::PacketIdsExhausted,
                });
                continue;
            };
            publish.dup = false;
            publish.qos_pid = QosPid::new(publish.qos(), after_id);
            self.durable(|| Durable::Renumbered {
                before,
                after: after_id,
            });
            reset.requeued.push(Renumbered {
                before,
                after: after_id,
            });
            renewed.push((publish, expires));
        }
        for (publish, expires) in renewed.into_iter().rev() {
            self.pending_bytes += publish.encoded_len(self.version);
            self.sweep_at(expires);
            self.pending.push_front(Queued {
                publish,
                qos0: 0,
                alias_only: false,
                expires,
            });
        }
        let (resubscribed, failures) = self.resubscribe();
        reset.resubscribed = resubscribed;
        after.extend(failures);
        (reset, after)
    }
}
