//! The handshake: CONNECT, the server's CONNACK, and enhanced authentication (MQTT 5.0,
//! section 4.12) at connection and later.

use core::time::Duration;

use mqtt_proto::{Auth, AuthProperties, ConnAck, Disconnect, Packet, ReasonCode};

use super::{Client, Phase};
use crate::auth::AuthFailed;
use crate::error::ClientError;
use crate::event::{Connected, DisconnectReason, Event, ServerLimits, SessionReset};

impl Client {
    pub(super) fn handle_connack(&mut self, connack: ConnAck) {
        if !matches!(self.phase, Phase::Connecting { .. }) {
            // A second CONNACK.
            self.violation(ReasonCode::PROTOCOL_ERROR, None);
            return;
        }
        if connack.reason_code.is_error() {
            self.close(DisconnectReason::Refused(connack));
            return;
        }
        if connack.session_present && self.config.clean_start {
            // A clean start leaves the client without session state: a server that claims a
            // session broke [MQTT-3.2.2-2] (5.0; [MQTT-3.2.2-1] of 3.1.1), and a client without
            // session state closes the connection ([MQTT-3.2.2-4] of 5.0).
            self.violation(ReasonCode::PROTOCOL_ERROR, None);
            return;
        }
        self.server = ServerLimits::from_connack(&connack, self.config.keep_alive_secs());
        self.keep_alive = Duration::from_secs(u64::from(self.server.keep_alive));
        if let Some(id) = &connack.properties.assigned_client_identifier {
            self.config.client_id = id.clone();
        }
        if let Some(authenticator) = self.authenticator.as_mut() {
            if let Err(failure) =
                authenticator.finish(connack.properties.authentication_data.as_ref())
            {
                self.abandon_authentication(failure);
                return;
            }
        }
        self.phase = Phase::Connected;
        self.meter.stats.connected += 1;
        // Keep alive counts from the last packet sent (CONNECT, or what goes out with the
        // CONNACK's resends), not from this receipt ([MQTT-3.1.2-23] of 3.1.1).
        let session_present = connack.session_present;
        self.events.push_back(Event::Connected(Connected {
            session_present,
            limits: self.server,
            connack,
        }));
        if session_present {
            self.resume_session();
        } else {
            let (reset, after) = self.reset_session();
            if reset != SessionReset::default() {
                self.events.push_back(Event::SessionReset(reset));
            }
            self.events.extend(after);
        }
        self.send_requests();
        self.send_pending();
    }

    /// Answers an AUTH challenge, or starts re-authentication while connected (MQTT 5.0).
    ///
    /// # Errors
    /// [`ClientError::NeedsV5`] before MQTT 5.0, [`ClientError::InvalidState`] without a
    /// connection, [`ClientError::Encode`] for an AUTH that breaks the rules (no method),
    /// [`ClientError::PacketTooLarge`] above the server's Maximum Packet Size.
    pub fn auth(
        &mut self,
        reason_code: ReasonCode,
        properties: AuthProperties,
    ) -> Result<(), ClientError> {
        self.journal
            .keep(|| crate::journal::Entry::Auth(reason_code, properties.clone()));
        if !self.version.is_v5() {
            return Err(ClientError::NeedsV5);
        }
        if !matches!(self.phase, Phase::Connecting { .. } | Phase::Connected) {
            return Err(ClientError::InvalidState);
        }
        let mut auth = Auth::new(reason_code);
        auth.properties = properties.into();
        let auth = Packet::Auth(auth);
        auth.checked_len(self.version)
            .map_err(ClientError::Encode)?;
        self.check_size(auth.encoded_len(self.version))?;
        self.encode(&auth)?;
        Ok(())
    }

    /// Starts a re-authentication with the [`Authenticator`](crate::Authenticator) (MQTT 5.0,
    /// section 4.12.1): an AUTH with Re-authenticate (0x19), the method the connection was
    /// authenticated with [MQTT-4.12.1-1] and the data of a fresh
    /// [`start`](crate::Authenticator::start). The server's challenges then go to the
    /// authenticator, as during CONNECT, and its AUTH with Success to
    /// [`finish`](crate::Authenticator::finish); a refusal ends the connection with the
    /// server's DISCONNECT.
    ///
    /// # Errors
    /// [`ClientError::NoAuthenticator`] without an authenticator (send the AUTH with
    /// [`auth`](Self::auth) then), [`ClientError::NeedsV5`] before MQTT 5.0,
    /// [`ClientError::InvalidState`] before CONNACK or while closing,
    /// [`ClientError::PacketTooLarge`] above the server's Maximum Packet Size.
    pub fn reauthenticate(&mut self) -> Result<(), ClientError> {
        self.journal.keep(|| crate::journal::Entry::Reauthenticate);
        if !self.version.is_v5() {
            return Err(ClientError::NeedsV5);
        }
        if self.authenticator.is_none() {
            return Err(ClientError::NoAuthenticator);
        }
        // Re-authentication follows CONNACK [MQTT-4.12.1-1].
        if !matches!(self.phase, Phase::Connected) {
            return Err(ClientError::InvalidState);
        }
        let Some(authenticator) = self.authenticator.as_mut() else {
            return Err(ClientError::NoAuthenticator);
        };
        let mut properties = AuthProperties::default();
        properties.authentication_method = Some(authenticator.method());
        properties.authentication_data = authenticator.start();
        self.auth(ReasonCode::RE_AUTHENTICATE, properties)
    }

    /// The server's AUTH, answered by the authenticator.
    pub(super) fn answer_auth(&mut self, reason_code: ReasonCode, properties: &AuthProperties) {
        let Some(authenticator) = self.authenticator.as_mut() else {
            return;
        };
        let method = authenticator.method();
        // Section 4.12: one Authentication Method for the whole exchange.
        if properties.authentication_method.as_ref() != Some(&method) {
            self.violation(ReasonCode::PROTOCOL_ERROR, None);
            return;
        }
        let data = properties.authentication_data.as_ref();
        let outcome = match (reason_code, &self.phase) {
            // [MQTT-4.12.0-2]
            (ReasonCode::CONTINUE_AUTHENTICATION, _) => authenticator.challenge(data),
            // The end of a re-authentication; the first authentication ends with CONNACK.
            (ReasonCode::SUCCESS, Phase::Connected) => authenticator.finish(data).map(|()| None),
            _ => {
                self.violation(ReasonCode::PROTOCOL_ERROR, None);
                return;
            }
        };
        match outcome {
            // [MQTT-4.12.0-3]
            Ok(answer) if reason_code == ReasonCode::CONTINUE_AUTHENTICATION => {
                let mut answer_properties = AuthProperties::default();
                answer_properties.authentication_method = Some(method);
                answer_properties.authentication_data = answer;
                let _ = self.auth(ReasonCode::CONTINUE_AUTHENTICATION, answer_properties);
            }
            Ok(_) => {}
            Err(failure) => self.abandon_authentication(failure),
        }
    }

    /// The authenticator gave up: tell the server (a client may not send Not Authorized), then
    /// end the connection.
    pub(super) fn abandon_authentication(&mut self, failure: AuthFailed) {
        self.close(DisconnectReason::AuthenticationFailed(failure));
        self.encode_infallible(&Packet::Disconnect(Disconnect::new(
            ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR,
        )));
        self.phase = Phase::Closing;
    }
}
