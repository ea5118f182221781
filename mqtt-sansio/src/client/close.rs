//! Ending a connection: by the application (DISCONNECT), by the server, or because the server
//! broke the protocol; what the session keeps and what goes with the connection.

use mqtt_proto::{DecodeError, Disconnect, DisconnectProperties, Packet, ReasonCode};

use super::{Client, Phase};
use crate::error::ClientError;
use crate::event::{CommandId, DisconnectReason, Event};

impl Client {
    /// Ends the connection: queues DISCONNECT with `reason_code` (and in MQTT 5.0 a new Session
    /// Expiry Interval) and reports [`DisconnectReason::ByClient`]. The driver sends what
    /// [`poll_transmit`](Self::poll_transmit) gives, then closes the transport. The session state
    /// stays for the next connection.
    ///
    /// # Errors
    /// [`ClientError::InvalidState`] without a connection; [`ClientError::Encode`] for a reason
    /// code DISCONNECT may not carry; [`ClientError::PacketTooLarge`] for properties that take
    /// it above the server's Maximum Packet Size.
    pub fn disconnect(
        &mut self,
        reason_code: ReasonCode,
        session_expiry_interval: Option<u32>,
    ) -> Result<(), ClientError> {
        let mut properties = DisconnectProperties::default();
        properties.session_expiry_interval = session_expiry_interval;
        self.disconnect_with(reason_code, properties)
    }

    /// [`disconnect`](Self::disconnect) with every DISCONNECT property (MQTT 5.0: a Reason
    /// String, User Properties, …). With Success and no property, DISCONNECT takes its shortest
    /// form.
    ///
    /// # Errors
    /// As [`disconnect`](Self::disconnect).
    pub fn disconnect_with(
        &mut self,
        reason_code: ReasonCode,
        properties: DisconnectProperties,
    ) -> Result<(), ClientError> {
        self.journal
            .keep(|| crate::journal::Entry::Disconnect(reason_code, properties.clone()));
        if !matches!(self.phase, Phase::Connecting { .. } | Phase::Connected) {
            return Err(ClientError::InvalidState);
        }
        let mut disconnect = Disconnect::new(reason_code);
        disconnect.properties = properties.into();
        let disconnect = Packet::Disconnect(disconnect);
        disconnect
            .checked_len(self.version)
            .map_err(ClientError::Encode)?;
        self.check_size(disconnect.encoded_len(self.version))?;
        self.close(DisconnectReason::ByClient);
        self.encode_infallible(&disconnect);
        self.phase = Phase::Closing;
        Ok(())
    }

    /// Ends the connection with `reason` as its last event. Bytes not yet handed to the driver
    /// are dropped: the connection that was to carry them is gone (what in them matters, QoS 1
    /// and 2 messages and their exchanges, is session state and goes out again).
    pub(super) fn close(&mut self, reason: DisconnectReason) {
        self.phase = Phase::Closed;
        // QoS 0 messages encoded but not handed over are not sent again: their bytes go.
        for number in self.qos0_unhanded.drain(..) {
            self.events.push_back(Event::Failed {
                command: CommandId::Qos0(number),
                error: ClientError::Disconnected,
            });
        }
        self.discard_transmit();
        self.ping_deadline = None;
        self.ping_queued = None;
        self.meter.ping_sent = None;
        // Acknowledgements owed on this connection are moot: the server sends the messages
        // again. QoS 2 identifiers stay, so that a redelivery is not delivered twice.
        self.inbound.clear();
        self.unsend_requests();
        self.events.push_back(Event::Disconnected(reason));
    }

    /// The server broke the protocol: in MQTT 5.0 tell it why, then end the connection.
    pub(super) fn violation(&mut self, reason_code: ReasonCode, error: Option<DecodeError>) {
        self.close(DisconnectReason::ProtocolViolation { reason_code, error });
        if self.version.is_v5() {
            self.encode_infallible(&Packet::Disconnect(Disconnect::new(reason_code)));
        }
        self.phase = Phase::Closing;
    }
}
