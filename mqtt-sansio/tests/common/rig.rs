//! A supervisor against the fake broker, driven as a driver drives it.

use bytes::{Buf, BytesMut};
use mqtt_proto::{MqttString, ProtocolVersion};
use mqtt_sansio::{Chunks, Config, ConnectionEvent, Done, Instant, Output, Policy, Supervisor};
use mqtt_test::{BrokerConfig, FakeBroker};

/// A supervisor and the fake broker, with the bytes moved between them as a driver moves them.
pub struct Rig {
    pub s: Supervisor<u32>,
    pub broker: FakeBroker,
    pub now: Instant,
    pub out: Chunks,
}

impl Rig {
    pub fn new(version: ProtocolVersion, broker: BrokerConfig, policy: Policy) -> Self {
        Self::with_config(
            Config::new(MqttString::from_static("sup")).with_version(version),
            broker,
            policy,
        )
    }

    /// Connected with `config`.
    pub fn with_config(config: Config, broker: BrokerConfig, policy: Policy) -> Self {
        let mut rig = Self::unopened(config, broker, policy);
        rig.s.handle_transport_open(rig.now);
        rig.pump();
        rig
    }

    /// Before the first connection.
    pub fn unopened(config: Config, broker: BrokerConfig, policy: Policy) -> Self {
        Self {
            s: Supervisor::new(config, policy),
            broker: FakeBroker::new(broker),
            now: Instant::ZERO,
            out: Chunks::new(),
        }
    }

    /// Moves bytes both ways until neither side has more; the driver's buffer is written at
    /// once.
    pub fn pump(&mut self) {
        loop {
            let mut moved = false;
            while self.s.poll_transmit(self.now, &mut self.out) {
                let len = self.out.len();
                self.broker.handle_read(&self.out.copy_to_bytes(len));
                self.s.handle_written();
                moved = true;
            }
            while let Some(bytes) = self.broker.poll_transmit() {
                self.s
                    .handle_read(self.now, &mut BytesMut::from(&bytes[..]));
                moved = true;
            }
            if !moved {
                break;
            }
        }
    }

    pub fn outputs(&mut self) -> Vec<Output<u32>> {
        let mut all = Vec::new();
        while let Some(output) = self.s.poll_output() {
            all.push(output);
        }
        all
    }

    pub fn done(&mut self) -> Vec<(u32, Done)> {
        self.outputs()
            .into_iter()
            .filter_map(|o| match o {
                Output::Done(tag, done) => Some((tag, done)),
                _ => None,
            })
            .collect()
    }

    /// The connection events among the outputs (the rest are dropped).
    pub fn events(&mut self) -> Vec<ConnectionEvent> {
        self.outputs()
            .into_iter()
            .filter_map(|o| match o {
                Output::Event(e) => Some(e),
                _ => None,
            })
            .collect()
    }
}
