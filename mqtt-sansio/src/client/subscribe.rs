//! SUBSCRIBE and UNSUBSCRIBE: requests, results, and the subscriptions remembered for a session
//! the server lost.

use alloc::vec::Vec;

use mqtt_proto::{
    Packet, PacketId, PropertyBox, ReasonCode, SubAck, Subscribe, SubscribeProperties,
    Subscription, SubscriptionId, TopicFilter, UnsubAck, Unsubscribe, UnsubscribeProperties,
};

use super::Client;
use crate::error::ClientError;
use crate::event::{CommandId, Event};

/// A request waiting for its SUBACK or UNSUBACK.
pub(super) struct Request {
    id: PacketId,
    packet: Packet,
    /// Whether it went out on the current connection.
    sent: bool,
    /// The client's own SUBSCRIBE, making remembered subscriptions again: its answer is an
    /// [`Event::Resubscribed`].
    resubscribe: bool,
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
    /// Sent at once when connected, otherwise as soon as the connection is accepted (then
    /// checked against that connection's Maximum Packet Size: one too large ends with
    /// [`Event::Failed`]). Granted subscriptions are remembered and made again when the server
    /// loses the session.
    ///
    /// # Errors
    /// [`ClientError::PacketIdsExhausted`]; against the server's limits (known once connected)
    /// [`ClientError::WildcardSubscriptionsNotSupported`],
    /// [`ClientError::SharedSubscriptionsNotSupported`],
    /// [`ClientError::SubscriptionIdentifiersNotSupported`], [`ClientError::PacketTooLarge`];
    /// [`ClientError::Encode`] for an empty list or options the version cannot carry.
    pub fn subscribe(
        &mut self,
        subscriptions: Vec<Subscription>,
        properties: SubscribeProperties,
    ) -> Result<PacketId, ClientError> {
        self.journal
            .keep(|| crate::journal::Entry::Subscribe(subscriptions.clone(), properties.clone()));
        let result = self.checked_subscribe(subscriptions, properties);
        self.counted(result)
    }

    fn checked_subscribe(
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
        if !s.shared_subscription_available
            && self.version.is_v5()
            && subscriptions.iter().any(|x| x.filter.is_shared())
        {
            return Err(ClientError::SharedSubscriptionsNotSupported);
        }
        if !s.subscription_identifiers_available && properties.subscription_identifier.is_some() {
            return Err(ClientError::SubscriptionIdentifiersNotSupported);
        }
        let mut subscribe = Subscribe::new(PacketId::MAX, subscriptions);
        subscribe.properties = PropertyBox::new(properties);
        self.request(Packet::Subscribe(subscribe), false)
    }

    /// Unsubscribes from `filters`; returns the packet identifier that [`Event::Unsubscribed`]
    /// reports. The filters are forgotten at once: they are not made again after a session loss.
    ///
    /// # Errors
    /// [`ClientError::PacketIdsExhausted`]; [`ClientError::PacketTooLarge`] against the
    /// server's Maximum Packet Size; [`ClientError::Encode`] for an empty list.
    pub fn unsubscribe(
        &mut self,
        filters: Vec<TopicFilter>,
        properties: UnsubscribeProperties,
    ) -> Result<PacketId, ClientError> {
        self.journal
            .keep(|| crate::journal::Entry::Unsubscribe(filters.clone(), properties.clone()));
        let mut unsubscribe = Unsubscribe::new(PacketId::MAX, filters);
        unsubscribe.properties = PropertyBox::new(properties);
        let result = self.request(Packet::Unsubscribe(unsubscribe), false);
        self.counted(result)
    }

    /// Checks, numbers and queues (or sends) a SUBSCRIBE or UNSUBSCRIBE.
    fn request(&mut self, mut packet: Packet, resubscribe: bool) -> Result<PacketId, ClientError> {
        let size = packet
            .checked_len(self.version)
            .map_err(ClientError::Encode)?;
        // [MQTT-3.2.2-15]
        self.check_size(size)?;
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
            resubscribe,
        });
        self.send_requests();
        Ok(id)
    }

    /// Sends the requests not yet sent on this connection (all of them after a reconnect); one
    /// above this connection's Maximum Packet Size fails instead.
    pub(super) fn send_requests(&mut self) {
        if !self.is_connected() {
            return;
        }
        let mut requests = core::mem::take(&mut self.requests);
        requests.retain_mut(|request| {
            if request.sent {
                return true;
            }
            if let Err(error) = self.check_size(request.packet.encoded_len(self.version)) {
                self.ids.release(request.id);
                self.request_failed(request, error);
                return false;
            }
            request.sent = true;
            self.encode_infallible(&request.packet);
            true
        });
        self.requests = requests;
    }

    /// A request that will not be sent, reported as its kind wants.
    pub(super) fn request_failed(&mut self, request: &Request, error: ClientError) {
        let event = match &request.packet {
            Packet::Subscribe(s) if request.resubscribe => {
                let code = match error {
                    ClientError::PacketTooLarge { .. } => ReasonCode::PACKET_TOO_LARGE,
                    _ => ReasonCode::UNSPECIFIED_ERROR,
                };
                Event::Resubscribed {
                    results: s
                        .subscriptions
                        .iter()
                        .map(|x| (x.filter.clone(), code))
                        .collect(),
                }
            }
            Packet::Subscribe(_) => Event::Failed {
                command: CommandId::Subscribe(request.id),
                error,
            },
            _ => Event::Failed {
                command: CommandId::Unsubscribe(request.id),
                error,
            },
        };
        self.events.push_back(event);
    }

    /// Marks every request unsent, for the next connection.
    pub(super) fn unsend_requests(&mut self) {
        for request in &mut self.requests {
            request.sent = false;
        }
    }

    fn take_request(&mut self, id: PacketId) -> Option<Request> {
        let index = self.requests.iter().position(|r| r.id == id && r.sent)?;
        let request = self.requests.remove(index)?;
        self.ids.release(id);
        Some(request)
    }

    pub(super) fn handle_suback(&mut self, ack: SubAck) {
        let Some(Request {
            packet: Packet::Subscribe(subscribe),
            resubscribe,
            ..
        }) = self.take_request(ack.packet_id)
        else {
            return;
        };
        let identifier = subscribe.properties.subscription_identifier;
        let mut results = Vec::new();
        for (subscription, code) in subscribe.subscriptions.into_iter().zip(&ack.reason_codes) {
            self.remembered
                .retain(|r| r.subscription.filter != subscription.filter);
            if resubscribe {
                results.push((subscription.filter.clone(), *code));
            }
            if code.is_success() {
                self.remembered.push(Remembered {
                    subscription,
                    identifier,
                });
            }
        }
        if resubscribe {
            self.events.push_back(Event::Resubscribed { results });
            return;
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

    /// Queues the remembered subscriptions again: one SUBSCRIBE per subscription identifier,
    /// split where one would pass the server's Maximum Packet Size. Returns their filters, and
    /// an [`Event::Resubscribed`] for those that could not be sent.
    pub(super) fn resubscribe(&mut self) -> (Vec<TopicFilter>, Vec<Event>) {
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
        let mut failed = Vec::new();
        for (identifier, subscriptions) in groups {
            let mut properties = SubscribeProperties::default();
            properties.subscription_identifier = identifier;
            for part in self.split(subscriptions, &properties) {
                let mut subscribe = Subscribe::new(PacketId::MAX, part);
                subscribe.properties = PropertyBox::new(properties.clone());
                let packet = Packet::Subscribe(subscribe);
                if let Err(error) = self.request(packet.clone(), true) {
                    let Packet::Subscribe(s) = packet else {
                        continue;
                    };
                    let code = match error {
                        ClientError::PacketTooLarge { .. } => ReasonCode::PACKET_TOO_LARGE,
                        _ => ReasonCode::UNSPECIFIED_ERROR,
                    };
                    failed.push(Event::Resubscribed {
                        results: s
                            .subscriptions
                            .into_iter()
                            .map(|x| (x.filter, code))
                            .collect(),
                    });
                }
            }
        }
        (filters, failed)
    }

    /// Splits `subscriptions` into runs whose SUBSCRIBE fits the server's Maximum Packet Size
    /// (a subscription too large alone is a run of its own, refused when sent).
    fn split(
        &self,
        subscriptions: Vec<Subscription>,
        properties: &SubscribeProperties,
    ) -> Vec<Vec<Subscription>> {
        let Some(maximum) = self.server.maximum_packet_size else {
            return alloc::vec![subscriptions];
        };
        let mut runs: Vec<Vec<Subscription>> = Vec::new();
        let mut run: Vec<Subscription> = Vec::new();
        for subscription in subscriptions {
            run.push(subscription);
            let mut subscribe = Subscribe::new(PacketId::MAX, core::mem::take(&mut run));
            subscribe.properties = PropertyBox::new(properties.clone());
            let fits =
                Packet::Subscribe(subscribe.clone()).encoded_len(self.version) <= maximum as usize;
            run = subscribe.subscriptions;
            if !fits && run.len() > 1 {
                if let Some(last) = run.pop() {
                    runs.push(core::mem::replace(&mut run, alloc::vec![last]));
                }
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        runs
    }
}
