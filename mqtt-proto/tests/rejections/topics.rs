//! Topics

use mqtt_proto::{DecodeError, TopicError};

use super::{
    PROTOCOL, V5, V311, connect_v5, connect_v311, publish_v5, reject, subscribe_v5, subscribe_v311,
};

// [MQTT-3.3.2-2]: the topic name of a PUBLISH has no wildcard characters; nor does a will topic
// (3.1.3.3) or a Response Topic ([MQTT-3.3.2-14]).
#[test]
fn wildcard_in_topic_name_mqtt_3_3_2_2() {
    let err = DecodeError::InvalidTopic(TopicError::WildcardInName);
    reject(
        V311,
        &[0x30, 0x05, 0x00, 0x03, b'a', b'/', b'+'],
        &err,
        PROTOCOL,
    );
    reject(V5, &[0x30, 0x04, 0x00, 0x01, b'#', 0x00], &err, PROTOCOL);
    reject(
        V311,
        &connect_v311(0x06, &[0x00, 0x01, b'c', 0x00, 0x01, b'#', 0x00, 0x00]),
        &err,
        PROTOCOL,
    );
    reject(
        V5,
        &publish_v5(&[0x08, 0x00, 0x03, b'a', b'/', b'+']),
        &err,
        PROTOCOL,
    );
}

// [MQTT-4.7.3-1]: topic names and filters are at least one character long.
#[test]
fn empty_topic_mqtt_4_7_3_1() {
    let err = DecodeError::InvalidTopic(TopicError::Empty);
    // 3.x PUBLISH has no Topic Alias to stand for the name.
    reject(V311, &[0x30, 0x03, 0x00, 0x00, b'x'], &err, PROTOCOL);
    // Will topic.
    reject(
        V5,
        &connect_v5(0x06, &[], &[0x00, 0x01, b'c', 0x00, 0x00, 0x00, 0x00, 0x00]),
        &err,
        PROTOCOL,
    );
    // Topic filter.
    reject(
        V311,
        &[0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00],
        &err,
        PROTOCOL,
    );
    // Response Topic.
    reject(V5, &publish_v5(&[0x08, 0x00, 0x00]), &err, PROTOCOL);
}

// [MQTT-4.7.1-2] (3.1.1), [MQTT-4.7.1-1] (5.0): '#' is last and alone in its level.
#[test]
fn multi_level_wildcard_not_last_mqtt_4_7_1_2() {
    let err = DecodeError::InvalidTopic(TopicError::InvalidMultiLevelWildcard);
    reject(V311, &subscribe_v311(b"a/#/b"), &err, PROTOCOL);
    reject(V311, &subscribe_v311(b"a#"), &err, PROTOCOL);
    // UNSUBSCRIBE filters obey the same rule.
    reject(
        V311,
        &[0xa2, 0x07, 0x00, 0x01, 0x00, 0x03, b'#', b'/', b'a'],
        &err,
        PROTOCOL,
    );
}

// [MQTT-4.7.1-3] (3.1.1), [MQTT-4.7.1-2] (5.0): '+' occupies a whole level.
#[test]
fn single_level_wildcard_not_whole_level_mqtt_4_7_1_3() {
    let err = DecodeError::InvalidTopic(TopicError::InvalidSingleLevelWildcard);
    reject(V311, &subscribe_v311(b"a+"), &err, PROTOCOL);
    reject(V311, &subscribe_v311(b"a/+b/c"), &err, PROTOCOL);
}

// [MQTT-4.8.2-1], [MQTT-4.8.2-2]: $share/{ShareName}/{filter} with a non-empty ShareName without
// wildcards, followed by a filter.
#[test]
fn bad_shared_subscription_mqtt_4_8_2_1() {
    let err = DecodeError::InvalidTopic(TopicError::InvalidSharedSubscription);
    for bad in [
        &b"$share//x"[..],
        &b"$share/g"[..],
        &b"$share/g/"[..],
        &b"$share/+/x"[..],
    ] {
        let mut payload = vec![0x00, u8::try_from(bad.len()).unwrap()];
        payload.extend_from_slice(bad);
        payload.push(0x00);
        reject(V5, &subscribe_v5(&[], &payload), &err, PROTOCOL);
    }
}
