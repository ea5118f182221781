//! The client state machine driven by arbitrary server bytes, commands and time steps.
//!
//! Whatever the server sends, the client never panics, never reuses a live packet identifier,
//! never has more messages in flight than its window, and every frame it transmits decodes.
#![no_main]

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use mqtt_fuzz::VERSIONS;
use mqtt_proto::{
    ConnAck, Limits, MqttString, Packet, PacketId, QoS, ReasonCode, SubscribeProperties,
    Subscription, TopicFilter, TopicName,
};
use mqtt_sansio::{
    AuthFailed, Authenticator, Chunks, Client, CommandId, Config, Event, Instant, Message,
};

const WINDOW: u16 = 3;

/// Answers challenges with them reversed; refuses those starting with 0xFF, and a final word
/// starting with 0xFF.
struct Mirror;

impl Authenticator for Mirror {
    fn method(&self) -> MqttString {
        MqttString::from_static("MIRROR")
    }

    fn start(&mut self) -> Option<Bytes> {
        Some(Bytes::from_static(b"start"))
    }

    fn challenge(&mut self, data: Option<&Bytes>) -> Result<Option<Bytes>, AuthFailed> {
        match data {
            Some(data) if data.first() == Some(&0xFF) => Err(AuthFailed("refused".into())),
            Some(data) => Ok(Some(data.iter().rev().copied().collect())),
            None => Ok(None),
        }
    }

    fn finish(&mut self, data: Option<&Bytes>) -> Result<(), AuthFailed> {
        match data {
            Some(data) if data.first() == Some(&0xFF) => Err(AuthFailed("refused".into())),
            _ => Ok(()),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, mut ops)) = data.split_first() else {
        return;
    };
    let version = VERSIONS[usize::from(first & 1) + 1];
    let config = Config::new(MqttString::new("fuzz").unwrap())
        .with_version(version)
        .with_max_inflight(WINDOW)
        .with_max_pending(8)
        .with_manual_acks(first & 2 != 0)
        .with_keep_alive(Duration::from_secs(5));
    let mut client = Client::new(config);
    if first & 8 != 0 {
        client.set_authenticator(Box::new(Mirror));
    }
    let mut now = Instant::ZERO;
    let mut live = BTreeSet::new();
    client.handle_transport_open(now);
    let mut connack = BytesMut::new();
    Packet::ConnAck(ConnAck::new(false, ReasonCode::SUCCESS))
        .encode(version, &mut connack)
        .unwrap();
    client.handle_read(now, &connack);

    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        let arg = ops.first().copied().unwrap_or(0);
        match op % 8 {
            0 => {
                let qos = QoS::try_from(arg % 3).unwrap();
                let topic = TopicName::from_static(["a", "a/b", "c"][usize::from(arg / 3) % 3]);
                // Large payloads leave by reference in `poll_transmit_chunks`.
                let payload = vec![b'x'; if arg & 0x80 == 0 { 1 } else { 5000 }];
                if let Ok(Some(id)) = client.publish(Message::new(topic, qos, payload)) {
                    assert!(live.insert(id.get()), "live identifier {id} reused");
                }
            }
            1 => {
                let sub = Subscription::new(TopicFilter::from_static("a/#"), QoS::ExactlyOnce);
                if let Ok(id) = client.subscribe(vec![sub], SubscribeProperties::default()) {
                    assert!(live.insert(id.get()), "live identifier {id} reused");
                }
            }
            2 | 3 => {
                // Server bytes: the next `arg` bytes of the input.
                let n = usize::from(arg).min(ops.len().saturating_sub(1));
                let bytes = ops.get(1..1 + n).unwrap_or_default();
                client.handle_read(now, bytes);
                ops = ops.get(1 + n..).unwrap_or_default();
                continue;
            }
            4 => {
                now = now + Duration::from_millis(u64::from(arg) * 100);
                client.handle_timeout(now);
            }
            5 => {
                client.handle_transport_closed(now);
                client.handle_transport_open(now);
                client.handle_read(now, &connack);
            }
            6 => {
                if let Some(id) = PacketId::new(u16::from(arg)) {
                    let _ = client.ack(id);
                }
            }
            _ => {
                let _ = client.disconnect(ReasonCode::NORMAL_DISCONNECTION, None);
            }
        }
        ops = ops.get(1..).unwrap_or_default();

        let mut out = BytesMut::new();
        if first & 4 == 0 {
            while client.poll_transmit(now, &mut out) {}
        } else {
            let mut chunks = Chunks::new();
            while client.poll_transmit_chunks(now, &mut chunks) {}
            out.extend_from_slice(&chunks.copy_to_bytes(chunks.len()));
        }
        while !out.is_empty() {
            let frame = Packet::decode(version, &mut out, &Limits::new());
            assert!(
                matches!(frame, Ok(Some(_))),
                "invalid frame sent: {frame:?}"
            );
        }
        while let Some(event) = client.poll_event() {
            match event {
                Event::Published { packet_id, .. }
                | Event::Subscribed { packet_id, .. }
                | Event::Unsubscribed { packet_id, .. }
                | Event::Failed {
                    command:
                        CommandId::Publish(packet_id)
                        | CommandId::Subscribe(packet_id)
                        | CommandId::Unsubscribe(packet_id),
                    ..
                } => {
                    live.remove(&packet_id.get());
                }
                Event::SessionReset(reset) => {
                    // Sent again as new messages, under new identifiers.
                    for r in &reset.requeued {
                        assert!(live.remove(&r.before.get()), "{r:?} was live");
                    }
                    for r in &reset.requeued {
                        assert!(
                            live.insert(r.after.get()),
                            "{r:?}: a live identifier reused"
                        );
                    }
                }
                _ => {}
            }
        }
        assert!(client.inflight() <= usize::from(WINDOW), "window exceeded");
        assert!(client.packet_ids_in_use() as usize >= live.len());
        let _ = client.poll_timeout();
    }
});
