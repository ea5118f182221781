//! Each packet type, for a protocol version.

use std::num::NonZeroU16;

use mqtt_proto::{
    AckProperties, Auth, ConnAck, ConnAckProperties, Connect, ConnectProperties, Disconnect,
    LastWill, MqttString, PacketId, PacketType, ProtocolVersion, Publish, PublishProperties,
    QosPid, ReasonCode, RetainHandling, SubAck, Subscribe, SubscribeOptions, SubscribeProperties,
    Subscription, TopicName, UnsubAck, Unsubscribe, UnsubscribeProperties, WillProperties,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::*;

pub(crate) fn will(version: ProtocolVersion) -> impl Strategy<Value = LastWill> {
    let props = if version.is_v5() {
        will_properties().boxed()
    } else {
        Just(WillProperties::default()).boxed()
    };
    (
        topic_name(),
        binary(256),
        text(0, 32),
        qos(),
        any::<bool>(),
        props,
    )
        .prop_map(|(topic, bytes, utf8, qos, retain, properties)| {
            let payload = payload_for(properties.payload_format_indicator, bytes, utf8);
            let mut will = LastWill::new(topic, payload);
            will.qos = qos;
            will.retain = retain;
            will.properties = properties.into();
            will
        })
}

pub(crate) fn connect(version: ProtocolVersion) -> impl Strategy<Value = Connect> {
    // MQTT 3.1 client identifiers are 1 to 23 characters (3.1 section 3.1); 3.1.1 and 5.0 allow
    // an empty one, which asks the server to assign one.
    let min_id = usize::from(version == ProtocolVersion::V3_1);
    let props = if version.is_v5() {
        connect_properties().boxed()
    } else {
        Just(ConnectProperties::default()).boxed()
    };
    (
        any::<bool>(),
        any::<u16>(),
        // MQTT 3.1 asks for 1 to 23 bytes.
        text(min_id, 23).prop_map(|id| {
            id.chars()
                .scan(0, |n, c| {
                    *n += c.len_utf8();
                    (*n <= 23).then_some(c)
                })
                .collect::<String>()
        }),
        opt(will(version)),
        opt(mqtt_string(12)),
        opt(binary(32)),
        props,
    )
        .prop_map(
            move |(clean_start, keep_alive, id, will, username, password, properties)| {
                let mut c = Connect::new(MqttString::new(id).unwrap());
                // A zero-byte client identifier needs Clean Session in 3.1.1 ([MQTT-3.1.3-7]).
                c.clean_start =
                    clean_start || (version == ProtocolVersion::V3_1_1 && c.client_id.is_empty());
                c.keep_alive = keep_alive;
                c.will = will;
                // Before 5.0 a password needs a user name ([MQTT-3.1.2-22] of 3.1.1).
                c.password = if version.is_v5() || username.is_some() {
                    password
                } else {
                    None
                };
                c.username = username;
                c.properties = properties.into();
                c
            },
        )
}

pub(crate) fn connack(version: ProtocolVersion) -> impl Strategy<Value = ConnAck> {
    let (code, props) = if version.is_v5() {
        (
            reason_code(PacketType::ConnAck).boxed(),
            connack_properties().boxed(),
        )
    } else {
        // The six 3.x return codes, held as their MQTT 5.0 equivalents.
        (
            (0u8..=5)
                .prop_map(|c| ReasonCode::from_v3_connack(c).unwrap())
                .boxed(),
            Just(ConnAckProperties::default()).boxed(),
        )
    };
    (any::<bool>(), code, props).prop_map(move |(session_present, code, properties)| {
        let mut ack = ConnAck::new(false, code);
        // Session Present only on success ([MQTT-3.2.2-4] of 3.1.1, [MQTT-3.2.2-6] of 5.0);
        // MQTT 3.1 has no such flag.
        ack.session_present =
            session_present && code == ReasonCode::SUCCESS && version != ProtocolVersion::V3_1;
        ack.properties = properties.into();
        ack
    })
}

pub(crate) fn publish(version: ProtocolVersion) -> impl Strategy<Value = Publish> {
    let v5 = version.is_v5();
    let props = if v5 {
        publish_properties().boxed()
    } else {
        Just(PublishProperties::default()).boxed()
    };
    (
        (any::<bool>(), qos_pid(), any::<bool>()),
        topic_name(),
        // MQTT 5.0: a Topic Alias, and sometimes only the alias with an empty topic name
        // (section 3.3.2.3.4, [MQTT-3.3.2-8]).
        opt(non_zero_u16()),
        proptest::bool::weighted(0.2),
        payload(),
        text(0, 64),
        props,
    )
        .prop_map(
            move |((dup, qos_pid, retain), topic, alias, alias_only, bytes, utf8, mut props)| {
                let payload = payload_for(props.payload_format_indicator, bytes, utf8);
                let mut topic = topic;
                if v5 {
                    props.topic_alias = alias;
                    if alias_only {
                        topic = TopicName::empty();
                        props.topic_alias = Some(alias.unwrap_or(NonZeroU16::MIN));
                    }
                }
                let mut p = Publish::new(topic, qos_pid, payload);
                // DUP only at QoS 1 and 2 ([MQTT-3.3.1-2]).
                p.dup = dup && qos_pid != QosPid::AtMostOnce;
                p.retain = retain;
                p.properties = props.into();
                p
            },
        )
}

pub(crate) fn pub_response(
    version: ProtocolVersion,
    packet_type: PacketType,
) -> impl Strategy<Value = (PacketId, ReasonCode, AckProperties)> {
    if version.is_v5() {
        (packet_id(), reason_code(packet_type), ack_properties()).boxed()
    } else {
        packet_id()
            .prop_map(|id| (id, ReasonCode::SUCCESS, AckProperties::default()))
            .boxed()
    }
}

pub(crate) fn subscription(version: ProtocolVersion) -> impl Strategy<Value = Subscription> {
    let v5 = version.is_v5();
    (
        topic_filter(),
        qos(),
        any::<bool>(),
        any::<bool>(),
        select(vec![
            RetainHandling::SendAtSubscribe,
            RetainHandling::SendIfNew,
            RetainHandling::DoNotSend,
        ]),
    )
        .prop_map(move |(filter, qos, no_local, rap, rh)| {
            let mut options = SubscribeOptions::new(qos);
            if v5 {
                // No Local is not allowed on a shared subscription ([MQTT-3.8.3-4]).
                options.no_local = no_local && !filter.is_shared();
                options.retain_as_published = rap;
                options.retain_handling = rh;
            }
            let mut s = Subscription::new(filter, qos);
            s.options = options;
            s
        })
}

pub(crate) fn subscribe(version: ProtocolVersion) -> impl Strategy<Value = Subscribe> {
    let props = if version.is_v5() {
        subscribe_properties().boxed()
    } else {
        Just(SubscribeProperties::default()).boxed()
    };
    (packet_id(), vec(subscription(version), 1..=5), props).prop_map(|(id, subs, properties)| {
        let mut s = Subscribe::new(id, subs);
        s.properties = properties.into();
        s
    })
}

pub(crate) fn suback(version: ProtocolVersion) -> impl Strategy<Value = SubAck> {
    let (code, props) = if version.is_v5() {
        (
            reason_code(PacketType::SubAck).boxed(),
            ack_properties().boxed(),
        )
    } else {
        // Granted QoS 0, 1, 2 or Failure ([MQTT-3.9.3-2] of 3.1.1).
        (
            select(vec![
                ReasonCode::GRANTED_QOS_0,
                ReasonCode::GRANTED_QOS_1,
                ReasonCode::GRANTED_QOS_2,
                ReasonCode::UNSPECIFIED_ERROR,
            ])
            .boxed(),
            Just(AckProperties::default()).boxed(),
        )
    };
    (packet_id(), vec(code, 1..=6), props).prop_map(|(id, codes, properties)| {
        let mut ack = SubAck::new(id, codes);
        ack.properties = properties.into();
        ack
    })
}

pub(crate) fn unsubscribe(version: ProtocolVersion) -> impl Strategy<Value = Unsubscribe> {
    let props = if version.is_v5() {
        unsubscribe_properties().boxed()
    } else {
        Just(UnsubscribeProperties::default()).boxed()
    };
    (packet_id(), vec(topic_filter(), 1..=5), props).prop_map(|(id, filters, properties)| {
        let mut u = Unsubscribe::new(id, filters);
        u.properties = properties.into();
        u
    })
}

pub(crate) fn unsuback(version: ProtocolVersion) -> impl Strategy<Value = UnsubAck> {
    if version.is_v5() {
        (
            packet_id(),
            vec(reason_code(PacketType::UnsubAck), 1..=6),
            ack_properties(),
        )
            .prop_map(|(id, codes, properties)| {
                let mut ack = UnsubAck::new(id, codes);
                ack.properties = properties.into();
                ack
            })
            .boxed()
    } else {
        // MQTT 3.x UNSUBACK carries the packet identifier only.
        packet_id()
            .prop_map(|id| UnsubAck::new(id, Vec::new()))
            .boxed()
    }
}

pub(crate) fn disconnect(version: ProtocolVersion) -> impl Strategy<Value = Disconnect> {
    if version.is_v5() {
        (reason_code(PacketType::Disconnect), disconnect_properties())
            .prop_map(|(code, properties)| {
                let mut d = Disconnect::new(code);
                d.properties = properties.into();
                d
            })
            .boxed()
    } else {
        Just(Disconnect::new(ReasonCode::NORMAL_DISCONNECTION)).boxed()
    }
}

pub(crate) fn auth() -> impl Strategy<Value = Auth> {
    (
        reason_code(PacketType::Auth),
        auth_properties(),
        mqtt_string(12),
    )
        .prop_map(|(code, properties, method)| {
            let mut a = Auth::new(code);
            a.properties = properties.into();
            // Only the empty AUTH (Success, no properties) leaves out the method (3.15.2.2.2).
            let empty = code == ReasonCode::SUCCESS && a.properties.is_empty();
            if !empty && a.properties.authentication_method.is_none() {
                a.properties.authentication_method = Some(method);
            }
            a
        })
}
