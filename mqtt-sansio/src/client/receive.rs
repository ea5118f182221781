//! Inbound messages: topic aliases, delivery once per QoS 2 identifier, acknowledgements in
//! receipt order.

use mqtt_proto::{Packet, PacketId, PubAck, PubComp, PubRec, Publish, QoS, ReasonCode};

use super::Client;
use super::duplicates;
use crate::error::ClientError;
use crate::event::Event;
use crate::store::Durable;

/// An inbound QoS 2 message between PUBLISH and PUBREL: where it stands, and the digest the
/// duplicate guard remembers it by once completed (0 with the guard off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Inbound2 {
    pub(super) state: Qos2State,
    digest: u64,
}

/// Where an inbound QoS 2 message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Qos2State {
    /// Delivered to the application, which has not acknowledged it yet (manual acks).
    Delivered,
    /// Acknowledged: PUBREC sent, or to be sent when the server sends the message again.
    Received,
}

/// A received QoS 1 or 2 message whose acknowledgement is owed on this connection.
pub(super) struct InboundAck {
    id: PacketId,
    qos: QoS,
    acked: bool,
}

impl Inbound2 {
    pub(super) fn new(state: Qos2State, digest: u64) -> Self {
        Self { state, digest }
    }
}

impl Client {
    pub(super) fn handle_publish(&mut self, mut publish: Publish) {
        if self.version.is_v5() && !self.resolve_alias(&mut publish) {
            return;
        }
        let Some(id) = publish.qos_pid.packet_id() else {
            self.events.push_back(Event::Message(publish));
            return;
        };
        let redelivery = self.inbound_qos2.contains_key(id.get());
        if self.version.is_v5()
            && !redelivery
            && self.unacknowledged_inbound() >= self.receive_maximum()
        {
            // Section 3.3.4: more unacknowledged QoS 1 and 2 messages than Receive Maximum.
            self.violation(ReasonCode::RECEIVE_MAXIMUM_EXCEEDED, None);
            return;
        }
        match publish.qos() {
            QoS::ExactlyOnce => {
                if let Some(&Inbound2 { state, .. }) = self.inbound_qos2.get(id.get()) {
                    // A redelivery of a message already delivered ([MQTT-4.3.3-10] (5.0),
                    // [MQTT-4.3.3-2] (3.1.1)): acknowledge again in turn, never deliver twice.
                    if self.inbound.iter().any(|a| a.id == id) {
                        // Its acknowledgement is already owed on this connection.
                        return;
                    }
                    self.inbound.push_back(InboundAck {
                        id,
                        qos: QoS::ExactlyOnce,
                        acked: state == Qos2State::Received,
                    });
                    self.flush_acks();
                    return;
                }
                let digest = if self.completed.is_on() {
                    duplicates::digest(&publish)
                } else {
                    0
                };
                if publish.dup && self.completed.suppress(id, digest) {
                    self.meter.stats.duplicates_suppressed += 1;
                    // Completed already: the server forgot (a broker restarted from a stale
                    // persistence file). Acknowledge, so that it completes again; do not deliver.
                    self.inbound_qos2.insert(
                        id.get(),
                        Inbound2 {
                            state: Qos2State::Received,
                            digest,
                        },
                    );
                    self.inbound.push_back(InboundAck {
                        id,
                        qos: QoS::ExactlyOnce,
                        acked: true,
                    });
                    self.flush_acks();
                    self.events
                        .push_back(Event::DuplicateSuppressed { packet_id: id });
                    return;
                }
                self.inbound_qos2.insert(
                    id.get(),
                    Inbound2 {
                        state: Qos2State::Delivered,
                        digest,
                    },
                );
                self.deliver(id, QoS::ExactlyOnce, publish);
            }
            _ => self.deliver(id, QoS::AtLeastOnce, publish),
        }
    }

    fn deliver(&mut self, id: PacketId, qos: QoS, publish: Publish) {
        self.events.push_back(Event::Message(publish));
        let acked = !self.config.manual_acks;
        self.inbound.push_back(InboundAck { id, qos, acked });
        self.flush_acks();
    }

    /// Sends the acknowledgements owed, in receipt order, up to the first the application has
    /// not given yet.
    fn flush_acks(&mut self) {
        while self.inbound.front().is_some_and(|a| a.acked) {
            let Some(ack) = self.inbound.pop_front() else {
                break;
            };
            if ack.qos == QoS::ExactlyOnce {
                if let Some(entry) = self.inbound_qos2.get_mut(ack.id.get()) {
                    entry.state = Qos2State::Received;
                }
                // Kept before the PUBREC goes: after it, the server may send PUBREL and
                // nothing else, so a restart must still know the message came.
                let id = ack.id;
                self.durable(|| Durable::InboundReceived(id));
                self.encode_infallible(&Packet::PubRec(PubRec::new(ack.id)));
            } else {
                self.encode_infallible(&Packet::PubAck(PubAck::new(ack.id)));
            }
        }
    }

    /// Acknowledges a received QoS 1 or 2 message (manual-ack mode): PUBACK or PUBREC goes out
    /// once every message received before it is acknowledged too, so the server sees them in
    /// the order it sent them.
    ///
    /// # Errors
    /// [`ClientError::AutomaticAcks`] when manual acks are off; [`ClientError::UnknownAck`] when
    /// no message with `packet_id` waits for an acknowledgement.
    pub fn ack(&mut self, packet_id: PacketId) -> Result<(), ClientError> {
        self.journal.keep(|| crate::journal::Entry::Ack(packet_id));
        if !self.config.manual_acks {
            return Err(ClientError::AutomaticAcks);
        }
        if let Some(entry) = self
            .inbound
            .iter_mut()
            .find(|a| a.id == packet_id && !a.acked)
        {
            entry.acked = true;
            self.flush_acks();
            return Ok(());
        }
        // A QoS 2 message delivered on a connection that has since ended: its PUBREC goes out
        // when the server sends it again.
        match self.inbound_qos2.get_mut(packet_id.get()) {
            Some(entry) if entry.state == Qos2State::Delivered => {
                entry.state = Qos2State::Received;
                Ok(())
            }
            _ => Err(ClientError::UnknownAck(packet_id)),
        }
    }

    pub(super) fn handle_pubrel(&mut self, id: PacketId) {
        match self.inbound_qos2.get(id.get()).copied() {
            Some(Inbound2 {
                state: Qos2State::Received,
                digest,
            }) => {
                self.inbound_qos2.remove(id.get());
                self.completed.remember(id, digest);
                // Kept before the PUBCOMP goes: after it, the server may use `id` for a new
                // message, which a restart must not take for this one.
                self.durable(|| Durable::InboundDone(id));
                // [MQTT-4.3.3-11] (5.0), [MQTT-4.3.3-2] (3.1.1)
                self.encode_infallible(&Packet::PubComp(PubComp::new(id)));
            }
            // PUBREL before the PUBREC it answers: the server broke the exchange.
            Some(Inbound2 {
                state: Qos2State::Delivered,
                ..
            }) => self.violation(ReasonCode::PROTOCOL_ERROR, None),
            None if self.reason_code_fits() => self.encode_infallible(&Packet::PubComp(
                PubComp::with_reason(id, ReasonCode::PACKET_IDENTIFIER_NOT_FOUND),
            )),
            None => self.encode_infallible(&Packet::PubComp(PubComp::new(id))),
        }
    }

    /// QoS 1 messages not yet acknowledged and QoS 2 messages before PUBCOMP.
    pub(super) fn unacknowledged_inbound(&self) -> usize {
        let qos1 = self
            .inbound
            .iter()
            .filter(|a| a.qos == QoS::AtLeastOnce)
            .count();
        qos1 + self.inbound_qos2.len()
    }

    fn receive_maximum(&self) -> usize {
        usize::from(self.config.receive_maximum.unwrap_or(u16::MAX).max(1))
    }

    /// Replaces a Topic Alias by its topic (MQTT 5.0 section 3.3.2.3.4); `false` when the
    /// alias is invalid and the connection ended.
    fn resolve_alias(&mut self, publish: &mut Publish) -> bool {
        let Some(alias) = publish.properties.topic_alias else {
            return true;
        };
        let index = usize::from(alias.get()) - 1;
        if alias.get() > self.config.topic_alias_maximum {
            // [MQTT-3.3.2-9]: above the client's Topic Alias Maximum.
            self.violation(ReasonCode::TOPIC_ALIAS_INVALID, None);
            return false;
        }
        if publish.topic().is_empty() {
            let Some(topic) = self.aliases.get(index).cloned().flatten() else {
                // An alias the server never defined.
                self.violation(ReasonCode::PROTOCOL_ERROR, None);
                return false;
            };
            publish.set_topic(topic);
        } else {
            if self.aliases.len() <= index {
                self.aliases.resize(index + 1, None);
            }
            if let Some(slot) = self.aliases.get_mut(index) {
                *slot = Some(publish.topic_name());
            }
        }
        true
    }
}
