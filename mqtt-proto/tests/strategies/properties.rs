//! MQTT 5.0 properties, for every packet that has them.

use bytes::Bytes;
use mqtt_proto::{
    AckProperties, AuthProperties, ConnAckProperties, ConnectProperties, DisconnectProperties,
    MqttString, PayloadFormat, PublishProperties, QoS, SubscribeProperties, UnsubscribeProperties,
    UserProperty, WillProperties,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use super::*;

/// User properties, in order; names may repeat (section 3.1.2.11.8).
pub(crate) fn user_properties() -> impl Strategy<Value = Vec<UserProperty>> + Clone {
    let pair = (mqtt_string(8), mqtt_string(8)).prop_map(|(n, v)| UserProperty::new(n, v));
    prop_oneof![
        3 => vec(pair.clone(), 0..=4),
        // The same name twice, as the specification allows.
        1 => pair.prop_map(|p| vec![p.clone(), UserProperty::new(p.name, MqttString::empty())]),
    ]
}

/// `Some` half of the time.
pub(crate) fn opt<S: Strategy>(s: S) -> impl Strategy<Value = Option<S::Value>> {
    option::of(s)
}

/// Authentication method and data: data only with a method (section 3.1.2.11.10).
pub(crate) fn authentication() -> impl Strategy<Value = (Option<MqttString>, Option<Bytes>)> {
    (opt(mqtt_string(12)), opt(binary(32))).prop_map(|(method, data)| match method {
        Some(m) => (Some(m), data),
        None => (None, None),
    })
}

/// An empty property list a quarter of the time, otherwise one made by `full`.
pub(crate) fn props_or_empty<T, S>(full: S) -> impl Strategy<Value = T>
where
    T: Default + Clone + core::fmt::Debug,
    S: Strategy<Value = T>,
{
    prop_oneof![1 => Just(T::default()), 3 => full]
}

pub(crate) fn connect_properties() -> impl Strategy<Value = ConnectProperties> {
    props_or_empty(
        (
            opt(any::<u32>()),
            opt(non_zero_u16()),
            opt(non_zero_u32()),
            opt(any::<u16>()),
            opt(any::<bool>()),
            opt(any::<bool>()),
            authentication(),
            user_properties(),
        )
            .prop_map(|(sei, rm, mps, tam, rri, rpi, (method, data), user)| {
                let mut p = ConnectProperties::default();
                p.session_expiry_interval = sei;
                p.receive_maximum = rm;
                p.maximum_packet_size = mps;
                p.topic_alias_maximum = tam;
                p.request_response_information = rri;
                p.request_problem_information = rpi;
                p.authentication_method = method;
                p.authentication_data = data;
                p.user_properties = user;
                p
            }),
    )
}

pub(crate) fn payload_format() -> impl Strategy<Value = PayloadFormat> + Clone {
    select(vec![PayloadFormat::Unspecified, PayloadFormat::Utf8])
}

pub(crate) fn will_properties() -> impl Strategy<Value = WillProperties> {
    props_or_empty(
        (
            opt(any::<u32>()),
            opt(payload_format()),
            opt(any::<u32>()),
            opt(mqtt_string(12)),
            opt(topic_name()),
            opt(binary(16)),
            user_properties(),
        )
            .prop_map(|(wdi, pfi, mei, ct, rt, cd, user)| {
                let mut p = WillProperties::default();
                p.will_delay_interval = wdi;
                p.payload_format_indicator = pfi;
                p.message_expiry_interval = mei;
                p.content_type = ct;
                p.response_topic = rt;
                p.correlation_data = cd;
                p.user_properties = user;
                p
            }),
    )
}

pub(crate) fn connack_properties() -> impl Strategy<Value = ConnAckProperties> {
    props_or_empty(
        (
            (
                opt(any::<u32>()),
                opt(non_zero_u16()),
                // Maximum QoS is 0 or 1; a server supporting QoS 2 leaves it out (3.2.2.3.4).
                opt(select(vec![QoS::AtMostOnce, QoS::AtLeastOnce])),
                opt(any::<bool>()),
                opt(non_zero_u32()),
                opt(mqtt_string(23)),
                opt(any::<u16>()),
                opt(mqtt_string(16)),
            ),
            (
                opt(any::<bool>()),
                opt(any::<bool>()),
                opt(any::<bool>()),
                opt(any::<u16>()),
                opt(mqtt_string(16)),
                opt(mqtt_string(16)),
                authentication(),
                user_properties(),
            ),
        )
            .prop_map(
                |(
                    (sei, rm, mq, ra, mps, aci, tam, rs),
                    (wsa, sia, ssa, ska, ri, sr, (method, data), user),
                )| {
                    let mut p = ConnAckProperties::default();
                    p.session_expiry_interval = sei;
                    p.receive_maximum = rm;
                    p.maximum_qos = mq;
                    p.retain_available = ra;
                    p.maximum_packet_size = mps;
                    p.assigned_client_identifier = aci;
                    p.topic_alias_maximum = tam;
                    p.reason_string = rs;
                    p.wildcard_subscription_available = wsa;
                    p.subscription_identifiers_available = sia;
                    p.shared_subscription_available = ssa;
                    p.server_keep_alive = ska;
                    p.response_information = ri;
                    p.server_reference = sr;
                    p.authentication_method = method;
                    p.authentication_data = data;
                    p.user_properties = user;
                    p
                },
            ),
    )
}

pub(crate) fn ack_properties() -> impl Strategy<Value = AckProperties> {
    props_or_empty(
        (opt(mqtt_string(16)), user_properties()).prop_map(|(rs, user)| {
            let mut p = AckProperties::default();
            p.reason_string = rs;
            p.user_properties = user;
            p
        }),
    )
}

pub(crate) fn subscribe_properties() -> impl Strategy<Value = SubscribeProperties> {
    props_or_empty(
        (opt(subscription_id()), user_properties()).prop_map(|(id, user)| {
            let mut p = SubscribeProperties::default();
            p.subscription_identifier = id;
            p.user_properties = user;
            p
        }),
    )
}

pub(crate) fn unsubscribe_properties() -> impl Strategy<Value = UnsubscribeProperties> {
    props_or_empty(user_properties().prop_map(|user| {
        let mut p = UnsubscribeProperties::default();
        p.user_properties = user;
        p
    }))
}

pub(crate) fn disconnect_properties() -> impl Strategy<Value = DisconnectProperties> {
    props_or_empty(
        (
            opt(any::<u32>()),
            opt(mqtt_string(16)),
            opt(mqtt_string(16)),
            user_properties(),
        )
            .prop_map(|(sei, rs, sr, user)| {
                let mut p = DisconnectProperties::default();
                p.session_expiry_interval = sei;
                p.reason_string = rs;
                p.server_reference = sr;
                p.user_properties = user;
                p
            }),
    )
}

pub(crate) fn auth_properties() -> impl Strategy<Value = AuthProperties> {
    props_or_empty(
        (authentication(), opt(mqtt_string(16)), user_properties()).prop_map(
            |((method, data), rs, user)| {
                let mut p = AuthProperties::default();
                p.authentication_method = method;
                p.authentication_data = data;
                p.reason_string = rs;
                p.user_properties = user;
                p
            },
        ),
    )
}

/// PUBLISH properties without the Topic Alias, which [`publish`] draws with the topic name.
pub(crate) fn publish_properties() -> impl Strategy<Value = PublishProperties> {
    props_or_empty(
        (
            opt(payload_format()),
            opt(any::<u32>()),
            opt(topic_name()),
            opt(binary(16)),
            opt(mqtt_string(12)),
            user_properties(),
            // Several Subscription Identifiers when several subscriptions matched (3.3.2.3.8).
            vec(subscription_id(), 0..=4),
        )
            .prop_map(|(pfi, mei, rt, cd, ct, user, ids)| {
                let mut p = PublishProperties::default();
                p.payload_format_indicator = pfi;
                p.message_expiry_interval = mei;
                p.response_topic = rt;
                p.correlation_data = cd;
                p.content_type = ct;
                p.user_properties = user;
                p.subscription_identifiers = ids;
                p
            }),
    )
}
