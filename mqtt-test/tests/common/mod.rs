//! Hand-built client packets for the broker tests.

#![allow(dead_code, unreachable_pub)]

use mqtt_proto::{
    Connect, MqttString, Packet, PacketId, ProtocolVersion, Publish, QoS, QosPid, Subscribe,
    Subscription, TopicFilter, TopicName,
};
use mqtt_test::{FakeBroker, decode_all, encode};

pub fn id(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

pub fn connect_packet(client_id: &str, clean_start: bool) -> Connect {
    let mut connect = Connect::new(MqttString::new(client_id).unwrap());
    connect.clean_start = clean_start;
    connect
}

/// Sends `packet` from the client.
pub fn send(broker: &mut FakeBroker, version: ProtocolVersion, packet: impl Into<Packet>) {
    broker.handle_read(&encode(version, &packet.into()));
}

/// Everything the broker sent since the last call, decoded.
pub fn drain(broker: &mut FakeBroker, version: ProtocolVersion) -> Vec<Packet> {
    let mut packets = Vec::new();
    while let Some(bytes) = broker.poll_transmit() {
        packets.extend(decode_all(version, &bytes));
    }
    packets
}

/// Connects `client_id` and returns the CONNACK's Session Present.
pub fn connect(
    broker: &mut FakeBroker,
    version: ProtocolVersion,
    client_id: &str,
    clean_start: bool,
) -> bool {
    send(broker, version, connect_packet(client_id, clean_start));
    match drain(broker, version).first() {
        Some(Packet::ConnAck(ack)) if ack.reason_code.is_success() => ack.session_present,
        other => panic!("no accepting CONNACK: {other:?}"),
    }
}

pub fn publish(topic: &str, qos_pid: QosPid, payload: &'static str) -> Publish {
    Publish::new(TopicName::new(topic).unwrap(), qos_pid, payload)
}

pub fn subscribe(packet_id: u16, filters: &[(&str, QoS)]) -> Subscribe {
    Subscribe::new(
        id(packet_id),
        filters
            .iter()
            .map(|&(f, qos)| Subscription::new(TopicFilter::new(f).unwrap(), qos))
            .collect(),
    )
}
