//! SUBSCRIBE and UNSUBSCRIBE: requests, results, and the subscriptions remembered for a session
//! the server lost.

use alloc::vec::Vec;

use mqtt_proto::{
    Packet, PacketId, PropertyBox, SubAck, Subscribe, SubscribeProperties, Subscription,
    SubscriptionId, TopicFilter, UnsubAck, Unsubscribe, UnsubscribeProperties,
};

use super::Client;
use crate::error::ClientError;
use crate::event::Event;

/// A request waiting for its SUBACK or UNSUBACK.
pub(super) struct Request {
    id: PacketId,
    packet: Packet,
    /// Whether it went out on the current connection.
    sent: bool,
}

/// A subscription the server granted, made again if the server loses the session.
pub(super) struct Remembered {
    subscription: Subscription,
    identifier: Option<SubscriptionId>,
}

impl Client {
    /// Subscribes to `subscriptions`; returns the packet identifier that
    /// [`Event::Subscribed`] reports with one result per filter.
    ///
    /// Sent at once when connected, otherwise as soon as the connection is accepted. Granted
    /// subscriptions are remembered and made again when the server loses the session.
    ///
    /// # Errors
    /// [`ClientError::PacketIdsExhausted`]; against the server's limits (known once connected)
    /// [`ClientError::WildcardSubscriptionsNotSupported`],
    /// [`ClientError::SharedSubscriptionsNotSupported`],
    /// [`ClientError::SubscriptionIdentifiersNotSupported`]; [`ClientError::Encode`] for an
    /// empty list or options the version cannot carry.
    pub fn subscribe(
        &mut self,
        subscriptions: Vec<Subscription>,
        properties: SubscribeProperties,
    ) -> Result<PacketId, ClientError> {
        let s = &self.server;
        if !s.wildcard_subscription_available
            && subscriptions.iter().any(|x| x.filter.has_wildcards())
        {
            return Err(ClientError::WildcardSubscriptionsNotSupported);
        }
        if !s.shared_subscription_available && subscriptions.iter().any(|x| x.filter.is_shared()) {
            return Err(ClientError::SharedSubscriptionsNotSupported);
        }
        if !s.subscription_identifiers_available && properties.subscription_identifier.is_some() {
            return Err(ClientError::SubscriptionIdentifiersNotSupported);
        }
        let mut subscribe = Subscribe::new(PacketId::MAX, subscriptions);
        subscribe.properties = PropertyBox::new(properties);
        self.request(Packet::Subscribe(subscribe))
    }

    /// Unsubscribes from `filters`; returns the packet identifier that [`Event::Unsubscribed`]
    /// reports. The filters are forgotten at once: they are not made again after a session loss.
    ///
    /// # Errors
    /// [`ClientError::PacketIdsExhausted`]; [`ClientError::Encode`] for an empty list.
    pub fn unsubscribe(
        &mut self,
        filters: Vec<TopicFilter>,
        properties: UnsubscribeProperties,
    ) -> Result<PacketId, ClientError> {
        let mut unsubscribe = Unsubscribe::new(PacketId::MAX, filters);
        unsubscribe.properties = PropertyBox::new(properties);
        self.request(Packet::Unsubscribe(unsubscribe))
    }

    /// Checks, numbers and queues (or sends) a SUBSCRIBE or UNSUBSCRIBE.
    fn request(&mut self, mut packet: Packet) -> Result<PacketId, ClientError> {
        super::encodable(packet.encode(self.version, &mut super::no_room()))?;
        let id = self.allocate_id()?;
        match &mut packet {
            Packet::Subscribe(s) => s.packet_id = id,
            Packet::Unsubscribe(u) => {
                u.packet_id = id;
                self.remembered
                    .retain(|r| !u.filters.contains(&r.subscription.filter));
            }
            _ => {}
        }
        self.requests.push_back(Request {
            id,
            packet,
            sent: false,
        });
        self.send_requests();
        Ok(id)
    }

    /// Sends the requests not yet sent on this connection (all of them after a reconnect).
    pub(super) fn send_requests(&mut self) {
        if !self.is_connected() {
            return;
        }
        let mut requests = core::mem::take(&mut self.requests);
        for request in requests.iter_mut().filter(|r| !r.sent) {
            request.sent = true;
            self.encode_infallible(&request.packet);
        }
        self.requests = requests;
    }

    /// Marks every request unsent, for the next connection.
    pub(super) fn unsend_requests(&mut self) {
        for request in &mut self.requests {
            request.sent = false;
        }
    }

    fn take_request(&mut self, id: PacketId) -> Option<Packet> {
        let index = self.requests.iter().position(|r| r.id == id && r.sent)?;
        let request = self.requests.remove(index)?;
        self.ids.release(id);
        Some(request.packet)
    }

    pub(super) fn handle_suback(&mut self, ack: SubAck) {
        let Some(Packet::Subscribe(subscribe)) = self.take_request(ack.packet_id) else {
            return;
        };
        let identifier = subscribe.properties.subscription_identifier;
        for (subscription, code) in subscribe.subscriptions.into_iter().zip(&ack.reason_codes) {
            self.remembered
                .retain(|r| r.subscription.filter != subscription.filter);
            if code.is_success() {
                self.remembered.push(Remembered {
                    subscription,
                    identifier,
                });
            }
        }
        self.events.push_back(Event::Subscribed {
            packet_id: ack.packet_id,
            reason_codes: ack.reason_codes,
            properties: ack.properties.into_inner(),
        });
    }

    pub(super) fn handle_unsuback(&mut self, ack: UnsubAck) {
        if self.take_request(ack.packet_id).is_none() {
            return;
        }
        self.events.push_back(Event::Unsubscribed {
            packet_id: ack.packet_id,
            reason_codes: ack.reason_codes,
            properties: ack.properties.into_inner(),
        });
    }

    /// Queues the remembered subscriptions again, one SUBSCRIBE per subscription identifier;
    /// returns their filters.
    pub(super) fn resubscribe(&mut self) -> Vec<TopicFilter> {
        let remembered = core::mem::take(&mut self.remembered);
        let filters = remembered
            .iter()
            .map(|r| r.subscription.filter.clone())
            .collect();
        let mut groups: Vec<(Option<SubscriptionId>, Vec<Subscription>)> = Vec::new();
        for r in remembered {
            match groups.iter_mut().find(|(id, _)| *id == r.identifier) {
                Some((_, subs)) => subs.push(r.subscription),
                None => groups.push((r.identifier, alloc::vec![r.subscription])),
            }
        }
        for (identifier, subscriptions) in groups {
            let mut properties = SubscribeProperties::default();
            properties.subscription_identifier = identifier;
            // They were accepted before; a failure now (identifiers exhausted) cannot be
            // reported better than by their absence from the SUBACKs.
            let _ = self.subscribe(subscriptions, properties);
        }
        filters
    }
}
