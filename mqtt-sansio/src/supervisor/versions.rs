//! The version fallback ([`Policy::version_fallback`](crate::Policy::version_fallback)):
//! which brokers refused MQTT 5.0, and what a refusal of 5.0 looks like.

use alloc::vec::Vec;

use mqtt_proto::{ProtocolVersion, ReasonCode};

use crate::{DisconnectReason, End};

/// The protocol version of each broker of the driver's.
#[derive(Debug)]
pub(super) struct Versions {
    /// The version of the configuration.
    pub(super) configured: ProtocolVersion,
    /// The brokers that refused 5.0, by index.
    fallen_back: Vec<bool>,
    /// Whether the connection of the current attempt was accepted.
    pub(super) accepted: bool,
}

impl Versions {
    pub(super) fn new(configured: ProtocolVersion) -> Self {
        Self {
            configured,
            fallen_back: alloc::vec![false],
            accepted: false,
        }
    }

    pub(super) fn set_brokers(&mut self, count: usize) {
        self.fallen_back.resize(count.max(1), false);
    }

    /// `broker` speaks 3.1.1 from now on.
    pub(super) fn fall_back(&mut self, broker: usize) {
        if let Some(fallen) = self.fallen_back.get_mut(broker) {
            *fallen = true;
        }
    }

    /// The version to speak to `broker`.
    pub(super) fn version_for(&self, broker: usize) -> ProtocolVersion {
        if self.fallen_back.get(broker).copied().unwrap_or(false) {
            ProtocolVersion::V3_1_1
        } else {
            self.configured
        }
    }
}

/// Whether `end`, of an attempt whose connection was not accepted, says the broker does not
/// speak MQTT 5.0: a CONNACK 0x84 (Unsupported Protocol Version), which is also what the
/// session makes of the 3.1.1 CONNACK with return code 0x01 a 3.1.1 broker owes a CONNECT of
/// a level it does not support (\[MQTT-3.1.2-2\]); or the connection closed before any
/// CONNACK, as some 3.1.1 brokers do.
pub(super) fn refuses_v5(end: &End) -> bool {
    match end {
        End::Reason(DisconnectReason::Refused(connack)) => {
            connack.reason_code == ReasonCode::UNSUPPORTED_PROTOCOL_VERSION
        }
        End::Reason(DisconnectReason::TransportClosed) => true,
        _ => false,
    }
}
