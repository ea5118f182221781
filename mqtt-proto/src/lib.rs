//! A strict, zero-copy, incremental codec for MQTT 3.1, 3.1.1 and 5.0.
//!
//! `mqtt-proto` turns bytes into [`Packet`]s and packets into bytes. It has no I/O, no clock and
//! no runtime: it is the layer every other crate of the workspace stands on, and it builds with
//! `#![no_std]` and `alloc`.
//!
//! ```text
//!   bytes from the peer ──► Packet::decode(version, &mut BytesMut, &Limits) ──► Ok(Some(Packet))
//!                                                       │                  └─► Ok(None): need more bytes
//!                                                       └─► Err(DecodeError) ─► reason_code() to send
//!   Packet ──► encode(version, &mut impl BufMut) ──► bytes to the peer (nothing written on error)
//! ```
//!
//! - **One model for every version.** The [`ProtocolVersion`] is a parameter of encoding and
//!   decoding; MQTT 5.0 fields (properties, reason codes) keep their defaults under 3.x and are not
//!   written there.
//! - **Types carry the rules.** A [`PacketId`] is never zero; a QoS travels with the packet id it
//!   needs ([`QosPid`]); [`TopicName`], [`TopicFilter`] and [`MqttString`] are validated when made.
//! - **Zero copy.** A decoded topic, payload or string is a slice of the received frame.
//! - **Incremental.** `Ok(None)` means "need more bytes"; any chunking of a stream decodes to the
//!   same packets. The packet size is checked against [`Limits`] from the fixed header, before the
//!   body is buffered.
//! - **Strict.** Every rule the specifications make of the bytes of a packet is checked, and each
//!   rejection is a [`DecodeError`] variant that knows its reason code. No input panics. Rules that
//!   depend on who sent a packet (a Subscription Identifier from a client, Session Expiry in a
//!   server's DISCONNECT, a second CONNECT) belong to the session, not to the codec.
//!
//! What this crate is not: a session. Packet ids, keepalive, acknowledgements and retries belong to
//! `mqtt-sansio`.
//!
//! # Example
//!
//! ```
//! use bytes::BytesMut;
//! use mqtt_proto::{Limits, Packet, ProtocolVersion, Publish, QosPid, PacketId, TopicName};
//!
//! let version = ProtocolVersion::V5;
//! let id = PacketId::new(1).unwrap();
//! let publish = Publish::new(TopicName::new("sensors/t1").unwrap(), QosPid::AtLeastOnce(id), "21.5");
//!
//! let mut wire = BytesMut::new();
//! publish.encode(version, &mut wire).unwrap();
//! assert_eq!(wire.len(), publish.encoded_len(version));
//!
//! // Feed the bytes one at a time, as a slow network would.
//! let mut buf = BytesMut::new();
//! let mut decoded = None;
//! for byte in wire.iter() {
//!     buf.extend_from_slice(&[*byte]);
//!     if let Some(packet) = Packet::decode(version, &mut buf, &Limits::new()).unwrap() {
//!         decoded = Some(packet);
//!     }
//! }
//! assert_eq!(decoded, Some(Packet::Publish(publish)));
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
mod limits;
mod packet;
mod properties;
mod property;
mod qos;
mod reason;
mod string;
mod topic;
mod version;
mod wire;

pub use error::{DecodeError, EncodeError};
pub use limits::{Limits, MAX_PACKET_SIZE, MAX_REMAINING_LENGTH};
pub use packet::{
    Aliased, Auth, ConnAck, Connect, Disconnect, FixedHeader, LastWill, Packet, PacketType, PubAck,
    PubComp, PubRec, PubRel, Publish, RetainHandling, SubAck, Subscribe, SubscribeOptions,
    Subscription, UnsubAck, Unsubscribe,
};
pub use properties::{
    AckProperties, AuthProperties, ConnAckProperties, ConnectProperties, DisconnectProperties,
    PropertyBox, PropertyList, PublishProperties, SubscribeProperties, UnsubscribeProperties,
    WillProperties,
};
pub use property::{PayloadFormat, PropertyId, SubscriptionId, UserProperty};
pub use qos::{InvalidQoS, PacketId, QoS, QosPid};
pub use reason::ReasonCode;
pub use string::{MAX_STRING_LEN, MqttString, StringError};
pub use topic::{TopicError, TopicFilter, TopicName};
pub use version::ProtocolVersion;

/// The examples of the crate's README, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
