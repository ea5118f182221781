//! Proptest strategies that generate any valid [`Packet`] for a protocol version.
//!
//! Every value these strategies produce is a packet the specification allows for that version, in
//! the one form the codec writes. Under MQTT 3.x the MQTT 5.0-only fields (properties, reason
//! codes, subscription options other than the QoS) keep their defaults, because they are not
//! written there and so cannot come back from the wire.
//!
//! Shared by `roundtrip.rs` and `split.rs`; not every test file uses every item.
#![allow(dead_code)]

use std::num::{NonZeroU16, NonZeroU32};

use bytes::Bytes;
use mqtt_proto::{
    AckProperties, Auth, AuthProperties, ConnAck, ConnAckProperties, Connect, ConnectProperties,
    Disconnect, DisconnectProperties, LastWill, MqttString, Packet, PacketId, PacketType,
    PayloadFormat, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish, PublishProperties,
    QoS, QosPid, ReasonCode, RetainHandling, SubAck, Subscribe, SubscribeOptions,
    SubscribeProperties, Subscription, SubscriptionId, TopicFilter, TopicName, UnsubAck,
    Unsubscribe, UnsubscribeProperties, UserProperty, WillProperties,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Union};

/// Every protocol version the codec speaks.
pub(crate) const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

/// The packet types of `version`: all fifteen for MQTT 5.0, all but AUTH before.
pub(crate) fn packet_types(version: ProtocolVersion) -> Vec<PacketType> {
    let mut types = vec![
        PacketType::Connect,
        PacketType::ConnAck,
        PacketType::Publish,
        PacketType::PubAck,
        PacketType::PubRec,
        PacketType::PubRel,
        PacketType::PubComp,
        PacketType::Subscribe,
        PacketType::SubAck,
        PacketType::Unsubscribe,
        PacketType::UnsubAck,
        PacketType::PingReq,
        PacketType::PingResp,
        PacketType::Disconnect,
    ];
    if version.is_v5() {
        types.push(PacketType::Auth);
    }
    types
}

/// Any valid packet of `version`, every type equally likely.
pub(crate) fn any_packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    Union::new(
        packet_types(version)
            .into_iter()
            .map(|t| packet_of_type(version, t)),
    )
    .boxed()
}

/// A short stream of valid packets of `version`.
pub(crate) fn packet_stream(version: ProtocolVersion) -> BoxedStrategy<Vec<Packet>> {
    vec(any_packet(version), 1..=6).boxed()
}

/// Any valid packet of type `packet_type` for `version`.
///
/// # Panics
/// For AUTH before MQTT 5.0, which does not exist there.
pub(crate) fn packet_of_type(
    version: ProtocolVersion,
    packet_type: PacketType,
) -> BoxedStrategy<Packet> {
    match packet_type {
        PacketType::Connect => connect(version).prop_map(Packet::from).boxed(),
        PacketType::ConnAck => connack(version).prop_map(Packet::ConnAck).boxed(),
        PacketType::Publish => publish(version).prop_map(Packet::Publish).boxed(),
        PacketType::PubAck => pub_response(version, PacketType::PubAck)
            .prop_map(|(id, code, props)| {
                let mut p = PubAck::with_reason(id, code);
                p.properties = props.into();
                Packet::PubAck(p)
            })
            .boxed(),
        PacketType::PubRec => pub_response(version, PacketType::PubRec)
            .prop_map(|(id, code, props)| {
                let mut p = PubRec::with_reason(id, code);
                p.properties = props.into();
                Packet::PubRec(p)
            })
            .boxed(),
        PacketType::PubRel => pub_response(version, PacketType::PubRel)
            .prop_map(|(id, code, props)| {
                let mut p = PubRel::with_reason(id, code);
                p.properties = props.into();
                Packet::PubRel(p)
            })
            .boxed(),
        PacketType::PubComp => pub_response(version, PacketType::PubComp)
            .prop_map(|(id, code, props)| {
                let mut p = PubComp::with_reason(id, code);
                p.properties = props.into();
                Packet::PubComp(p)
            })
            .boxed(),
        PacketType::Subscribe => subscribe(version).prop_map(Packet::Subscribe).boxed(),
        PacketType::SubAck => suback(version).prop_map(Packet::SubAck).boxed(),
        PacketType::Unsubscribe => unsubscribe(version).prop_map(Packet::Unsubscribe).boxed(),
        PacketType::UnsubAck => unsuback(version).prop_map(Packet::UnsubAck).boxed(),
        PacketType::PingReq => Just(Packet::PingReq).boxed(),
        PacketType::PingResp => Just(Packet::PingResp).boxed(),
        PacketType::Disconnect => disconnect(version).prop_map(Packet::Disconnect).boxed(),
        PacketType::Auth => {
            assert!(version.is_v5(), "AUTH exists only in MQTT 5.0");
            auth().prop_map(Packet::Auth).boxed()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strings, topics and filters
// ---------------------------------------------------------------------------------------------

/// A character of a topic level: ASCII, and 2-, 3- and 4-byte UTF-8, never `/`, `+`, `#`, `$`
/// or U+0000. `$` is left out so a random first level can never spell `$share`; `$SYS` topics
/// are made on purpose instead.
fn level_char() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        6 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('A', 'Z'),
        2 => proptest::char::range('0', '9'),
        1 => select(vec!['-', '_', ' ', '.', '~', '%']),
        2 => select(vec!['é', 'ß', 'ü', 'ñ', 'Ω', 'ж']),
        2 => proptest::char::range('\u{4e00}', '\u{4e2f}'),
        1 => proptest::char::range('\u{1f600}', '\u{1f64f}'),
        // A byte order mark is an ordinary character, kept as it is ([MQTT-1.5.4-3]).
        1 => Just('\u{feff}'),
    ]
}

/// A character of a general UTF-8 string: a topic level character or a topic separator or
/// wildcard character, which mean nothing outside topics.
fn text_char() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        12 => level_char(),
        1 => select(vec!['/', '+', '#', '$']),
    ]
}

/// A string of `min..=max` characters (not bytes: multi-byte characters are common).
pub(crate) fn text(min: usize, max: usize) -> impl Strategy<Value = String> + Clone {
    vec(text_char(), min..=max).prop_map(String::from_iter)
}

/// A valid MQTT UTF-8 string of up to `max` characters.
pub(crate) fn mqtt_string(max: usize) -> impl Strategy<Value = MqttString> + Clone {
    text(0, max).prop_map(|s| MqttString::new(s).unwrap())
}

/// One topic level, possibly empty (`a//b`).
fn level() -> impl Strategy<Value = String> + Clone {
    vec(level_char(), 0..=6).prop_map(String::from_iter)
}

/// A non-empty topic name with `/` separated levels, some of them empty, some under `$SYS`.
pub(crate) fn topic_name() -> impl Strategy<Value = TopicName> + Clone {
    (proptest::bool::weighted(0.1), vec(level(), 1..=5)).prop_map(|(system, levels)| {
        let mut name = levels.join("/");
        if system {
            name.insert_str(0, "$SYS/");
        }
        if name.is_empty() {
            // Two empty levels: a valid, if odd, topic name.
            name.push('/');
        }
        TopicName::new(name).unwrap()
    })
}

/// The part of a topic filter that topics are matched against: levels, `+` as whole levels,
/// `#` as the whole last level ([MQTT-4.7.1-2], [MQTT-4.7.1-3]).
fn inner_filter() -> impl Strategy<Value = String> + Clone {
    let composed = (
        proptest::bool::weighted(0.1),
        vec(prop_oneof![4 => level(), 1 => Just("+".to_owned())], 1..=5),
        proptest::bool::weighted(0.25),
    )
        .prop_map(|(system, levels, multi)| {
            let mut filter = levels.join("/");
            if system {
                filter.insert_str(0, "$SYS/");
            }
            if multi {
                filter.push_str("/#");
            }
            if filter.is_empty() {
                filter.push('/');
            }
            filter
        });
    prop_oneof![
        1 => Just("#".to_owned()),
        1 => Just("+".to_owned()),
        8 => composed,
    ]
}

/// A share name: non-empty, without `/`, `+` or `#` ([MQTT-4.8.2-1], [MQTT-4.8.2-2]).
fn share_name() -> impl Strategy<Value = String> + Clone {
    vec(level_char(), 1..=6).prop_map(String::from_iter)
}

/// Any valid topic filter; one in five is a shared subscription `$share/{ShareName}/{filter}`.
pub(crate) fn topic_filter() -> impl Strategy<Value = TopicFilter> + Clone {
    (option::weighted(0.2, share_name()), inner_filter()).prop_map(|(share, filter)| {
        let full = match share {
            Some(name) => format!("$share/{name}/{filter}"),
            None => filter,
        };
        TopicFilter::new(full).unwrap()
    })
}

// ---------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------

pub(crate) fn packet_id() -> impl Strategy<Value = PacketId> + Clone {
    prop_oneof![
        1 => Just(PacketId::MIN),
        1 => Just(PacketId::MAX),
        8 => (1..=u16::MAX).prop_map(|v| PacketId::new(v).unwrap()),
    ]
}

pub(crate) fn qos() -> impl Strategy<Value = QoS> + Clone {
    select(vec![QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])
}

fn qos_pid() -> impl Strategy<Value = QosPid> + Clone {
    (qos(), packet_id()).prop_map(|(qos, id)| QosPid::new(qos, id))
}

fn non_zero_u16() -> impl Strategy<Value = NonZeroU16> + Clone {
    prop_oneof![
        1 => Just(NonZeroU16::MAX),
        4 => (1..=u16::MAX).prop_map(|v| NonZeroU16::new(v).unwrap()),
    ]
}

fn non_zero_u32() -> impl Strategy<Value = NonZeroU32> + Clone {
    prop_oneof![
        1 => Just(NonZeroU32::MAX),
        4 => (1..=u32::MAX).prop_map(|v| NonZeroU32::new(v).unwrap()),
    ]
}

/// A subscription identifier of each variable byte integer width, up to 268,435,455.
fn subscription_id() -> impl Strategy<Value = SubscriptionId> + Clone {
    prop_oneof![
        1u32..=127,
        128u32..=16_383,
        16_384u32..=2_097_151,
        2_097_152u32..=268_435_455,
    ]
    .prop_map(|v| SubscriptionId::new(v).unwrap())
}

/// Binary data of up to `max` bytes.
pub(crate) fn binary(max: usize) -> impl Strategy<Value = Bytes> + Clone {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

/// An application payload: mostly small, sometimes a few KiB, rarely over 16 KiB so that the
/// remaining length takes three bytes (section 2.1.4).
fn payload() -> impl Strategy<Value = Bytes> + Clone {
    let large = (16_384usize..=17_000, any::<u8>()).prop_map(|(len, seed)| {
        (0..len)
            .map(|i| seed.wrapping_add(i as u8))
            .collect::<Bytes>()
    });
    prop_oneof![
        30 => binary(64),
        5 => binary(4096),
        1 => large,
    ]
}

/// A payload in the format the Payload Format Indicator announces: UTF-8 character data for
/// [`PayloadFormat::Utf8`] (section 3.3.2.3.2), any bytes otherwise.
fn payload_for(format: Option<PayloadFormat>, bytes: Bytes, utf8: String) -> Bytes {
    match format {
        Some(PayloadFormat::Utf8) => Bytes::from(utf8),
        _ => bytes,
    }
}

/// A reason code valid for `packet_type` in MQTT 5.0; 0x00 is drawn more often, since it has
/// shorter encodings in several packets.
fn reason_code(packet_type: PacketType) -> impl Strategy<Value = ReasonCode> + Clone {
    let valid: Vec<ReasonCode> = (0..=u8::MAX)
        .map(ReasonCode)
        .filter(|c| c.is_valid_for(packet_type))
        .collect();
    prop_oneof![1 => Just(ReasonCode::SUCCESS), 2 => select(valid)]
}

// ---------------------------------------------------------------------------------------------
// Properties (MQTT 5.0)
// ---------------------------------------------------------------------------------------------

/// User properties, in order; names may repeat (section 3.1.2.11.8).
fn user_properties() -> impl Strategy<Value = Vec<UserProperty>> + Clone {
    let pair = (mqtt_string(8), mqtt_string(8)).prop_map(|(n, v)| UserProperty::new(n, v));
    prop_oneof![
        3 => vec(pair.clone(), 0..=4),
        // The same name twice, as the specification allows.
        1 => pair.prop_map(|p| vec![p.clone(), UserProperty::new(p.name, MqttString::empty())]),
    ]
}

/// `Some` half of the time.
fn opt<S: Strategy>(s: S) -> impl Strategy<Value = Option<S::Value>> {
    option::of(s)
}

/// Authentication method and data: data only with a method (section 3.1.2.11.10).
fn authentication() -> impl Strategy<Value = (Option<MqttString>, Option<Bytes>)> {
    (opt(mqtt_string(12)), opt(binary(32))).prop_map(|(method, data)| match method {
        Some(m) => (Some(m), data),
        None => (None, None),
    })
}

/// An empty property list a quarter of the time, otherwise one made by `full`.
fn props_or_empty<T, S>(full: S) -> impl Strategy<Value = T>
where
    T: Default + Clone + core::fmt::Debug,
    S: Strategy<Value = T>,
{
    prop_oneof![1 => Just(T::default()), 3 => full]
}

fn connect_properties() -> impl Strategy<Value = ConnectProperties> {
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

fn payload_format() -> impl Strategy<Value = PayloadFormat> + Clone {
    select(vec![PayloadFormat::Unspecified, PayloadFormat::Utf8])
}

fn will_properties() -> impl Strategy<Value = WillProperties> {
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

fn connack_properties() -> impl Strategy<Value = ConnAckProperties> {
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

fn ack_properties() -> impl Strategy<Value = AckProperties> {
    props_or_empty(
        (opt(mqtt_string(16)), user_properties()).prop_map(|(rs, user)| {
            let mut p = AckProperties::default();
            p.reason_string = rs;
            p.user_properties = user;
            p
        }),
    )
}

fn subscribe_properties() -> impl Strategy<Value = SubscribeProperties> {
    props_or_empty(
        (opt(subscription_id()), user_properties()).prop_map(|(id, user)| {
            let mut p = SubscribeProperties::default();
            p.subscription_identifier = id;
            p.user_properties = user;
            p
        }),
    )
}

fn unsubscribe_properties() -> impl Strategy<Value = UnsubscribeProperties> {
    props_or_empty(user_properties().prop_map(|user| {
        let mut p = UnsubscribeProperties::default();
        p.user_properties = user;
        p
    }))
}

fn disconnect_properties() -> impl Strategy<Value = DisconnectProperties> {
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

fn auth_properties() -> impl Strategy<Value = AuthProperties> {
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
fn publish_properties() -> impl Strategy<Value = PublishProperties> {
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

// ---------------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------------

fn will(version: ProtocolVersion) -> impl Strategy<Value = LastWill> {
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

fn connect(version: ProtocolVersion) -> impl Strategy<Value = Connect> {
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

fn connack(version: ProtocolVersion) -> impl Strategy<Value = ConnAck> {
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

fn publish(version: ProtocolVersion) -> impl Strategy<Value = Publish> {
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

fn pub_response(
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

fn subscription(version: ProtocolVersion) -> impl Strategy<Value = Subscription> {
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

fn subscribe(version: ProtocolVersion) -> impl Strategy<Value = Subscribe> {
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

fn suback(version: ProtocolVersion) -> impl Strategy<Value = SubAck> {
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

fn unsubscribe(version: ProtocolVersion) -> impl Strategy<Value = Unsubscribe> {
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

fn unsuback(version: ProtocolVersion) -> impl Strategy<Value = UnsubAck> {
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

fn disconnect(version: ProtocolVersion) -> impl Strategy<Value = Disconnect> {
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

fn auth() -> impl Strategy<Value = Auth> {
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
