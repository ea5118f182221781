//! The session's store: what it asks to keep, in which order against the bytes it sends, and a
//! session taken back by a new process (`Client::restore`).

mod common;

use common::{Harness, pid, publish_packet, topic};
use mqtt_proto::{
    AckProperties, ConnAck, Packet, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, QoS,
    ReasonCode,
};
use mqtt_sansio::{Client, Config, Durable, Event, Message, RestoreError, Stored, StoredMessage};

/// A harness whose store is on, applied to a `Stored` the way the driver's rule says: every
/// change taken, and made durable, before the bytes that follow are written.
struct Durably {
    h: Harness,
    stored: Stored,
    changes: Vec<Durable>,
}

impl Durably {
    fn new(version: ProtocolVersion) -> Self {
        Self::with(Harness::config(version).with_clean_start(false))
    }

    fn with(config: Config) -> Self {
        let mut h = Harness::new(config);
        h.client.set_store(true);
        Self {
            h,
            stored: Stored::default(),
            changes: Vec::new(),
        }
    }

    /// A new process on the store of this one.
    fn restart(&self) -> Self {
        let mut next = Self::with(self.h.client.config().clone());
        next.h.client.restore(self.stored.clone()).unwrap();
        next.stored = self.stored.clone();
        next
    }

    /// Applies the changes, then takes the bytes, checking each packet against what the store
    /// holds at the instant it is written.
    fn sent(&mut self) -> Vec<Packet> {
        while let Some(change) = self.h.client.poll_store() {
            self.stored.apply(&change);
            self.changes.push(change);
        }
        let sent = self.h.sent();
        for packet in &sent {
            self.check(packet);
        }
        sent
    }

    /// What a crash right after `packet` went out must find in the store.
    fn check(&self, packet: &Packet) {
        let message = |id| {
            self.stored
                .messages
                .iter()
                .find(|m| m.publish.qos_pid.packet_id() == Some(id))
        };
        match packet {
            Packet::Publish(p) => {
                if let Some(id) = p.qos_pid.packet_id() {
                    // Kept; perhaps released already, when the PUBREC for it came before
                    // the driver wrote the batch that carries it.
                    assert!(message(id).is_some(), "PUBLISH {id} not kept");
                }
            }
            Packet::PubRel(rel) => {
                assert!(
                    message(rel.packet_id).is_some_and(|m| m.released),
                    "PUBREL {} before its release was kept",
                    rel.packet_id
                );
            }
            Packet::PubRec(rec) => assert!(
                self.stored.inbound.contains(&rec.packet_id),
                "PUBREC {} before the receipt was kept",
                rec.packet_id
            ),
            Packet::PubComp(comp) => assert!(
                !self.stored.inbound.contains(&comp.packet_id),
                "PUBCOMP {} while the exchange is still kept",
                comp.packet_id
            ),
            _ => {}
        }
    }

    fn changes(&mut self) -> Vec<Durable> {
        self.sent();
        std::mem::take(&mut self.changes)
    }

    fn connect(&mut self, session_present: bool) -> Vec<Packet> {
        self.h.client.handle_transport_open(self.h.now);
        let connect = self.sent();
        assert!(matches!(connect[..], [Packet::Connect(_)]), "{connect:?}");
        self.h
            .server_sends(&ConnAck::new(session_present, ReasonCode::SUCCESS).into());
        self.sent()
    }

    fn publish(&mut self, qos: QoS, payload: &'static str) -> u16 {
        let id = self
            .h
            .client
            .publish(Message::new(topic("t"), qos, payload))
            .unwrap();
        id.map_or(0, mqtt_proto::PacketId::get)
    }
}

fn wire(qos: QoS, id: u16, payload: &'static str, dup: bool) -> Packet {
    let mut p = publish_packet("t", qos, Some(id), payload);
    p.dup = dup;
    p.into()
}

fn kept(qos: QoS, id: u16, payload: &'static str) -> Durable {
    Durable::Message(publish_packet("t", qos, Some(id), payload))
}

fn published(id: u16, qos: QoS) -> Event {
    Event::Published {
        packet_id: pid(id),
        qos,
        reason_code: ReasonCode::SUCCESS,
        properties: AckProperties::default(),
    }
}

/// QoS 1 id 1 unacknowledged, QoS 2 id 2 released, QoS 2 id 3 unacknowledged, and id 4 accepted
/// while offline; then the process ends.
fn interrupted(version: ProtocolVersion) -> Durably {
    let mut d = Durably::new(version);
    d.connect(false);
    assert_eq!(d.publish(QoS::AtLeastOnce, "one"), 1);
    assert_eq!(d.publish(QoS::ExactlyOnce, "two"), 2);
    assert_eq!(d.publish(QoS::ExactlyOnce, "three"), 3);
    d.h.server_sends(&PubRec::new(pid(2)).into());
    assert_eq!(
        d.sent(),
        [
            wire(QoS::AtLeastOnce, 1, "one", false),
            wire(QoS::ExactlyOnce, 2, "two", false),
            wire(QoS::ExactlyOnce, 3, "three", false),
            PubRel::new(pid(2)).into(),
        ]
    );
    d.h.client.handle_transport_closed(d.h.now);
    d.h.events();
    assert_eq!(d.publish(QoS::AtLeastOnce, "offline"), 4);
    assert_eq!(
        d.changes(),
        [
            kept(QoS::AtLeastOnce, 1, "one"),
            kept(QoS::ExactlyOnce, 2, "two"),
            kept(QoS::ExactlyOnce, 3, "three"),
            Durable::Released(pid(2)),
            kept(QoS::AtLeastOnce, 4, "offline"),
        ]
    );
    d
}

fn resumes(version: ProtocolVersion) {
    let before = interrupted(version);
    let mut d = before.restart();
    assert_eq!(d.h.client.inflight(), 4);
    assert_eq!(d.h.client.packet_ids_in_use(), 4);
    // [MQTT-4.4.0-1]: PUBLISH again with DUP (whether it went before is not known), PUBREL for
    // the released one, in the original order.
    assert_eq!(
        d.connect(true),
        [
            wire(QoS::AtLeastOnce, 1, "one", true),
            PubRel::new(pid(2)).into(),
            wire(QoS::ExactlyOnce, 3, "three", true),
            wire(QoS::AtLeastOnce, 4, "offline", true),
        ]
    );
    // A new message takes none of the restored identifiers.
    assert_eq!(d.publish(QoS::AtLeastOnce, "new"), 5);
    d.h.server_sends(&PubAck::new(pid(1)).into());
    d.h.server_sends(&PubComp::new(pid(2)).into());
    d.h.server_sends(&PubRec::new(pid(3)).into());
    assert_eq!(
        d.sent(),
        [
            wire(QoS::AtLeastOnce, 5, "new", false),
            PubRel::new(pid(3)).into(),
        ]
    );
    d.h.server_sends(&PubComp::new(pid(3)).into());
    d.h.server_sends(&PubAck::new(pid(4)).into());
    d.h.server_sends(&PubAck::new(pid(5)).into());
    let events = d.h.events();
    assert_eq!(
        events[1..],
        [
            published(1, QoS::AtLeastOnce),
            published(2, QoS::ExactlyOnce),
            published(3, QoS::ExactlyOnce),
            published(4, QoS::AtLeastOnce),
            published(5, QoS::AtLeastOnce),
        ]
    );
    assert_eq!(
        d.changes(),
        [
            kept(QoS::AtLeastOnce, 5, "new"),
            Durable::Done(pid(1)),
            Durable::Done(pid(2)),
            Durable::Released(pid(3)),
            Durable::Done(pid(3)),
            Durable::Done(pid(4)),
            Durable::Done(pid(5)),
        ]
    );
    assert!(d.stored.is_empty(), "{:?}", d.stored);
}

#[test]
fn a_restarted_process_resumes_the_session_3_1_1() {
    resumes(ProtocolVersion::V3_1_1);
}

#[test]
fn a_restarted_process_resumes_the_session_5() {
    resumes(ProtocolVersion::V5);
}

// The server kept no session: every stored message goes again as a new one, and the store
// learns each new identifier in one change.
#[test]
fn without_the_servers_session_stored_messages_go_as_new_ones() {
    let mut d = interrupted(ProtocolVersion::V5).restart();
    let sent = d.connect(false);
    assert_eq!(
        sent,
        [
            wire(QoS::AtLeastOnce, 5, "one", false),
            wire(QoS::ExactlyOnce, 6, "two", false),
            wire(QoS::ExactlyOnce, 7, "three", false),
            wire(QoS::AtLeastOnce, 8, "offline", false),
        ]
    );
    let events = d.h.events();
    let Some(Event::SessionReset(reset)) = events.get(1) else {
        panic!("{events:?}")
    };
    assert_eq!(reset.requeued.len(), 4);
    assert_eq!(reset.released, [pid(2)]);
    assert_eq!(
        d.changes(),
        [
            Durable::Renumbered {
                before: pid(1),
                after: pid(5)
            },
            Durable::Renumbered {
                before: pid(2),
                after: pid(6)
            },
            Durable::Renumbered {
                before: pid(3),
                after: pid(7)
            },
            Durable::Renumbered {
                before: pid(4),
                after: pid(8)
            },
        ]
    );
    assert!(d.stored.messages.iter().all(|m| !m.released));
}

// An inbound QoS 2 message received before the process ended is not delivered again by the
// next one when the server sends it again; the exchange completes.
#[test]
fn an_inbound_qos2_message_is_delivered_once_across_a_restart() {
    let mut d = Durably::new(ProtocolVersion::V3_1_1);
    d.connect(false);
    let incoming = publish_packet("in", QoS::ExactlyOnce, Some(9), "x");
    d.h.server_sends(&incoming.clone().into());
    assert_eq!(d.h.events()[1..], [Event::Message(incoming.clone())]);
    assert_eq!(d.sent(), [PubRec::new(pid(9)).into()]);
    assert_eq!(d.changes(), [Durable::InboundReceived(pid(9))]);

    let mut d = d.restart();
    assert_eq!(d.h.client.awaiting_pubrel().collect::<Vec<_>>(), [pid(9)]);
    d.connect(true);
    let mut again = incoming;
    again.dup = true;
    d.h.server_sends(&again.into());
    assert_eq!(d.h.events()[1..], []);
    assert_eq!(d.sent(), [PubRec::new(pid(9)).into()]);
    d.h.server_sends(&PubRel::new(pid(9)).into());
    assert_eq!(d.sent(), [PubComp::new(pid(9)).into()]);
    assert!(d.stored.is_empty());
    // The server may use the identifier again: a new message under it is delivered.
    let next = publish_packet("in", QoS::ExactlyOnce, Some(9), "y");
    d.h.server_sends(&next.clone().into());
    assert_eq!(d.h.events(), [Event::Message(next)]);
}

// Manual acknowledgements: nothing is kept until the application acknowledges, so a process
// that ends before gets the message again.
#[test]
fn with_manual_acks_the_receipt_is_kept_when_the_application_acknowledges() {
    let mut d = Durably::with(
        Harness::config(ProtocolVersion::V5)
            .with_clean_start(false)
            .with_manual_acks(true),
    );
    d.connect(false);
    let incoming = publish_packet("in", QoS::ExactlyOnce, Some(3), "x");
    d.h.server_sends(&incoming.into());
    d.h.events();
    assert_eq!(d.sent(), []);
    assert_eq!(d.changes(), []);
    d.h.client.ack(pid(3)).unwrap();
    assert_eq!(d.sent(), [PubRec::new(pid(3)).into()]);
    assert_eq!(d.changes(), [Durable::InboundReceived(pid(3))]);
}

// A message the new connection's limits refuse ends, and the store forgets it.
#[test]
fn a_message_that_fails_is_forgotten() {
    let mut d = interrupted(ProtocolVersion::V5).restart();
    d.h.client.handle_transport_open(d.h.now);
    d.sent();
    let mut connack = ConnAck::new(true, ReasonCode::SUCCESS);
    connack.properties.maximum_qos = Some(QoS::AtLeastOnce);
    d.h.server_sends(&connack.into());
    // The QoS 2 message not yet released cannot go at QoS 2 any more; the released one
    // completes with PUBREL.
    assert_eq!(
        d.sent(),
        [
            wire(QoS::AtLeastOnce, 1, "one", true),
            PubRel::new(pid(2)).into(),
            wire(QoS::AtLeastOnce, 4, "offline", true),
        ]
    );
    assert_eq!(d.changes(), [Durable::Done(pid(3))]);
    assert!(
        d.h.events()
            .iter()
            .any(|e| matches!(e, Event::Failed { .. }))
    );
}

#[test]
fn a_session_is_restored_into_a_new_client_only() {
    let stored = interrupted(ProtocolVersion::V5).stored;
    let config = Harness::config(ProtocolVersion::V5);
    let mut opened = Client::new(config.clone());
    opened.handle_transport_open(mqtt_sansio::Instant::ZERO);
    assert_eq!(opened.restore(stored.clone()), Err(RestoreError::NotNew));

    let mut busy = Client::new(config.clone());
    busy.publish(Message::new(topic("t"), QoS::AtLeastOnce, "x"))
        .unwrap();
    assert_eq!(busy.restore(stored.clone()), Err(RestoreError::NotNew));

    let mut twice = stored.clone();
    twice.messages.push_back(twice.messages[0].clone());
    let mut fresh = Client::new(config.clone());
    assert_eq!(fresh.restore(twice), Err(RestoreError::DuplicateId(pid(1))));
    assert_eq!(fresh.inflight(), 0, "nothing restored");

    let mut zero = Stored::default();
    zero.messages.push_back(StoredMessage {
        publish: publish_packet("t", QoS::AtMostOnce, None, "x"),
        released: false,
    });
    assert_eq!(fresh.restore(zero), Err(RestoreError::AtMostOnce));

    let inbound_twice = Stored {
        inbound: vec![pid(2), pid(2)],
        ..Stored::default()
    };
    assert_eq!(
        fresh.restore(inbound_twice),
        Err(RestoreError::DuplicateId(pid(2)))
    );
    // A subscription waiting for its connection is state of the client's own.
    let mut subscribing = Client::new(config.clone());
    subscribing
        .subscribe(
            vec![mqtt_proto::Subscription::new(
                common::filter("a/#"),
                QoS::AtLeastOnce,
            )],
            mqtt_proto::SubscribeProperties::default(),
        )
        .unwrap();
    assert_eq!(
        subscribing.restore(stored.clone()),
        Err(RestoreError::NotNew)
    );
    // Restored once, a client is no longer new, whatever it holds.
    let mut inbound_only = Client::new(config);
    let just_inbound = Stored {
        inbound: vec![pid(2)],
        ..Stored::default()
    };
    inbound_only.restore(just_inbound.clone()).unwrap();
    assert_eq!(
        inbound_only.restore(just_inbound),
        Err(RestoreError::NotNew)
    );
    assert_eq!(fresh.restore(stored), Ok(()));
}

// Without a store, nothing is kept and nothing costs.
#[test]
fn without_a_store_there_are_no_changes() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.client
        .publish(Message::new(topic("t"), QoS::ExactlyOnce, "x"))
        .unwrap();
    h.server_sends(&PubRec::new(pid(1)).into());
    h.sent();
    assert_eq!(h.client.store_len(), 0);
    assert_eq!(h.client.poll_store(), None);
    h.client.set_store(true);
    h.server_sends(&PubComp::new(pid(1)).into());
    assert_eq!(h.client.store_len(), 1);
    assert_eq!(h.client.poll_store(), Some(Durable::Done(pid(1))));
    assert_eq!(h.client.store_len(), 0);
}

// The server lost the session: the inbound exchanges it had are gone, and so is their record.
#[test]
fn a_lost_session_clears_the_inbound_record() {
    let mut d = Durably::new(ProtocolVersion::V5);
    d.connect(false);
    d.h.server_sends(&publish_packet("in", QoS::ExactlyOnce, Some(4), "x").into());
    d.sent();
    let mut d = d.restart();
    assert_eq!(d.connect(false), []);
    assert_eq!(d.changes(), [Durable::InboundCleared]);
    assert!(d.stored.is_empty());
    assert_eq!(d.h.client.awaiting_pubrel().count(), 0);
}

// Nobody waits for the messages of a previous process: the supervisor says what it restored,
// and reports each outcome as an event; a store failure stops it.
#[test]
fn the_supervisor_reports_restored_messages_as_events() {
    use common::rig::Rig;
    use mqtt_sansio::{ConnectionEvent, Output, Policy, Published};
    use mqtt_test::BrokerConfig;

    let mut stored = interrupted(ProtocolVersion::V5).stored;
    stored.inbound.push(pid(30));
    let config = Harness::config(ProtocolVersion::V5).with_clean_start(false);
    let mut broker = BrokerConfig::new();
    broker.session_present = Some(true);
    let mut rig = Rig::unopened(config, broker, Policy::default());
    rig.s.restore(stored).unwrap();
    let restored = rig.outputs();
    assert!(
        matches!(
            &restored[..],
            [Output::Event(ConnectionEvent::SessionRestored {
                messages: 4,
                released: 1,
                inbound: 1
            })]
        ),
        "{restored:?}"
    );
    rig.s.handle_transport_open(rig.now);
    rig.pump();
    let mut outcomes = Vec::new();
    for output in rig.outputs() {
        if let Output::Event(ConnectionEvent::RestoredPublished { packet_id, result }) = output {
            outcomes.push((packet_id.get(), result.map(|p: Published| p.reason_code)));
        }
    }
    // The fake broker knows none of them: it completes the released one with "not found".
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    assert!(outcomes.iter().all(|(id, _)| (1..=4).contains(id)));

    rig.s.store_failed(rig.now, "disk full".into());
    assert!(rig.s.must_stop());
    let after = rig.outputs();
    assert!(
        after.iter().any(|o| matches!(
            o,
            Output::Event(ConnectionEvent::StoreFailed { reason }) if reason == "disk full"
        )),
        "{after:?}"
    );
}

// A new protocol version starts a new session: the store stays on and learns that the old
// session's messages are done.
#[test]
fn a_new_protocol_version_ends_the_stored_session() {
    let mut d = interrupted(ProtocolVersion::V3_1_1);
    d.h.server_sends(&PubRec::new(pid(9)).into());
    d.changes();
    let config = Harness::config(ProtocolVersion::V5).with_clean_start(false);
    d.h.client.set_config(config).unwrap();
    assert_eq!(
        d.changes(),
        [
            Durable::Done(pid(1)),
            Durable::Done(pid(2)),
            Durable::Done(pid(3)),
            Durable::Done(pid(4)),
        ]
    );
    assert!(d.stored.is_empty());
    d.h.version = ProtocolVersion::V5;
    assert_eq!(d.publish(QoS::AtLeastOnce, "new"), 1);
    assert_eq!(d.changes(), [kept(QoS::AtLeastOnce, 1, "new")]);
}
