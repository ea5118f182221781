//! The four-byte acknowledgements, read where they lie.

use bytes::BytesMut;
use mqtt_proto::{AckProperties, PacketId, PacketType, ReasonCode};

use super::Client;

impl Client {
    /// The acknowledgements a publishing client receives most, at the front of `buf` in their
    /// four-byte form (a packet identifier alone: success without properties in 5.0, sections
    /// 3.4.2.1 to 3.7.2.1): handled where they lie, without a [`Packet`] built and matched.
    /// `false`, with `buf` untouched, for anything else (a zero identifier included, which
    /// [`Packet::decode`] then refuses).
    #[inline]
    pub(super) fn handle_short_ack(&mut self, buf: &mut BytesMut) -> bool {
        let Some(&[first, 2, high, low]) = buf.first_chunk::<4>() else {
            return false;
        };
        let packet_type = match first {
            0x40 => PacketType::PubAck,
            0x50 => PacketType::PubRec,
            // [MQTT-3.6.1-1]: PUBREL's flags are 0010.
            0x62 => PacketType::PubRel,
            0x70 => PacketType::PubComp,
            _ => return false,
        };
        // [MQTT-2.2.1-3] (5.0), [MQTT-2.3.1-1] (3.1.1): not zero.
        let Some(id) = PacketId::new(u16::from_be_bytes([high, low])) else {
            return false;
        };
        if self.limits.max_packet_size < 4 {
            return false;
        }
        bytes::Buf::advance(buf, 4);
        self.meter.received(packet_type, Some(id), 4);
        let success = ReasonCode::SUCCESS;
        match packet_type {
            PacketType::PubAck => self.handle_puback(id, success, AckProperties::default()),
            PacketType::PubRec => self.handle_pubrec(id, success, AckProperties::default()),
            PacketType::PubRel => self.handle_pubrel(id),
            _ => self.handle_pubcomp(id, success, AckProperties::default()),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use bytes::{BufMut, BytesMut};
    use mqtt_proto::{
        ConnAck, MqttString, Packet, PacketId, PacketType, ProtocolVersion, QoS, ReasonCode,
    };

    use crate::{Client, Config, Event, Instant, Message, PacketInfo};

    /// A client connected with `config`, `qos` messages in flight with identifiers 1 and 2.
    fn in_flight(config: Config, qos: QoS) -> Client {
        let version = config.version;
        let mut client = Client::new(config);
        client.handle_transport_open(Instant::ZERO);
        let mut connack = BytesMut::new();
        Packet::from(ConnAck::new(false, ReasonCode::SUCCESS))
            .encode(version, &mut connack)
            .unwrap();
        client.handle_read(Instant::ZERO, &connack);
        for payload in ["a", "b"] {
            let topic = mqtt_proto::TopicName::from_static("t");
            client.publish(Message::new(topic, qos, payload)).unwrap();
        }
        let mut out = BytesMut::new();
        while client.poll_transmit(Instant::ZERO, &mut out) {}
        while client.poll_event().is_some() {}
        client
    }

    fn config(version: ProtocolVersion) -> Config {
        Config::new(MqttString::from_static("c")).with_version(version)
    }

    fn bytes(packets: &[&[u8]]) -> BytesMut {
        let mut buf = BytesMut::new();
        for packet in packets {
            buf.put_slice(packet);
        }
        buf
    }

    fn events(client: &mut Client) -> Vec<Event> {
        core::iter::from_fn(|| client.poll_event()).collect()
    }

    fn published(id: u16, qos: QoS) -> Event {
        Event::Published {
            packet_id: PacketId::new(id).unwrap(),
            qos,
            reason_code: ReasonCode::SUCCESS,
            properties: mqtt_proto::AckProperties::default(),
        }
    }

    #[test]
    fn a_puback_is_handled_where_it_lies_and_the_next_packet_stays() {
        for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
            let mut client = in_flight(config(version), QoS::AtLeastOnce);
            client.set_packet_log(true);
            let mut buf = bytes(&[&[0x40, 0x02, 0x00, 0x02], &[0x40, 0x02]]);
            assert!(client.handle_short_ack(&mut buf));
            assert_eq!(
                &buf[..],
                &[0x40, 0x02],
                "{version:?}: the next packet stays"
            );
            assert_eq!(events(&mut client), [published(2, QoS::AtLeastOnce)]);
            assert_eq!(client.inflight(), 1);
            let received = &client.stats().received;
            assert_eq!(received.packets(PacketType::PubAck), 1);
            assert_eq!(received.bytes(PacketType::PubAck), 4);
            assert_eq!(
                client.poll_packet(),
                Some(PacketInfo {
                    outgoing: false,
                    packet_type: PacketType::PubAck,
                    packet_id: PacketId::new(2),
                    size: 4,
                })
            );
        }
    }

    #[test]
    fn pubrec_then_pubcomp_complete_a_qos2_exchange() {
        let mut client = in_flight(config(ProtocolVersion::V3_1_1), QoS::ExactlyOnce);
        let mut buf = bytes(&[&[0x50, 0x02, 0x00, 0x01]]);
        assert!(client.handle_short_ack(&mut buf));
        assert!(buf.is_empty());
        let mut out = BytesMut::new();
        assert!(client.poll_transmit(Instant::ZERO, &mut out));
        // [MQTT-4.3.3-3]: PUBREL answers PUBREC.
        assert_eq!(&out[..], &[0x62, 0x02, 0x00, 0x01]);
        let mut buf = bytes(&[&[0x70, 0x02, 0x00, 0x01]]);
        assert!(client.handle_short_ack(&mut buf));
        assert_eq!(events(&mut client), [published(1, QoS::ExactlyOnce)]);
    }

    #[test]
    fn a_pubrel_releases_an_inbound_qos2_message() {
        let mut client = in_flight(config(ProtocolVersion::V3_1_1), QoS::AtMostOnce);
        // An inbound QoS 2 PUBLISH, identifier 7, then its PUBREL.
        let mut publish = BytesMut::new();
        let mut packet = mqtt_proto::Publish::new(
            mqtt_proto::TopicName::from_static("t"),
            mqtt_proto::QosPid::AtMostOnce,
            "x",
        );
        packet.qos_pid = mqtt_proto::QosPid::new(QoS::ExactlyOnce, PacketId::new(7).unwrap());
        Packet::from(packet)
            .encode(ProtocolVersion::V3_1_1, &mut publish)
            .unwrap();
        client.handle_read(Instant::ZERO, &publish);
        let mut out = BytesMut::new();
        while client.poll_transmit(Instant::ZERO, &mut out) {}
        let mut buf = bytes(&[&[0x62, 0x02, 0x00, 0x07]]);
        assert!(client.handle_short_ack(&mut buf));
        out.clear();
        assert!(client.poll_transmit(Instant::ZERO, &mut out));
        // [MQTT-4.3.3-11]: PUBCOMP answers PUBREL.
        assert_eq!(&out[..], &[0x70, 0x02, 0x00, 0x07]);
    }

    #[test]
    fn other_forms_are_left_to_the_decoder() {
        let left: [&[u8]; 7] = [
            // A zero identifier ([MQTT-2.2.1-3]), which the decoder refuses.
            &[0x40, 0x02, 0x00, 0x00],
            // PUBREL without its flags 0010 ([MQTT-3.6.1-1]), PUBACK with flags.
            &[0x60, 0x02, 0x00, 0x01],
            &[0x41, 0x02, 0x00, 0x01],
            // A reason code (5.0), an incomplete packet, another packet type.
            &[0x40, 0x03, 0x00, 0x01],
            &[0x40, 0x02, 0x00],
            &[0xb0, 0x02, 0x00, 0x01],
            &[0x20, 0x02, 0x00, 0x00],
        ];
        for packet in left {
            let mut client = in_flight(config(ProtocolVersion::V5), QoS::AtLeastOnce);
            let mut buf = bytes(&[packet]);
            assert!(!client.handle_short_ack(&mut buf), "{packet:02x?}");
            assert_eq!(&buf[..], packet, "untouched");
            assert_eq!(client.inflight(), 2);
        }
    }

    #[test]
    fn a_maximum_packet_size_below_four_bytes_leaves_it_to_the_decoder() {
        for (maximum, short) in [(3, false), (4, true), (5, true)] {
            let mut config = config(ProtocolVersion::V5);
            config.maximum_packet_size = Some(maximum);
            let mut client = in_flight(config, QoS::AtLeastOnce);
            let mut buf = bytes(&[&[0x40, 0x02, 0x00, 0x01]]);
            assert_eq!(
                client.handle_short_ack(&mut buf),
                short,
                "maximum {maximum}"
            );
        }
    }
}
