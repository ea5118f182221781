//! How the broker reacts to each packet of the client.

use mqtt_proto::{
    ConnAck, Packet, PacketType, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish, QoS,
    QosPid, ReasonCode, SubAck, Subscribe, UnsubAck, Unsubscribe,
};

use super::session::{OutboundState, SessionSubscription};
use super::{FakeBroker, Phase, Violation};

impl FakeBroker {
    /// Reacts to one decoded packet of the client.
    pub(super) fn handle_packet(&mut self, version: ProtocolVersion, packet: Packet) {
        match self.conn.phase {
            Phase::AwaitingConnect => {
                // The version was read from this frame: it is a CONNECT.
                if let Packet::Connect(connect) = packet {
                    if version.is_v5() && !self.config.speaks_v5 {
                        self.refuse_v5();
                        return;
                    }
                    self.conn.pending_connect = Some(connect);
                    self.conn.phase = Phase::ConnectPending;
                    let answer = self.config.connect_answer;
                    self.answer_connect(answer);
                }
            }
            // Unanswered: packets are recorded, and only a second CONNECT is an error.
            Phase::ConnectPending => {
                if let Packet::Connect(_) = packet {
                    self.fail(Violation::SecondConnect);
                }
            }
            Phase::Open => self.handle_open(version, packet),
            Phase::Closed => {}
        }
    }

    fn handle_open(&mut self, version: ProtocolVersion, packet: Packet) {
        match packet {
            Packet::Connect(_) => self.fail(Violation::SecondConnect),
            Packet::Publish(publish) => self.on_publish(publish),
            Packet::PubAck(ack) => self.on_outbound_ack(
                PacketType::PubAck,
                ack.packet_id,
                OutboundState::AwaitingPubAck,
            ),
            Packet::PubRec(rec) => self.on_pubrec(&rec),
            Packet::PubComp(comp) => self.on_outbound_ack(
                PacketType::PubComp,
                comp.packet_id,
                OutboundState::AwaitingPubComp,
            ),
            Packet::PubRel(rel) => self.on_pubrel(&rel),
            Packet::Subscribe(subscribe) => self.on_subscribe(version, &subscribe),
            Packet::Unsubscribe(unsubscribe) => self.on_unsubscribe(version, &unsubscribe),
            Packet::PingReq => {
                if self.config.answer_pings {
                    self.transmit(&Packet::PingResp);
                }
            }
            Packet::Disconnect(disconnect) => {
                if let Some(expiry) = disconnect.properties.session_expiry_interval {
                    self.conn.persistent = expiry > 0;
                }
                self.close();
            }
            // Enhanced authentication is driven by the test through `send_auth`.
            Packet::Auth(_) => {}
            Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp => {
                self.fail(Violation::ServerPacket(packet.packet_type()));
            }
        }
    }

    /// Refuses the pending CONNECT with `code` and closes.
    pub(super) fn refuse(&mut self, code: ReasonCode) {
        let mut connack = ConnAck::new(false, code);
        if self.is_v5() {
            // A Reason String, a Server Reference (redirection), …
            connack.properties = self.config.connack_properties.clone().into();
        }
        self.transmit(&connack.into());
        self.close();
    }

    /// Accepts the pending CONNECT: session lookup, CONNACK, then the session's unfinished
    /// outbound messages (\[MQTT-4.4.0-1\]).
    pub(super) fn accept(&mut self) {
        let Some(connect) = self.conn.pending_connect.take() else {
            return;
        };
        let v5 = self.is_v5();
        let version = self.conn.version.unwrap_or(ProtocolVersion::V5);
        let mut client_id = connect.client_id.as_str().to_owned();
        let mut assigned = false;
        if client_id.is_empty() {
            if !v5 && !connect.clean_start {
                self.violations.push(Violation::ClientIdRejected);
                self.refuse(ReasonCode::CLIENT_IDENTIFIER_NOT_VALID);
                return;
            }
            self.assigned_ids += 1;
            client_id = match &self.config.connack_properties.assigned_client_identifier {
                Some(id) => id.as_str().to_owned(),
                None => format!("fake-broker-{}", self.assigned_ids),
            };
            assigned = true;
        }
        if connect.clean_start {
            self.sessions.remove(&client_id);
        }
        let resumed = self.sessions.contains_key(&client_id);
        let session_present =
            self.config.session_present.unwrap_or(resumed) && version != ProtocolVersion::V3_1;
        if !session_present {
            self.sessions.remove(&client_id);
        }
        self.sessions.entry(client_id.clone()).or_default();
        self.conn.persistent = if v5 {
            connect
                .properties
                .session_expiry_interval
                .is_some_and(|s| s > 0)
        } else {
            !connect.clean_start
        };
        if v5 {
            self.conn.client_receive_maximum = connect
                .properties
                .receive_maximum
                .map_or(u16::MAX, core::num::NonZeroU16::get);
        }
        let mut connack = ConnAck::new(session_present, ReasonCode::SUCCESS);
        if v5 {
            let mut properties = self.config.connack_properties.clone();
            if assigned && properties.assigned_client_identifier.is_none() {
                properties.assigned_client_identifier =
                    mqtt_proto::MqttString::new(&*client_id).ok();
            }
            connack.properties = properties.into();
        }
        self.client_id = Some(client_id);
        self.transmit(&connack.into());
        self.conn.phase = Phase::Open;
        self.resend();
        self.pump();
    }

    /// Resends what was sent on an earlier connection and not completed: PUBLISH with DUP, and
    /// PUBREL for messages past PUBREC, in their original order.
    fn resend(&mut self) {
        let Some(session) = self
            .client_id
            .as_deref()
            .and_then(|id| self.sessions.get(id))
        else {
            return;
        };
        let packets: Vec<Packet> = session
            .outbound
            .iter()
            .filter_map(|o| match o.state {
                OutboundState::Queued => None,
                OutboundState::AwaitingPubAck | OutboundState::AwaitingPubRec => {
                    let mut publish = o.publish.clone();
                    publish.dup = true;
                    Some(publish.into())
                }
                OutboundState::AwaitingPubComp => Some(PubRel::new(o.packet_id).into()),
            })
            .collect();
        for packet in packets {
            self.transmit(&packet);
        }
    }

    fn on_publish(&mut self, mut publish: Publish) {
        if self.is_v5() {
            let properties = &self.config.connack_properties;
            if properties
                .maximum_qos
                .is_some_and(|max| publish.qos() > max)
            {
                return self.fail(Violation::QosNotSupported);
            }
            if publish.retain && properties.retain_available == Some(false) {
                return self.fail(Violation::RetainNotSupported);
            }
            if let Some(alias) = publish.properties.topic_alias {
                let max = properties.topic_alias_maximum.unwrap_or(0);
                if alias.get() > max {
                    return self.fail(Violation::TopicAliasInvalid(alias.get()));
                }
                if publish.topic().is_empty() {
                    match self.conn.topic_aliases.get(&alias.get()) {
                        Some(topic) => publish.set_topic(topic.clone()),
                        None => return self.fail(Violation::TopicAliasInvalid(alias.get())),
                    }
                } else {
                    self.conn
                        .topic_aliases
                        .insert(alias.get(), publish.topic_name());
                }
            }
        }
        let code = if self.is_v5() {
            self.config.publish_reason_code
        } else {
            ReasonCode::SUCCESS
        };
        match publish.qos_pid {
            QosPid::AtMostOnce => self.route(&publish),
            QosPid::AtLeastOnce(id) => {
                if !self.inbound_window_has_room() {
                    return self.fail(Violation::ReceiveMaximumExceeded);
                }
                self.acknowledge(PubAck::with_reason(id, code).into());
                if code.is_success() {
                    self.route(&publish);
                }
            }
            QosPid::ExactlyOnce(id) => {
                let Some(session) = self.current_session_mut() else {
                    return;
                };
                // A redelivery of a message already received: answer again, deliver once.
                if session.awaiting_pubrel.contains(&id) {
                    return self.acknowledge(PubRec::new(id).into());
                }
                if !self.inbound_window_has_room() {
                    return self.fail(Violation::ReceiveMaximumExceeded);
                }
                self.acknowledge(PubRec::with_reason(id, code).into());
                if code.is_success() {
                    if let Some(session) = self.current_session_mut() {
                        session.awaiting_pubrel.insert(id);
                    }
                    self.route(&publish);
                }
            }
        }
    }

    /// Whether one more inbound QoS 1 or 2 message stays within the broker's Receive Maximum.
    fn inbound_window_has_room(&self) -> bool {
        let Some(max) = self
            .config
            .connack_properties
            .receive_maximum
            .filter(|_| self.is_v5())
        else {
            return true;
        };
        let held = self
            .conn
            .held_acks
            .iter()
            .filter(|ack| match ack {
                Packet::PubAck(_) | Packet::PubComp(_) => true,
                Packet::PubRec(rec) => rec.reason_code.is_error(),
                _ => false,
            })
            .count();
        let awaiting = self
            .current_session()
            .map_or(0, |s| s.awaiting_pubrel.len());
        held + awaiting < usize::from(max.get())
    }

    /// Delivers the client's publication back to it (after the acknowledgement) when its
    /// subscriptions match: once, at the highest granted QoS of the matches capped by the
    /// publication's, with every matching Subscription Identifier.
    fn route(&mut self, publish: &Publish) {
        let v5 = self.is_v5();
        let Some(session) = self.current_session() else {
            return;
        };
        let topic = publish.topic();
        let mut granted: Option<QoS> = None;
        let mut identifiers = Vec::new();
        let mut retain_as_published = false;
        for subscription in &session.subscriptions {
            // [MQTT-3.8.3-3]
            if v5 && subscription.options.no_local {
                continue;
            }
            if subscription.filter.matches(topic) {
                granted = granted.max(Some(subscription.options.qos));
                identifiers.extend(subscription.identifier);
                retain_as_published |= subscription.options.retain_as_published;
            }
        }
        let Some(granted) = granted else {
            return;
        };
        let mut out = Publish::new(
            publish.topic_name(),
            QosPid::AtMostOnce,
            publish.payload_bytes(),
        );
        out.retain = publish.retain && retain_as_published;
        out.properties = publish.properties.clone();
        if !out.properties.is_empty() || !identifiers.is_empty() {
            out.properties.topic_alias = None;
            out.properties.subscription_identifiers = identifiers;
        }
        self.deliver(out, publish.qos().min(granted));
    }

    /// PUBACK or PUBCOMP: the outbound message `id` in state `expected` is done.
    fn on_outbound_ack(
        &mut self,
        packet_type: PacketType,
        packet_id: mqtt_proto::PacketId,
        expected: OutboundState,
    ) {
        let done = self.current_session_mut().and_then(|session| {
            let index = session
                .outbound
                .iter()
                .position(|o| o.packet_id == packet_id && o.state == expected)?;
            session.outbound.remove(index)
        });
        if done.is_none() {
            self.violations.push(Violation::UnknownPacketId {
                packet_type,
                packet_id,
            });
        }
        self.pump();
    }

    /// PUBREC: answer PUBREL, or end the exchange when the client refused the message.
    fn on_pubrec(&mut self, rec: &PubRec) {
        let id = rec.packet_id;
        let Some(session) = self.current_session_mut() else {
            return;
        };
        let Some(index) = session.outbound.iter().position(|o| {
            o.packet_id == id
                && matches!(
                    o.state,
                    OutboundState::AwaitingPubRec | OutboundState::AwaitingPubComp
                )
        }) else {
            self.violations.push(Violation::UnknownPacketId {
                packet_type: PacketType::PubRec,
                packet_id: id,
            });
            return;
        };
        if rec.reason_code.is_error() {
            session.outbound.remove(index);
            self.pump();
            return;
        }
        if let Some(outbound) = session.outbound.get_mut(index) {
            outbound.state = OutboundState::AwaitingPubComp;
        }
        self.transmit(&PubRel::new(id).into());
    }

    /// PUBREL of an inbound QoS 2 message: PUBCOMP, with 0x92 (MQTT 5.0) for an unknown one.
    fn on_pubrel(&mut self, rel: &PubRel) {
        let id = rel.packet_id;
        let known = self
            .current_session_mut()
            .is_some_and(|session| session.awaiting_pubrel.remove(&id));
        let code = if known || !self.is_v5() {
            ReasonCode::SUCCESS
        } else {
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
        };
        self.acknowledge(PubComp::with_reason(id, code).into());
    }

    fn on_subscribe(&mut self, version: ProtocolVersion, subscribe: &Subscribe) {
        let mut max = self.config.max_granted_qos;
        if version.is_v5() {
            if let Some(server_max) = self.config.connack_properties.maximum_qos {
                max = max.min(server_max);
            }
        }
        let mut codes = Vec::with_capacity(subscribe.subscriptions.len());
        let mut accepted = Vec::new();
        for subscription in &subscribe.subscriptions {
            if let Some(&code) = self
                .config
                .subscribe_failures
                .get(subscription.filter.as_str())
            {
                codes.push(if version.is_v5() {
                    code
                } else {
                    ReasonCode::UNSPECIFIED_ERROR
                });
                continue;
            }
            let mut options = subscription.options;
            options.qos = options.qos.min(max);
            codes.push(ReasonCode(options.qos as u8));
            accepted.push(SessionSubscription {
                filter: subscription.filter.clone(),
                options,
                identifier: subscribe.properties.subscription_identifier,
            });
        }
        if let Some(session) = self.current_session_mut() {
            for subscription in accepted {
                session.subscribe(subscription);
            }
        }
        self.transmit(&SubAck::new(subscribe.packet_id, codes).into());
    }

    fn on_unsubscribe(&mut self, version: ProtocolVersion, unsubscribe: &Unsubscribe) {
        let mut codes = Vec::new();
        for filter in &unsubscribe.filters {
            let existed = self
                .current_session_mut()
                .is_some_and(|session| session.unsubscribe(filter));
            if version.is_v5() {
                codes.push(if existed {
                    ReasonCode::SUCCESS
                } else {
                    ReasonCode::NO_SUBSCRIPTION_EXISTED
                });
            }
        }
        self.transmit(&UnsubAck::new(unsubscribe.packet_id, codes).into());
    }

    fn current_session(&self) -> Option<&super::Session> {
        self.sessions.get(self.client_id.as_deref()?)
    }

    fn current_session_mut(&mut self) -> Option<&mut super::Session> {
        self.sessions.get_mut(self.client_id.as_deref()?)
    }
}
