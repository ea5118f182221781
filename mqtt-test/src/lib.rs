//! Deterministic, sans-IO test tools for MQTT clients: a scriptable fake broker and a simulated
//! network link.
//!
//! What it is: a [`FakeBroker`] that speaks MQTT 3.1, 3.1.1 and 5.0 from bytes to bytes, answers
//! as a [`BrokerConfig`] scripts it (accept, refuse or ignore a CONNECT, hold or reorder
//! acknowledgements, fail subscriptions or publications, go silent on PINGREQ), keeps sessions
//! across connections and records a transcript of every packet; and a [`Link`], one direction of
//! a network on a virtual clock with latency, seeded pseudo-random chunking and cuts.
//!
//! What it is not: a real broker (one client at a time, no retained messages, no wills, no
//! clock: sessions never expire by themselves), nor a driver. It does no I/O, reads no clock,
//! starts no thread and draws no entropy: the same test does the same thing every run, and a
//! seed reproduces a chunking.
//!
//! ```text
//!   client bytes ──► FakeBroker::handle_read ──► poll_transmit ──► bytes to the client
//!                          │  script: BrokerConfig, hold_acks, publish_to_client, send_*
//!                          └─► received() / sent() / violations(): the transcript
//!   Link::send(now, bytes) ──► (latency, chunking, cut) ──► Link::poll_deliver(now) ──► chunks
//! ```
//!
//! # Example
//!
//! A CONNECT and its CONNACK, with the client side written by hand:
//!
//! ```
//! use mqtt_proto::{ConnAck, Connect, MqttString, Packet, ProtocolVersion, ReasonCode};
//! use mqtt_test::{decode_all, encode, BrokerConfig, FakeBroker};
//!
//! let mut broker = FakeBroker::new(BrokerConfig::new());
//! let connect = Connect::new(MqttString::new("client-1").unwrap());
//! let bytes = encode(ProtocolVersion::V5, &Packet::from(connect.clone()));
//!
//! // Any chunking will do: here one byte at a time.
//! for byte in bytes.iter() {
//!     broker.handle_read(&[*byte]);
//! }
//! assert_eq!(broker.version(), Some(ProtocolVersion::V5));
//! assert!(broker.is_connected());
//! assert_eq!(broker.received(), [Packet::from(connect)]);
//!
//! let answer = decode_all(ProtocolVersion::V5, &broker.poll_transmit().unwrap());
//! assert_eq!(answer, [Packet::ConnAck(ConnAck::new(false, ReasonCode::SUCCESS))]);
//! ```

#![forbid(unsafe_code)]

mod broker;
mod codec;
mod link;
mod rng;

pub use broker::{
    BrokerConfig, ConnectAnswer, FakeBroker, Session, SessionSubscription, Violation,
};
pub use codec::{PacketReader, decode_all, encode};
pub use link::{Link, LinkConfig};
pub use rng::SplitMix64;
