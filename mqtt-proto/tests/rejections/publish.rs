//! PUBLISH

use mqtt_proto::DecodeError;

use super::{PROTOCOL, V5, reject};

// 3.3.2.1 (5.0): a zero-length topic name without a Topic Alias is a Protocol Error.
#[test]
fn empty_topic_without_alias_section_3_3_2_1() {
    reject(
        V5,
        &[0x30, 0x04, 0x00, 0x00, 0x00, b'x'],
        &DecodeError::EmptyTopicWithoutAlias,
        PROTOCOL,
    );
    // Other properties do not stand for the topic.
    reject(
        V5,
        &[0x30, 0x05, 0x00, 0x00, 0x02, 0x01, 0x01],
        &DecodeError::EmptyTopicWithoutAlias,
        PROTOCOL,
    );
}
