//! What the fake broker answers: its script.

use std::collections::BTreeMap;

use mqtt_proto::{ConnAckProperties, Limits, QoS, ReasonCode};

/// How the broker answers a CONNECT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ConnectAnswer {
    /// CONNACK with Success; Session Present as [`BrokerConfig::session_present`] says.
    #[default]
    Accept,
    /// CONNACK with this reason code, then the broker closes the connection. Under MQTT 3.x the
    /// code must have a 3.x return code ([`ReasonCode::to_v3_connack`]).
    Refuse(ReasonCode),
    /// No CONNACK at all: for CONNACK timeouts, or an enhanced authentication exchange the test
    /// finishes with [`FakeBroker::answer_connect`](crate::FakeBroker::answer_connect).
    NoAnswer,
}

/// The script of a [`FakeBroker`](crate::FakeBroker).
///
/// Every field can be changed between connections, or during one through
/// [`FakeBroker::config_mut`](crate::FakeBroker::config_mut).
///
/// ```
/// use mqtt_proto::{QoS, ReasonCode};
/// use mqtt_test::{BrokerConfig, ConnectAnswer};
///
/// let mut config = BrokerConfig::new();
/// config.connect_answer = ConnectAnswer::Refuse(ReasonCode::NOT_AUTHORIZED);
/// config.max_granted_qos = QoS::AtLeastOnce;
/// config.answer_pings = false;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BrokerConfig {
    /// The answer to the next CONNECT. Default: accept.
    pub connect_answer: ConnectAnswer,
    /// Overrides Session Present in an accepting CONNACK. Default `None`: present when a session
    /// for the client identifier exists and Clean Start is not set. A broker that answers
    /// `false` drops the session it had; one that answers `true` without a session starts an
    /// empty one.
    pub session_present: Option<bool>,
    /// The properties of an accepting MQTT 5.0 CONNACK (Receive Maximum, Maximum QoS, Retain
    /// Available, Maximum Packet Size, Topic Alias Maximum, Server Keep Alive, Assigned Client
    /// Identifier, the availability flags...). The broker also enforces the limits it announces
    /// here: Receive Maximum, Maximum QoS, Retain Available, Maximum Packet Size and Topic Alias
    /// Maximum.
    pub connack_properties: ConnAckProperties,
    /// Whether PINGREQ is answered with PINGRESP. Default: yes; `false` simulates a silent,
    /// half-open broker.
    pub answer_pings: bool,
    /// The highest QoS granted to a subscription. Default: QoS 2.
    pub max_granted_qos: QoS,
    /// Topic filters whose subscription fails, with the SUBACK code to answer (MQTT 3.x answers
    /// 0x80 whatever the code).
    pub subscribe_failures: BTreeMap<String, ReasonCode>,
    /// The reason code of the PUBACK or PUBREC answering a client's QoS 1 or 2 PUBLISH, MQTT 5.0
    /// only. Default: Success. A failure code means the message is not routed and, for QoS 2,
    /// the exchange ends there.
    pub publish_reason_code: ReasonCode,
    /// Bounds on the packets the broker decodes; the Maximum Packet Size of
    /// [`connack_properties`](Self::connack_properties), when set, lowers them further.
    pub limits: Limits,
    /// Whether the broker speaks MQTT 5.0. Default: yes. A broker that does not answers a 5.0
    /// CONNECT as a 3.1.1 broker must: a 3.1.1 CONNACK with return code 0x01 (unacceptable
    /// protocol level), then it closes (\[MQTT-3.1.2-2\]).
    pub speaks_v5: bool,
}

impl BrokerConfig {
    /// The default script: accept, answer pings, grant up to QoS 2, succeed at everything.
    #[must_use]
    pub fn new() -> Self {
        Self {
            connect_answer: ConnectAnswer::Accept,
            session_present: None,
            connack_properties: ConnAckProperties::default(),
            answer_pings: true,
            max_granted_qos: QoS::ExactlyOnce,
            subscribe_failures: BTreeMap::new(),
            publish_reason_code: ReasonCode::SUCCESS,
            limits: Limits::new(),
            speaks_v5: true,
        }
    }
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self::new()
    }
}
