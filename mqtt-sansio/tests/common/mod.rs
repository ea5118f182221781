//! A small harness: a `Client` on a virtual clock, with the server side played by hand through
//! `mqtt-proto`.
#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod pair;
pub mod rig;

use core::time::Duration;

use bytes::BytesMut;
use mqtt_proto::{ConnAck, Limits, MqttString, Packet, ProtocolVersion, ReasonCode};
use mqtt_sansio::{Client, Config, Event, Instant};

pub struct Harness {
    pub client: Client,
    pub now: Instant,
    pub version: ProtocolVersion,
    /// Bytes the client sent that the test has not looked at yet.
    sent: BytesMut,
}

impl Harness {
    pub fn new(config: Config) -> Self {
        let version = config.version;
        Self {
            client: Client::new(config),
            now: Instant::ZERO,
            version,
            sent: BytesMut::new(),
        }
    }

    pub fn config(version: ProtocolVersion) -> Config {
        Config::new(MqttString::new("test-client").unwrap()).with_version(version)
    }

    /// Opens the transport and checks that CONNECT went out.
    pub fn open(&mut self) -> Packet {
        self.client.handle_transport_open(self.now);
        let sent = self.sent();
        assert_eq!(sent.len(), 1, "one CONNECT: {sent:?}");
        sent.into_iter().next().unwrap()
    }

    /// Opens the transport and accepts the connection.
    pub fn connect(&mut self, session_present: bool) -> Vec<Event> {
        self.open();
        self.server_sends(&ConnAck::new(session_present, ReasonCode::SUCCESS).into());
        self.events()
    }

    /// The server sends `packet`.
    pub fn server_sends(&mut self, packet: &Packet) {
        let mut buf = BytesMut::new();
        packet.encode(self.version, &mut buf).unwrap();
        self.client.handle_read(self.now, &buf);
    }

    /// The server sends raw bytes.
    pub fn server_sends_bytes(&mut self, bytes: &[u8]) {
        self.client.handle_read(self.now, bytes);
    }

    /// Everything the client transmitted since the last call, decoded.
    pub fn sent(&mut self) -> Vec<Packet> {
        while self.client.poll_transmit(self.now, &mut self.sent) {}
        let mut packets = Vec::new();
        while let Some(p) = Packet::decode(self.version, &mut self.sent, &Limits::new())
            .expect("the client sends valid packets")
        {
            packets.push(p);
        }
        assert!(self.sent.is_empty(), "whole packets only");
        packets
    }

    /// Every event since the last call.
    pub fn events(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some(e) = self.client.poll_event() {
            events.push(e);
        }
        events
    }

    /// Moves the clock to `at` and fires the timer if it is due.
    pub fn advance_to(&mut self, at: Instant) {
        self.now = at;
        self.client.handle_timeout(self.now);
    }

    pub fn advance(&mut self, d: Duration) {
        self.advance_to(self.now + d);
    }

    /// Runs the clock from deadline to deadline until `until`, as a driver sleeping on
    /// `poll_timeout` would; returns the instants at which the client sent something, with what.
    pub fn run_until(&mut self, until: Instant) -> Vec<(Instant, Vec<Packet>)> {
        let mut log = Vec::new();
        loop {
            let sent = self.sent();
            if !sent.is_empty() {
                log.push((self.now, sent));
            }
            match self.client.poll_timeout() {
                Some(t) if t <= until => self.advance_to(t.max(self.now)),
                _ => break,
            }
        }
        self.now = until;
        log
    }
}

/// A packet identifier from a literal.
pub fn pid(n: u16) -> mqtt_proto::PacketId {
    mqtt_proto::PacketId::new(n).unwrap()
}

/// A topic name from a literal.
pub fn topic(name: &str) -> mqtt_proto::TopicName {
    mqtt_proto::TopicName::new(name).unwrap()
}

/// A topic filter from a literal.
pub fn filter(f: &str) -> mqtt_proto::TopicFilter {
    mqtt_proto::TopicFilter::new(f).unwrap()
}

/// The PUBLISH the client sends for `message` with identifier `id` (none for QoS 0).
pub fn publish_packet(
    name: &str,
    qos: mqtt_proto::QoS,
    id: Option<u16>,
    payload: &'static str,
) -> mqtt_proto::Publish {
    let qos_pid = id.map_or(mqtt_proto::QosPid::AtMostOnce, |n| {
        mqtt_proto::QosPid::new(qos, pid(n))
    });
    mqtt_proto::Publish::new(topic(name), qos_pid, payload)
}

impl Harness {
    /// Opens the transport and answers CONNECT with `connack`; returns the events.
    pub fn connect_with(&mut self, connack: ConnAck) -> Vec<Event> {
        self.open();
        self.server_sends(&connack.into());
        self.events()
    }
}
