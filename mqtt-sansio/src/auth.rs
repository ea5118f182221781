//! The client's side of an MQTT 5.0 enhanced authentication method, answered inside the session.

use alloc::string::String;

use bytes::Bytes;
use mqtt_proto::MqttString;

/// Why the client gave up an enhanced authentication exchange: the server's data did not check
/// out, or the method could not compute its answer.
///
/// The session then sends DISCONNECT with Implementation Specific Error (0x83) and ends the
/// connection with [`DisconnectReason::AuthenticationFailed`](crate::DisconnectReason).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("enhanced authentication failed: {0}")]
pub struct AuthFailed(pub String);

/// The client's side of an MQTT 5.0 enhanced authentication method (section 4.12: SCRAM,
/// Kerberos, a token exchange, …), which a [`Client`](crate::Client) given it with
/// [`set_authenticator`](crate::Client::set_authenticator) uses to answer the server's AUTH
/// packets itself. Without one, each AUTH comes out as [`Event::Auth`](crate::Event::Auth) for
/// the driver to answer with [`Client::auth`](crate::Client::auth).
///
/// ```
/// use bytes::Bytes;
/// use mqtt_proto::MqttString;
/// use mqtt_sansio::{AuthFailed, Authenticator};
///
/// /// Answers the server's challenge with it reversed, and checks the server's last word.
/// struct Mirror;
///
/// impl Authenticator for Mirror {
///     fn method(&self) -> MqttString {
///         MqttString::from_static("MIRROR")
///     }
///     fn start(&mut self) -> Option<Bytes> {
///         Some(Bytes::from_static(b"hello"))
///     }
///     fn challenge(&mut self, data: Option<&Bytes>) -> Result<Option<Bytes>, AuthFailed> {
///         let data = data.ok_or_else(|| AuthFailed("no challenge".into()))?;
///         Ok(Some(data.iter().rev().copied().collect()))
///     }
///     fn finish(&mut self, data: Option<&Bytes>) -> Result<(), AuthFailed> {
///         match data {
///             Some(data) if data[..] == b"welcome"[..] => Ok(()),
///             _ => Err(AuthFailed("the server did not prove itself".into())),
///         }
///     }
/// }
/// ```
pub trait Authenticator: Send {
    /// The Authentication Method, carried by CONNECT and by every AUTH of the exchange.
    fn method(&self) -> MqttString;

    /// The Authentication Data of the CONNECT that opens a connection. Called before each
    /// connection: what must be fresh for every attempt (a nonce) is made here.
    fn start(&mut self) -> Option<Bytes>;

    /// The server's AUTH with Continue Authentication, and its Authentication Data: the data of
    /// the client's answer (an AUTH with Continue Authentication, [MQTT-4.12.0-3]), or why to
    /// give up.
    ///
    /// # Errors
    /// [`AuthFailed`] ends the connection.
    fn challenge(&mut self, data: Option<&Bytes>) -> Result<Option<Bytes>, AuthFailed>;

    /// The server accepted: CONNACK with Success, or AUTH with Success after a
    /// re-authentication, with their Authentication Data. The default accepts whatever it is.
    ///
    /// # Errors
    /// [`AuthFailed`] when that data does not prove the server: the connection ends.
    fn finish(&mut self, data: Option<&Bytes>) -> Result<(), AuthFailed> {
        let _ = data;
        Ok(())
    }
}
