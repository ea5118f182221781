//! The session's figures (`Client::stats`) and its packet log, at the byte level: what was
//! handed to the driver and what was decoded, round trips on the virtual clock, refusals and
//! failures.

mod common;

use core::time::Duration;

use bytes::BytesMut;
use common::{Harness, pid, publish_packet, topic};
use mqtt_proto::{
    ConnAck, Packet, PacketType, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, QoS, ReasonCode,
};
use mqtt_sansio::{Client, ClientError, Config, Instant, Message};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn message(qos: QoS) -> Message {
    Message::new(topic("t"), qos, "payload")
}

#[test]
fn sent_and_received_bytes_are_those_on_the_wire() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.client.handle_transport_open(h.now);
    let mut wire = BytesMut::new();
    while h.client.poll_transmit(h.now, &mut wire) {}
    h.server_sends(&ConnAck::new(false, ReasonCode::SUCCESS).into());
    for _ in 0..3 {
        h.client.publish(message(QoS::AtMostOnce)).unwrap();
    }
    h.client.publish(message(QoS::AtLeastOnce)).unwrap();
    while h.client.poll_transmit(h.now, &mut wire) {}

    let stats = h.client.stats();
    assert_eq!(stats.sent.total_bytes(), wire.len() as u64);
    assert_eq!(stats.sent.packets(PacketType::Connect), 1);
    assert_eq!(stats.sent.packets(PacketType::Publish), 4);
    assert_eq!(stats.sent.total_packets(), 5);
    // CONNACK of 5.0 with no properties: 2 + 3 bytes.
    assert_eq!(stats.received.packets(PacketType::ConnAck), 1);
    assert_eq!(stats.received.bytes(PacketType::ConnAck), 5);
    assert_eq!((stats.connection, stats.connected), (1, 1));
    assert_eq!(h.client.inflight(), 1);
    let listed: u64 = stats.sent.iter().map(|(_, packets, _)| packets).sum();
    assert_eq!(listed, 5);
}

#[test]
fn bytes_never_handed_over_are_not_counted_as_sent() {
    let config = Harness::config(ProtocolVersion::V3_1_1).with_clean_start(false);
    let mut h = Harness::new(config);
    h.connect(false);
    h.client.publish(message(QoS::AtLeastOnce)).unwrap();
    // The connection ends before the driver takes the PUBLISH.
    h.client.handle_transport_closed(h.now);
    let stats = h.client.stats();
    assert_eq!(stats.sent.packets(PacketType::Publish), 0);
    assert_eq!(stats.sent.packets(PacketType::Connect), 1);

    // The next connection sends it (DUP): now it counts, once.
    h.connect(true);
    let sent = h.sent();
    assert!(
        matches!(&sent[..], [Packet::Publish(p)] if p.dup),
        "{sent:?}"
    );
    let stats = h.client.stats();
    assert_eq!(stats.sent.packets(PacketType::Publish), 1);
    assert_eq!(stats.sent.packets(PacketType::Connect), 2);
    assert_eq!((stats.connection, stats.connected), (2, 2));
}

#[test]
fn round_trips_are_measured_on_the_clock_of_the_inputs() {
    let mut h = Harness::new(
        Harness::config(ProtocolVersion::V3_1_1).with_keep_alive(Duration::from_secs(10)),
    );
    h.connect(false);
    h.client.publish(message(QoS::AtLeastOnce)).unwrap();
    h.client.publish(message(QoS::ExactlyOnce)).unwrap();
    h.sent();
    h.now = h.now + ms(4);
    h.server_sends(&PubAck::new(pid(1)).into());
    h.now = h.now + ms(6);
    h.server_sends(&PubRec::new(pid(2)).into());
    assert!(matches!(&h.sent()[..], [Packet::PubRel(_)]));
    h.now = h.now + ms(10);
    h.server_sends(&PubComp::new(pid(2)).into());

    // The keep alive sends PINGREQ; PINGRESP 7 ms after the driver took it.
    let log = h.run_until(Instant::ZERO + Duration::from_secs(11));
    let (pinged, packets) = log.last().unwrap();
    assert!(matches!(packets[..], [Packet::PingReq]));
    h.now = *pinged + ms(7);
    h.server_sends(&Packet::PingResp);

    let stats = h.client.stats();
    assert_eq!(stats.puback.recent(), Some(ms(4)));
    assert_eq!(stats.pubcomp.recent(), Some(ms(20)));
    assert_eq!(stats.ping.recent(), Some(ms(7)));
    assert_eq!(stats.ping.samples(), 1);
    assert_eq!(stats.sent.packets(PacketType::PingReq), 1);
    assert_eq!(stats.received.packets(PacketType::PingResp), 1);
}

#[test]
fn a_round_trip_starts_when_the_driver_takes_the_bytes() {
    let config = Harness::config(ProtocolVersion::V3_1_1).with_clean_start(false);
    let mut h = Harness::new(config);
    h.connect(false);
    // A second without any input, then a publish: commands carry no clock, the hand-over does.
    h.now = h.now + Duration::from_secs(1);
    h.client.publish(message(QoS::AtLeastOnce)).unwrap();
    h.client.publish(message(QoS::AtLeastOnce)).unwrap();
    h.sent();
    h.now = h.now + ms(5);
    h.server_sends(&PubAck::new(pid(1)).into());
    assert_eq!(h.client.stats().puback.recent(), Some(ms(5)));

    // The connection ends with message 2 in flight; the next one resends it 2 s later.
    h.client.handle_transport_closed(h.now);
    h.now = h.now + Duration::from_secs(2);
    h.connect(true);
    assert!(matches!(&h.sent()[..], [Packet::Publish(p)] if p.dup));
    h.now = h.now + ms(9);
    h.server_sends(&PubAck::new(pid(2)).into());
    assert_eq!(h.client.stats().puback.recent(), Some(ms(9)));
}

#[test]
fn the_smoothed_round_trip_moves_an_eighth_of_the_way() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    assert_eq!(h.client.stats().puback.recent(), None, "no sample yet");
    assert_eq!(h.client.stats().puback.smoothed(), None);
    for (i, rtt) in [80u64, 160, 40].into_iter().enumerate() {
        h.client.publish(message(QoS::AtLeastOnce)).unwrap();
        h.sent();
        h.now = h.now + ms(rtt);
        h.server_sends(&PubAck::new(pid(u16::try_from(i).unwrap() + 1)).into());
    }
    let puback = h.client.stats().puback;
    // 80, then 80 + (160 - 80) / 8 = 90, then 90 - (90 - 40) / 8 = 83.75.
    assert_eq!(puback.smoothed(), Some(Duration::from_micros(83_750)));
    assert_eq!(puback.recent(), Some(ms(40)));
    assert_eq!(puback.samples(), 3);
}

#[test]
fn refusals_failures_and_rejections_are_counted() {
    let mut config = Harness::config(ProtocolVersion::V5);
    config.max_pending = 1;
    let mut h = Harness::new(config);
    // Not connected: the first waits, the second is refused (the queue is full).
    h.client.publish(message(QoS::AtLeastOnce)).unwrap();
    assert!(matches!(
        h.client.publish(message(QoS::AtLeastOnce)),
        Err(ClientError::QueueFull(1))
    ));
    assert_eq!(h.client.stats().refused, 1);
    assert_eq!(h.client.pending(), 1);

    // The server allows QoS 0 only: the waiting message fails when the connection comes.
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.maximum_qos = Some(QoS::AtMostOnce);
    h.connect_with(connack);
    assert_eq!(h.client.stats().failed, 1);
    assert_eq!(h.client.pending(), 0);

    // A message the server refuses with an error code.
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.connect(false);
    h.client.publish(message(QoS::AtLeastOnce)).unwrap();
    h.sent();
    h.server_sends(&PubAck::with_reason(pid(1), ReasonCode::NOT_AUTHORIZED).into());
    let stats = h.client.stats();
    assert_eq!(stats.rejected, 1);
    assert_eq!(stats.puback.samples(), 0, "a refusal is no round trip");
}

#[test]
fn inbound_qos2_waiting_for_pubrel_is_listed() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.connect(false);
    for id in [5, 9] {
        let publish = publish_packet("in", QoS::ExactlyOnce, Some(id), "x");
        h.server_sends(&publish.into());
    }
    h.server_sends(&publish_packet("in", QoS::AtLeastOnce, Some(3), "y").into());
    assert_eq!(h.sent().len(), 3);
    assert_eq!(h.client.awaiting_pubrel().count(), 2);
    assert_eq!(
        h.client.inflight_in(),
        2,
        "QoS 1 acknowledged at once; QoS 2 until PUBREL"
    );
    let ids: Vec<u16> = h
        .client
        .awaiting_pubrel()
        .map(mqtt_proto::PacketId::get)
        .collect();
    assert_eq!(ids, [5, 9]);

    h.server_sends(&PubRel::new(pid(5)).into());
    assert_eq!(h.client.awaiting_pubrel().count(), 1);
    assert_eq!(h.client.stats().received.packets(PacketType::Publish), 3);
}

#[test]
fn the_packet_log_names_each_packet_without_its_payload() {
    let mut client = Client::new(Config::new(mqtt_proto::MqttString::from_static("log")));
    let now = Instant::ZERO;
    client.publish(message(QoS::AtLeastOnce)).unwrap();
    client.set_packet_log(true);
    client.handle_transport_open(now);
    client.handle_read(now, &[0x20, 0x02, 0x00, 0x00]);
    let mut wire = BytesMut::new();
    while client.poll_transmit(now, &mut wire) {}
    client.handle_read(now, &[0x40, 0x02, 0x00, 0x01]);

    let log: Vec<_> = std::iter::from_fn(|| client.poll_packet()).collect();
    let kinds: Vec<_> = log
        .iter()
        .map(|p| {
            (
                p.outgoing,
                p.packet_type,
                p.packet_id.map(mqtt_proto::PacketId::get),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (true, PacketType::Connect, None),
            (false, PacketType::ConnAck, None),
            (true, PacketType::Publish, Some(1)),
            (false, PacketType::PubAck, Some(1)),
        ]
    );
    assert_eq!(log[0].size + log[2].size, wire.len());
    assert_eq!(log[3].size, 4);

    // Off: nothing is kept.
    client.set_packet_log(false);
    client.publish(message(QoS::AtMostOnce)).unwrap();
    assert_eq!(client.poll_packet(), None);
}

#[test]
fn the_packet_log_keeps_the_latest_when_nobody_takes_it() {
    let mut h = Harness::new(Harness::config(ProtocolVersion::V3_1_1));
    h.client.set_packet_log(true);
    h.connect(false);
    for _ in 0..2000 {
        h.client.publish(message(QoS::AtMostOnce)).unwrap();
    }
    let log: Vec<_> = std::iter::from_fn(|| h.client.poll_packet()).collect();
    assert_eq!(log.len(), 1024);
    assert!(log.iter().all(|p| p.packet_type == PacketType::Publish));
}
