//! `Publish::aliased`: the bytes of the message under a Topic Alias are those of the message
//! with the alias set (and the topic name emptied when it is used), for every valid MQTT 5.0
//! PUBLISH, whole and head plus payload.

mod strategies;

use core::num::NonZeroU16;

use bytes::BytesMut;
use mqtt_proto::{ProtocolVersion, TopicName};
use proptest::prelude::*;

proptest! {
    #[test]
    fn aliased_bytes_are_those_of_the_message_with_the_alias(
        publish in strategies::publish(ProtocolVersion::V5),
        alias in 1..=u16::MAX,
        with_topic in any::<bool>(),
    ) {
        let alias = NonZeroU16::new(alias).unwrap();
        let mut expected = publish.clone();
        expected.properties.topic_alias = Some(alias);
        if !with_topic {
            expected.set_topic(TopicName::empty());
        }
        let mut want = BytesMut::new();
        expected.encode(ProtocolVersion::V5, &mut want).unwrap();

        let view = publish.aliased(alias, with_topic);
        let mut got = BytesMut::new();
        let written = view.encode(&mut got).unwrap();
        prop_assert_eq!(written, got.len());
        prop_assert_eq!(view.encoded_len(), got.len());

        let mut head = BytesMut::new();
        view.encode_head(&mut head).unwrap();
        head.extend_from_slice(publish.payload());
        // Properties may come in another order: the alias first. Decoding both tells.
        let limits = mqtt_proto::Limits::new();
        let decode = |mut bytes: BytesMut| mqtt_proto::Packet::decode(ProtocolVersion::V5, &mut bytes, &limits).unwrap().unwrap();
        prop_assert_eq!(got.len(), want.len());
        prop_assert_eq!(&got, &head);
        prop_assert_eq!(decode(got), decode(want));
    }
}
