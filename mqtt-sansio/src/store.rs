//! Persistence, sans-IO: what the session asks a store to keep before it may send the bytes
//! that depend on it, and the state a client takes back after a restart.
//!
//! A client with its store switched on ([`Client::set_store`](crate::Client::set_store)) says,
//! through [`Client::poll_store`](crate::Client::poll_store), every change to the part of the
//! session that must survive the process: an outbound QoS 1 or 2 message when it is accepted,
//! its move to "released" when PUBREC came, an inbound QoS 2 packet identifier before its
//! PUBREC, and their end. The contract with the driver is one rule:
//!
//! > Before writing bytes taken from `poll_transmit`, apply every [`Durable`] change
//! > `poll_store` gives, and make them durable (at the level of durability the application
//! > chose).
//!
//! Then a crash at any instant leaves a store from which a new process resumes the session
//! ([`Client::restore`](crate::Client::restore)) without losing an accepted message, sending a
//! released QoS 2 message's PUBLISH again, or delivering an inbound QoS 2 message twice.
//!
//! [`Stored`] is the meaning of the changes, written once: [`Stored::apply`] is what a store
//! does with each, in memory. A store over a file or flash keeps the changes (or a snapshot of
//! `Stored`), and on start reads them back into a `Stored` for `restore`. Messages are kept in
//! the form [`encode_message`] gives (a PUBLISH packet of MQTT 5.0, whatever the session's
//! version), read back by [`decode_message`].

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use bytes::{BufMut, BytesMut};
use mqtt_proto::{DecodeError, Limits, Packet, PacketId, ProtocolVersion, Publish};

/// One change to the state of the session a store keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durable {
    /// An outbound QoS 1 or 2 message the session accepted (its packet identifier is in its
    /// `qos_pid`): kept, in the order accepted, until [`Durable::Done`].
    Message(Publish),
    /// The outbound QoS 2 message with this identifier was received by the server (PUBREC):
    /// from now on it is completed with PUBREL and never sent again as a PUBLISH
    /// ([MQTT-4.3.3-4]).
    Released(PacketId),
    /// The server lost the session: the outbound message `before` goes again as a new message
    /// under `after`, not released.
    Renumbered {
        /// Its identifier until now.
        before: PacketId,
        /// Its identifier from now on.
        after: PacketId,
    },
    /// The exchange of the outbound message with this identifier ended (acknowledged, refused
    /// by the server, or failed): nothing of it is kept.
    Done(PacketId),
    /// The inbound QoS 2 message with this identifier was received and PUBREC goes out: until
    /// [`Durable::InboundDone`], a PUBLISH under it is the same message
    /// ([MQTT-4.3.3-10] of 5.0, [MQTT-4.3.3-2] of 3.1.1) and is not delivered again.
    InboundReceived(PacketId),
    /// The inbound QoS 2 exchange with this identifier ended (PUBREL came, PUBCOMP goes out).
    InboundDone(PacketId),
    /// The server lost the session: no inbound QoS 2 exchange is under way any more.
    InboundCleared,
}

/// An outbound message of a stored session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// The message, with its packet identifier.
    pub publish: Publish,
    /// Whether the server acknowledged it with PUBREC (QoS 2): it is completed with PUBREL.
    pub released: bool,
}

/// The state of a session a store keeps: what [`Client::restore`](crate::Client::restore)
/// takes back.
///
/// ```
/// use mqtt_proto::{PacketId, Publish, QoS, QosPid, TopicName};
/// use mqtt_sansio::{Durable, Stored};
///
/// let id = PacketId::new(7).unwrap();
/// let publish = Publish::new(
///     TopicName::new("t").unwrap(),
///     QosPid::new(QoS::ExactlyOnce, id),
///     "payload",
/// );
/// let mut stored = Stored::default();
/// stored.apply(&Durable::Message(publish));
/// stored.apply(&Durable::Released(id));
/// assert!(stored.messages[0].released);
/// stored.apply(&Durable::Done(id));
/// assert!(stored.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    /// Outbound QoS 1 and 2 messages, in the order they were accepted.
    pub messages: VecDeque<StoredMessage>,
    /// The server's identifiers of the inbound QoS 2 messages received and not completed, in
    /// the order received.
    pub inbound: Vec<PacketId>,
}

impl Stored {
    /// Whether nothing is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.inbound.is_empty()
    }

    /// Applies one change. Changes that name what is not kept (a store that applies a change
    /// twice, or reads a log whose older records a compaction folded in) change nothing.
    pub fn apply(&mut self, change: &Durable) {
        match change {
            Durable::Message(publish) => {
                let Some(id) = publish.qos_pid.packet_id() else {
                    return;
                };
                if let Some(m) = self.message_mut(id) {
                    // Applied again: the later one stands.
                    *m = StoredMessage {
                        publish: publish.clone(),
                        released: false,
                    };
                } else {
                    self.messages.push_back(StoredMessage {
                        publish: publish.clone(),
                        released: false,
                    });
                }
            }
            Durable::Released(id) => {
                if let Some(m) = self.message_mut(*id) {
                    m.released = true;
                }
            }
            Durable::Renumbered { before, after } => {
                if let Some(m) = self.message_mut(*before) {
                    m.publish.qos_pid = mqtt_proto::QosPid::new(m.publish.qos(), *after);
                    m.publish.dup = false;
                    m.released = false;
                }
            }
            Durable::Done(id) => {
                if let Some(index) = self.position(*id) {
                    self.messages.remove(index);
                }
            }
            Durable::InboundReceived(id) => {
                if !self.inbound.contains(id) {
                    self.inbound.push(*id);
                }
            }
            Durable::InboundDone(id) => self.inbound.retain(|i| i != id),
            Durable::InboundCleared => self.inbound.clear(),
        }
    }

    /// The changes that rebuild this state from nothing, in order: what a store compacting its
    /// log writes.
    pub fn changes(&self) -> impl Iterator<Item = Durable> + '_ {
        let messages = self.messages.iter().flat_map(|m| {
            let released = m
                .publish
                .qos_pid
                .packet_id()
                .filter(|_| m.released)
                .map(Durable::Released);
            core::iter::once(Durable::Message(m.publish.clone())).chain(released)
        });
        messages.chain(self.inbound.iter().copied().map(Durable::InboundReceived))
    }

    fn position(&self, id: PacketId) -> Option<usize> {
        // Exchanges end mostly in the order they began: the search starts at the front.
        self.messages
            .iter()
            .position(|m| m.publish.qos_pid.packet_id() == Some(id))
    }

    fn message_mut(&mut self, id: PacketId) -> Option<&mut StoredMessage> {
        let index = self.position(id)?;
        self.messages.get_mut(index)
    }
}

/// Appends `publish` to `out` in the form stores keep messages in: the PUBLISH packet as MQTT
/// 5.0 encodes it (properties included, whatever the session's version). Returns its length.
///
/// # Errors
/// What [`Publish::encode`] refuses (a message no session accepts).
pub fn encode_message(
    publish: &Publish,
    out: &mut impl BufMut,
) -> Result<usize, mqtt_proto::EncodeError> {
    publish.encode(ProtocolVersion::V5, out)
}

/// Why bytes are not a message [`encode_message`] wrote.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The packet does not decode.
    #[error("not a valid packet: {0}")]
    Decode(#[from] DecodeError),
    /// A whole packet, of another type.
    #[error("a {0:?} packet where a PUBLISH was expected")]
    NotPublish(mqtt_proto::PacketType),
    /// The bytes end before the packet does.
    #[error("a PUBLISH packet cut short")]
    CutShort,
    /// Bytes follow the packet.
    #[error("{0} bytes after the PUBLISH packet")]
    Trailing(usize),
}

/// Reads back a message [`encode_message`] wrote.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{PacketId, Publish, QoS, QosPid, TopicName};
/// use mqtt_sansio::{decode_message, encode_message};
///
/// let mut publish = Publish::new(
///     TopicName::new("a/b").unwrap(),
///     QosPid::new(QoS::AtLeastOnce, PacketId::new(3).unwrap()),
///     "x",
/// );
/// publish.properties.message_expiry_interval = Some(60);
/// let mut buf = BytesMut::new();
/// encode_message(&publish, &mut buf).unwrap();
/// assert_eq!(decode_message(&buf).unwrap(), publish);
/// assert!(decode_message(&buf[..buf.len() - 1]).is_err());
/// ```
///
/// # Errors
/// A [`MessageError`] for bytes that are not one whole PUBLISH packet.
pub fn decode_message(bytes: &[u8]) -> Result<Publish, MessageError> {
    let mut buf = BytesMut::from(bytes);
    match Packet::decode(ProtocolVersion::V5, &mut buf, &Limits::new())? {
        Some(Packet::Publish(_)) if !buf.is_empty() => Err(MessageError::Trailing(buf.len())),
        Some(Packet::Publish(publish)) => Ok(publish),
        Some(other) => Err(MessageError::NotPublish(other.packet_type())),
        None => Err(MessageError::CutShort),
    }
}

/// The changes a client has for its store, while it has one.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    on: bool,
    queue: VecDeque<Durable>,
}

impl Changes {
    pub(crate) fn set(&mut self, on: bool) {
        self.on = on;
        if !on {
            self.queue.clear();
        }
    }

    /// Whether a store is on.
    pub(crate) fn is_on(&self) -> bool {
        self.on
    }

    /// Queues the change `make` builds, while a store is on.
    #[inline]
    pub(crate) fn keep(&mut self, make: impl FnOnce() -> Durable) {
        if self.on {
            self.queue.push_back(make());
        }
    }

    pub(crate) fn poll(&mut self) -> Option<Durable> {
        self.queue.pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

/// Why [`Client::restore`](crate::Client::restore) refused a stored session.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The client has opened a transport or has a session state of its own already: a session
    /// is restored into a new client.
    #[error("a session is restored into a new client, before its first connection")]
    NotNew,
    /// Two stored messages, or two inbound exchanges, have one packet identifier.
    #[error("packet identifier {0} is stored twice")]
    DuplicateId(PacketId),
    /// A stored message at QoS 0, which no store keeps.
    #[error("a stored message at QoS 0")]
    AtMostOnce,
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_proto::{PacketType, PubAck, QoS, QosPid, TopicName};

    fn pid(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    fn message(n: u16) -> Publish {
        Publish::new(
            TopicName::new("t").unwrap(),
            QosPid::new(QoS::ExactlyOnce, pid(n)),
            "x",
        )
    }

    #[test]
    fn a_state_is_empty_only_without_messages_and_inbound_exchanges() {
        let mut stored = Stored::default();
        assert!(stored.is_empty());
        stored.apply(&Durable::InboundReceived(pid(1)));
        assert!(!stored.is_empty());
        stored.apply(&Durable::InboundDone(pid(1)));
        stored.apply(&Durable::Message(message(2)));
        assert!(!stored.is_empty());
    }

    #[test]
    fn its_changes_rebuild_a_state() {
        let mut stored = Stored::default();
        for change in [
            Durable::Message(message(1)),
            Durable::Message(message(2)),
            Durable::Released(pid(1)),
            Durable::InboundReceived(pid(9)),
            Durable::InboundReceived(pid(4)),
        ] {
            stored.apply(&change);
        }
        let mut rebuilt = Stored::default();
        for change in stored.changes() {
            rebuilt.apply(&change);
        }
        assert_eq!(rebuilt, stored);
        assert_eq!(stored.changes().count(), 5);
    }

    #[test]
    fn applying_a_change_twice_or_to_nothing_changes_nothing_more() {
        let mut stored = Stored::default();
        stored.apply(&Durable::Message(message(1)));
        stored.apply(&Durable::Released(pid(1)));
        let mut again = message(1);
        again.dup = true;
        stored.apply(&Durable::Message(again.clone()));
        assert_eq!(stored.messages.len(), 1);
        assert_eq!(
            stored.messages[0],
            StoredMessage {
                publish: again,
                released: false
            }
        );
        stored.apply(&Durable::Renumbered {
            before: pid(1),
            after: pid(5),
        });
        assert_eq!(stored.messages[0].publish.qos_pid.packet_id(), Some(pid(5)));
        assert!(!stored.messages[0].publish.dup);
        for change in [
            Durable::Released(pid(7)),
            Durable::Done(pid(7)),
            Durable::Renumbered {
                before: pid(7),
                after: pid(8),
            },
            Durable::InboundDone(pid(7)),
            Durable::Message(Publish::new(
                TopicName::new("t").unwrap(),
                QosPid::AtMostOnce,
                "qos 0 is never kept",
            )),
        ] {
            stored.apply(&change);
        }
        assert_eq!(stored.messages.len(), 1);
        stored.apply(&Durable::InboundReceived(pid(3)));
        stored.apply(&Durable::InboundReceived(pid(3)));
        assert_eq!(stored.inbound, [pid(3)]);
        stored.apply(&Durable::InboundCleared);
        stored.apply(&Durable::Done(pid(5)));
        assert!(stored.is_empty());
    }

    #[test]
    fn messages_are_kept_as_mqtt_5_publish_packets() {
        let mut buf = BytesMut::new();
        let len = encode_message(&message(3), &mut buf).unwrap();
        assert_eq!(len, buf.len());
        assert_eq!(buf[0] >> 4, 3, "a PUBLISH");
        assert_eq!(decode_message(&buf), Ok(message(3)));

        let mut trailing = buf.clone();
        trailing.extend_from_slice(&[0, 0]);
        assert_eq!(decode_message(&trailing), Err(MessageError::Trailing(2)));
        assert_eq!(
            decode_message(&buf[..buf.len() - 1]),
            Err(MessageError::CutShort)
        );
        assert_eq!(decode_message(&[]), Err(MessageError::CutShort));
        let mut puback = BytesMut::new();
        Packet::from(PubAck::new(pid(1)))
            .encode(ProtocolVersion::V5, &mut puback)
            .unwrap();
        assert_eq!(
            decode_message(&puback),
            Err(MessageError::NotPublish(PacketType::PubAck))
        );
        assert!(matches!(
            decode_message(&[0x30, 0x01, 0xff]),
            Err(MessageError::Decode(_))
        ));
    }

    #[test]
    fn changes_are_kept_only_while_on() {
        let mut changes = Changes::default();
        changes.keep(|| Durable::InboundCleared);
        assert_eq!(changes.len(), 0);
        changes.set(true);
        changes.keep(|| Durable::InboundCleared);
        changes.keep(|| Durable::Done(pid(1)));
        assert_eq!(changes.len(), 2);
        assert_eq!(changes.poll(), Some(Durable::InboundCleared));
        changes.set(false);
        assert_eq!(changes.len(), 0, "switched off: what waited is gone");
        assert_eq!(changes.poll(), None);
    }
}
