//! Packet identifiers, QoS, numbers, payloads and reason codes.

use std::num::{NonZeroU16, NonZeroU32};

use bytes::Bytes;
use mqtt_proto::{PacketId, PacketType, PayloadFormat, QoS, QosPid, ReasonCode, SubscriptionId};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

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

pub(crate) fn qos_pid() -> impl Strategy<Value = QosPid> + Clone {
    (qos(), packet_id()).prop_map(|(qos, id)| QosPid::new(qos, id))
}

pub(crate) fn non_zero_u16() -> impl Strategy<Value = NonZeroU16> + Clone {
    prop_oneof![
        1 => Just(NonZeroU16::MAX),
        4 => (1..=u16::MAX).prop_map(|v| NonZeroU16::new(v).unwrap()),
    ]
}

pub(crate) fn non_zero_u32() -> impl Strategy<Value = NonZeroU32> + Clone {
    prop_oneof![
        1 => Just(NonZeroU32::MAX),
        4 => (1..=u32::MAX).prop_map(|v| NonZeroU32::new(v).unwrap()),
    ]
}

/// A subscription identifier of each variable byte integer width, up to 268,435,455.
pub(crate) fn subscription_id() -> impl Strategy<Value = SubscriptionId> + Clone {
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
pub(crate) fn payload() -> impl Strategy<Value = Bytes> + Clone {
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
pub(crate) fn payload_for(format: Option<PayloadFormat>, bytes: Bytes, utf8: String) -> Bytes {
    match format {
        Some(PayloadFormat::Utf8) => Bytes::from(utf8),
        _ => bytes,
    }
}

/// A reason code valid for `packet_type` in MQTT 5.0; 0x00 is drawn more often, since it has
/// shorter encodings in several packets.
pub(crate) fn reason_code(packet_type: PacketType) -> impl Strategy<Value = ReasonCode> + Clone {
    let valid: Vec<ReasonCode> = (0..=u8::MAX)
        .map(ReasonCode)
        .filter(|c| c.is_valid_for(packet_type))
        .collect();
    prop_oneof![1 => Just(ReasonCode::SUCCESS), 2 => select(valid)]
}
