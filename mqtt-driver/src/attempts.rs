//! What a driver does between connections besides sleeping: credentials from the hook before
//! each attempt, and what [`Supervisor::handle_end`](mqtt_sansio::Supervisor::handle_end) needs after one.

use mqtt_sansio::End;

use crate::{Credentials, CredentialsHook, Jitter, Options};

/// The credentials hook's last answer and a source of jitter, across connection attempts.
///
/// ```
/// use mqtt_driver::{Attempts, Options};
/// use mqtt_sansio::End;
///
/// let mut attempts = Attempts::new(&Options::new("mqtt://localhost", "c").unwrap());
/// futures_lite::future::block_on(async {
///     assert!(attempts.before().await.is_none(), "no hook, nothing to refresh");
///     let (fresh, _jitter) = attempts.after(&End::Unreachable).await;
///     assert!(!fresh);
/// });
/// ```
#[derive(Debug)]
pub struct Attempts {
    hook: Option<CredentialsHook>,
    last: Option<Credentials>,
    jitter: Jitter,
}

impl Attempts {
    /// For a client configured with `options`.
    #[must_use]
    pub fn new(options: &Options) -> Self {
        Self {
            hook: options.credentials.clone(),
            last: None,
            jitter: options.jitter.clone(),
        }
    }

    /// Before an attempt: the credentials for its CONNECT, when a hook is set.
    pub async fn before(&mut self) -> Option<Credentials> {
        let fresh = self.hook.as_ref()?.call().await;
        self.last = Some(fresh.clone());
        Some(fresh)
    }

    /// After an attempt that ended with `end`: whether the hook now has other credentials
    /// (asked only after a fatal refusal, which only fresh credentials may cure), and a fresh
    /// uniformly random jitter from [`Options::jitter`].
    pub async fn after(&mut self, end: &End) -> (bool, u32) {
        let fresh = match &self.hook {
            Some(hook) if end.is_fatal() => self.last.as_ref() != Some(&hook.call().await),
            _ => false,
        };
        (fresh, self.jitter.next())
    }
}
