//! Credentials refreshed before each connection attempt (expiring tokens, rotated passwords).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use mqtt_proto::MqttString;

/// A user name and password for CONNECT.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// The user name.
    pub username: Option<MqttString>,
    /// The password.
    pub password: Option<Bytes>,
}

impl Credentials {
    /// Credentials with a user name and a password.
    #[must_use]
    pub fn new(username: MqttString, password: impl Into<Bytes>) -> Self {
        Self {
            username: Some(username),
            password: Some(password.into()),
        }
    }
}

type Hook = dyn Fn() -> Pin<Box<dyn Future<Output = Credentials> + Send>> + Send + Sync;

/// Called before every connection attempt; what it returns goes into that attempt's CONNECT.
///
/// A refusal that retrying cannot cure (bad user name or password, not authorised) stops
/// reconnecting, unless the hook then returns different credentials.
///
/// ```
/// use mqtt_proto::MqttString;
/// use mqtt_driver::{Credentials, CredentialsHook};
///
/// let hook = CredentialsHook::new(|| async {
///     // Fetch a fresh token here.
///     Credentials::new(MqttString::new("device-7").unwrap(), "token-123")
/// });
/// # let _ = hook;
/// ```
#[derive(Clone)]
pub struct CredentialsHook(Arc<Hook>);

impl CredentialsHook {
    /// A hook from an async function.
    pub fn new<F, Fut>(hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Credentials> + Send + 'static,
    {
        Self(Arc::new(move || Box::pin(hook())))
    }

    /// A hook from a plain function, for drivers without an async runtime.
    pub fn from_fn<F>(hook: F) -> Self
    where
        F: Fn() -> Credentials + Send + Sync + 'static,
    {
        Self(Arc::new(move || Box::pin(std::future::ready(hook()))))
    }

    /// The credentials for the next attempt: a future of the hook's making.
    #[must_use]
    pub fn call(&self) -> Pin<Box<dyn Future<Output = Credentials> + Send>> {
        (self.0)()
    }
}

impl core::fmt::Debug for CredentialsHook {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CredentialsHook(..)")
    }
}
