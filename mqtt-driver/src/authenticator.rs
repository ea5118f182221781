//! Enhanced authentication (MQTT 5.0): the authenticator each client's session gets.

use std::sync::Arc;

use mqtt_sansio::Authenticator;

type Make = dyn Fn() -> Box<dyn Authenticator> + Send + Sync;

/// Makes the [`Authenticator`] of a client's session: the client's side of an MQTT 5.0
/// enhanced authentication method (SCRAM, Kerberos, a token exchange, …), which answers the
/// broker's AUTH packets during every connection attempt. One is made per client; it lives as
/// long as the client, across reconnections.
///
/// ```
/// use bytes::Bytes;
/// use mqtt_driver::{AuthenticatorFactory, Options};
/// use mqtt_proto::MqttString;
/// use mqtt_sansio::{AuthFailed, Authenticator};
///
/// struct Token(&'static str);
///
/// impl Authenticator for Token {
///     fn method(&self) -> MqttString {
///         MqttString::from_static("TOKEN")
///     }
///     fn start(&mut self) -> Option<Bytes> {
///         Some(Bytes::from_static(self.0.as_bytes()))
///     }
///     fn challenge(&mut self, _: Option<&Bytes>) -> Result<Option<Bytes>, AuthFailed> {
///         Err(AuthFailed("this method has one step".into()))
///     }
/// }
///
/// let mut options = Options::new("mqtt://broker.example", "sensor-7").unwrap();
/// options.config = options.config.with_version(mqtt_proto::ProtocolVersion::V5);
/// options.authenticator = Some(AuthenticatorFactory::new(|| Box::new(Token("t-123"))));
/// ```
#[derive(Clone)]
pub struct AuthenticatorFactory(Arc<Make>);

impl AuthenticatorFactory {
    /// A factory calling `make` for each client.
    pub fn new<F>(make: F) -> Self
    where
        F: Fn() -> Box<dyn Authenticator> + Send + Sync + 'static,
    {
        Self(Arc::new(make))
    }

    /// A new authenticator.
    #[must_use]
    pub fn make(&self) -> Box<dyn Authenticator> {
        (self.0)()
    }
}

impl core::fmt::Debug for AuthenticatorFactory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AuthenticatorFactory(..)")
    }
}
