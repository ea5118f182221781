//! The state a broker keeps per client identifier, across connections.

use std::collections::{BTreeSet, VecDeque};

use mqtt_proto::{PacketId, Publish, SubscribeOptions, SubscriptionId, TopicFilter};

/// One subscription of a session, with the QoS the broker granted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionSubscription {
    /// The topic filter.
    pub filter: TopicFilter,
    /// The options, with `qos` lowered to the granted QoS.
    pub options: SubscribeOptions,
    /// The Subscription Identifier of the SUBSCRIBE (MQTT 5.0).
    pub identifier: Option<SubscriptionId>,
}

/// Where an outbound QoS 1 or 2 message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutboundState {
    /// Not sent yet: the client was offline or its Receive Maximum was reached.
    Queued,
    /// Sent at QoS 1, waiting for PUBACK.
    AwaitingPubAck,
    /// Sent at QoS 2, waiting for PUBREC.
    AwaitingPubRec,
    /// PUBREL sent, waiting for PUBCOMP.
    AwaitingPubComp,
}

/// An outbound QoS 1 or 2 message with the packet identifier the broker gave it.
#[derive(Clone, Debug)]
pub(crate) struct Outbound {
    pub(crate) publish: Publish,
    pub(crate) packet_id: PacketId,
    pub(crate) state: OutboundState,
}

/// The session state of one client identifier: what a real broker keeps while the session lives.
///
/// Read it through [`FakeBroker::session`](crate::FakeBroker::session).
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub(crate) subscriptions: Vec<SessionSubscription>,
    pub(crate) outbound: VecDeque<Outbound>,
    /// Inbound QoS 2 identifiers answered with PUBREC and waiting for PUBREL.
    pub(crate) awaiting_pubrel: BTreeSet<PacketId>,
    last_id: u16,
}

impl Session {
    /// The subscriptions, in the order first made.
    #[must_use]
    pub fn subscriptions(&self) -> &[SessionSubscription] {
        &self.subscriptions
    }

    /// The packet identifiers of outbound QoS 1 and 2 messages not yet completed, in send order:
    /// sent and unacknowledged, waiting for PUBCOMP, or queued.
    pub fn unacknowledged(&self) -> impl Iterator<Item = PacketId> + '_ {
        self.outbound.iter().map(|o| o.packet_id)
    }

    /// The number of outbound messages sent and not completed (what counts against the client's
    /// Receive Maximum).
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.outbound
            .iter()
            .filter(|o| o.state != OutboundState::Queued)
            .count()
    }

    /// The inbound QoS 2 packet identifiers the broker answered with PUBREC and for which it
    /// waits for PUBREL.
    pub fn awaiting_pubrel(&self) -> impl Iterator<Item = PacketId> + '_ {
        self.awaiting_pubrel.iter().copied()
    }

    /// A packet identifier no outbound message uses, counting up from the last one given and
    /// wrapping; `None` when all 65,535 are in use.
    pub(crate) fn allocate_id(&mut self) -> Option<PacketId> {
        let mut candidate = self.last_id;
        for _ in 0..u16::MAX {
            candidate = candidate.checked_add(1).unwrap_or(1);
            let id = PacketId::new(candidate)?;
            if self.outbound.iter().all(|o| o.packet_id != id) {
                self.last_id = candidate;
                return Some(id);
            }
        }
        None
    }

    /// Adds or replaces the subscription with the same filter (\[MQTT-3.8.4-3\]).
    pub(crate) fn subscribe(&mut self, subscription: SessionSubscription) {
        match self
            .subscriptions
            .iter_mut()
            .find(|s| s.filter == subscription.filter)
        {
            Some(existing) => *existing = subscription,
            None => self.subscriptions.push(subscription),
        }
    }

    /// Removes the subscription with this filter; whether there was one.
    pub(crate) fn unsubscribe(&mut self, filter: &TopicFilter) -> bool {
        let before = self.subscriptions.len();
        self.subscriptions.retain(|s| &s.filter != filter);
        self.subscriptions.len() != before
    }
}
