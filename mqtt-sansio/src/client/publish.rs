//! Outbound messages: the window, the pending queue, acknowledgements and resending.

use bytes::Bytes;
use mqtt_proto::{
    AckProperties, Packet, PacketId, PropertyBox, PubRel, Publish, PublishProperties, QoS, QosPid,
    ReasonCode, TopicName,
};

use super::Client;
use crate::error::ClientError;
use crate::event::{Event, SessionReset};

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
    pub(super) publish: Publish,
    pub(super) stage: Stage,
}

impl Outgoing {
    fn id(&self) -> Option<PacketId> {
        self.publish.qos_pid.packet_id()
    }
}

impl Client {
    /// Publishes `message`; returns its packet identifier for QoS 1 and 2, reported again with
    /// [`Event::Published`] when the exchange ends.
    ///
    /// The message is sent at once when connected and the window has room (QoS 0 needs no
    /// room); otherwise it waits in the pending queue, in order, and goes out when it can. QoS 0
    /// has no event: it is done when [`poll_transmit`](Self::poll_transmit) hands it over.
    ///
    /// # Errors
    /// Nothing is queued when it fails: [`ClientError::QueueFull`],
    /// [`ClientError::PacketIdsExhausted`]; against the server's limits (known once connected)
    /// [`ClientError::QosNotSupported`], [`ClientError::RetainNotSupported`],
    /// [`ClientError::PacketTooLarge`]; [`ClientError::Encode`] for a message the protocol
    /// version cannot carry.
    pub fn publish(&mut self, message: Message) -> Result<Option<PacketId>, ClientError> {
        let Message {
            topic,
            qos,
            retain,
            payload,
            properties,
        } = message;
        let mut publish = Publish::new(topic, QosPid::AtMostOnce, payload);
        publish.retain = retain;
        publish.properties = properties;
        // The QoS and identifier size the packet like the real one, before an id is taken.
        publish.qos_pid = QosPid::new(qos, PacketId::MAX);
        self.check_publish(&publish)?;
        if let Some(alias) = publish.properties.topic_alias {
            // A topic name sets the alias for what follows on this connection.
            let index = usize::from(alias.get()) - 1;
            if !publish.topic().is_empty() {
                if self.out_aliases.len() <= index {
                    self.out_aliases.resize(index + 1, false);
                }
                self.out_aliases[index] = true;
            }
        }
        let direct = self.is_connected()
            && self.pending.is_empty()
            && self.has_room(qos)
            && self.transmit_len() < TRANSMIT_BUDGET;
        if !direct && self.pending.len() >= self.config.max_pending {
            return Err(ClientError::QueueFull(self.config.max_pending));
        }
        let id = match qos {
            QoS::AtMostOnce => None,
            _ => Some(self.allocate_id()?),
        };
        publish.qos_pid = id.map_or(QosPid::AtMostOnce, |id| QosPid::new(qos, id));
        if direct {
            self.send_publish(publish);
        } else {
            self.pending_bytes += publish.encoded_len(self.version);
            self.pending.push_back(publish);
        }
        Ok(id)
    }

    /// The checks of `publish` against the server's limits and the protocol.
    fn check_publish(&self, publish: &Publish) -> Result<(), ClientError> {
        if let Some(alias) = publish.properties.topic_alias {
            let maximum = self.server.topic_alias_maximum;
            let index = usize::from(alias.get()) - 1;
            // [MQTT-3.3.2-9]: not above the server's Topic Alias Maximum; an empty topic name
            // needs an alias set earlier on this connection.
            let unset =
                publish.topic().is_empty() && !self.out_aliases.get(index).is_some_and(|s| *s);
            if alias.get() > maximum || unset {
                return Err(ClientError::TopicAliasInvalid {
                    alias: alias.get(),
                    maximum,
                });
            }
        }
        let qos = publish.qos();
        if qos > self.server.maximum_qos {
            return Err(ClientError::QosNotSupported {
                requested: qos,
                maximum: self.server.maximum_qos,
            });
        }
        if publish.retain && !self.server.retain_available {
            return Err(ClientError::RetainNotSupported);
        }
        let size = publish.encoded_len(self.version);
        match self.server.maximum_packet_size {
            Some(maximum) if size > maximum as usize => {
                return Err(ClientError::PacketTooLarge { size, maximum });
            }
            _ => {}
        }
        super::encodable(publish.encode(self.version, &mut super::no_room()))
    }

    /// The window: configured, and never above the server's Receive Maximum.
    fn window(&self) -> usize {
        usize::from(
            self.config
                .max_inflight
                .clamp(1, self.server.receive_maximum.max(1)),
        )
    }

    fn has_room(&self, qos: QoS) -> bool {
        qos == QoS::AtMostOnce || self.inflight.len() < self.window()
    }

    /// Sends `publish` and, for QoS 1 and 2, puts it in flight.
    fn send_publish(&mut self, publish: Publish) {
        self.encode_publish(&publish);
        let stage = match publish.qos() {
            QoS::AtMostOnce => return,
            QoS::AtLeastOnce => Stage::Qos1Sent,
            QoS::ExactlyOnce => Stage::Qos2Sent,
        };
        self.inflight.push_back(Outgoing { publish, stage });
    }

    /// Encodes `publish`, checked when it was accepted, into the outgoing bytes: a small payload
    /// is copied in, a large one ([`BY_REFERENCE`] or more) follows its packet's head as a chunk
    /// of its own, shared with the message.
    fn encode_publish(&mut self, publish: &Publish) {
        if publish.payload().len() < BY_REFERENCE {
            let _ = publish.encode(self.version, &mut self.out);
            return;
        }
        if publish.encode_head(self.version, &mut self.out).is_ok() {
            self.chunks.push(self.out.split().freeze());
            self.chunks.push(publish.payload_bytes());
        }
    }

    /// Sends pending messages while the window has room and less than [`TRANSMIT_BUDGET`]
    /// bytes wait to be sent.
    pub(super) fn send_pending(&mut self) {
        while self.is_connected() && self.transmit_len() < TRANSMIT_BUDGET {
            let Some(front) = self.pending.front() else {
                break;
            };
            if !self.has_room(front.qos()) {
                break;
            }
            if let Some(publish) = self.pending.pop_front() {
                self.pending_bytes -= publish.encoded_len(self.version);
                self.send_publish(publish);
            }
        }
    }

    fn position(&self, id: PacketId, stage: Stage) -> Option<usize> {
        self.inflight
            .iter()
            .position(|o| o.id() == Some(id) && o.stage == stage)
    }

    /// Ends the exchange of the in-flight message at `index`.
    fn complete(&mut self, index: usize, reason_code: ReasonCode, properties: AckProperties) {
        if let Some(done) = self.inflight.remove(index) {
            if let Some(packet_id) = done.id() {
                self.ids.release(packet_id);
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
            // [MQTT-4.3.3-4] (5.0), [MQTT-4.3.3-3] (3.1.1)
            self.encode_infallible(&Packet::PubRel(PubRel::new(id)));
        } else if self.position(id, Stage::Released).is_some() {
            // A repeated PUBREC: the PUBREL may have been lost.
            self.encode_infallible(&Packet::PubRel(PubRel::new(id)));
        } else if self.version.is_v5() {
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
    /// with DUP and PUBREL as they were ([MQTT-4.4.0-1], [MQTT-4.4.0-2]).
    pub(super) fn resume_session(&mut self) {
        let mut resend = core::mem::take(&mut self.inflight);
        for outgoing in &mut resend {
            match outgoing.stage {
                Stage::Qos1Sent | Stage::Qos2Sent => {
                    // [MQTT-3.3.1-1]
                    outgoing.publish.dup = true;
                    self.encode_publish(&outgoing.publish);
                }
                Stage::Released => {
                    if let Some(id) = outgoing.id() {
                        self.encode_infallible(&Packet::PubRel(PubRel::new(id)));
                    }
                }
            }
        }
        self.inflight = resend;
    }

    /// The server has no session: messages in flight go back to the front of the queue (with
    /// DUP, as they may have arrived), QoS 2 messages the server already received count as
    /// delivered, inbound QoS 2 state is forgotten and subscriptions are made again.
    pub(super) fn reset_session(&mut self) -> SessionReset {
        let mut reset = SessionReset::default();
        self.inbound_qos2.clear();
        let inflight = core::mem::take(&mut self.inflight);
        for outgoing in inflight.into_iter().rev() {
            let Some(id) = outgoing.id() else { continue };
            match outgoing.stage {
                Stage::Released => {
                    self.ids.release(id);
                    reset.completed.push(id);
                }
                Stage::Qos1Sent | Stage::Qos2Sent => {
                    let mut publish = outgoing.publish;
                    publish.dup = true;
                    reset.requeued.push(id);
                    self.pending_bytes += publish.encoded_len(self.version);
                    self.pending.push_front(publish);
                }
            }
        }
        reset.requeued.reverse();
        reset.completed.reverse();
        reset.resubscribed = self.resubscribe();
        reset
    }
}
