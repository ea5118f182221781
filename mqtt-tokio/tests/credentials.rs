//! The credentials hook: called before each attempt, and a refusal for bad credentials is retried
//! only when the hook has something new to offer.

mod common;

use core::time::Duration;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::{Mosquitto, within};
use mqtt_proto::{MqttString, ReasonCode};
use mqtt_sansio::Backoff;
use mqtt_tokio::{Credentials, CredentialsHook, Error, Options, connect};

fn alice(password: &str) -> Credentials {
    Credentials::new(MqttString::new("alice").unwrap(), password.to_owned())
}

#[tokio::test]
async fn the_hook_supplies_the_credentials_of_each_attempt() {
    let broker = Mosquitto::with_password("alice", "secret");
    let calls = Arc::new(AtomicU32::new(0));
    let mut options = Options::new(&broker.url(), "hooked").unwrap();
    options.credentials = Some(CredentialsHook::new({
        let calls = calls.clone();
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { alice("secret") }
        }
    }));
    let (client, _m, _e) = within("connect", connect(options)).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(broker.connections(), 1, "{}", broker.log());
    within("disconnect", client.disconnect()).await.unwrap();
}

#[tokio::test]
async fn a_refusal_stops_when_the_credentials_stay_the_same() {
    let broker = Mosquitto::with_password("alice", "secret");
    let calls = Arc::new(AtomicU32::new(0));
    let mut options = Options::new(&broker.url(), "stale").unwrap();
    options.policy.backoff = Backoff::new(Duration::from_millis(10), 2, Duration::from_millis(50));
    options.credentials = Some(CredentialsHook::new({
        let calls = calls.clone();
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { alice("wrong") }
        }
    }));
    let error = within("connect", connect(options)).await.unwrap_err();
    assert!(
        matches!(error, Error::Refused(code) if [ReasonCode::BAD_USER_NAME_OR_PASSWORD, ReasonCode::NOT_AUTHORIZED].contains(&code)),
        "{error}"
    );
    // Once before the attempt, once after the refusal to see whether it has anything new.
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(broker.connections(), 1, "one attempt:\n{}", broker.log());
}

#[tokio::test]
async fn a_refusal_is_retried_with_fresh_credentials() {
    let broker = Mosquitto::with_password("alice", "secret");
    let calls = Arc::new(AtomicU32::new(0));
    let mut options = Options::new(&broker.url(), "rotating").unwrap();
    options.policy.backoff = Backoff::new(Duration::from_millis(10), 2, Duration::from_millis(50));
    options.credentials = Some(CredentialsHook::new({
        let calls = calls.clone();
        move || {
            // The first call hands out a stale password, later ones the current one.
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    alice("stale")
                } else {
                    alice("secret")
                }
            }
        }
    }));
    let (client, _m, _e) = within("connect", connect(options)).await.unwrap();
    // Before the first attempt (stale), after its refusal (fresh: worth a retry), before the
    // second attempt.
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(broker.connections(), 2, "{}", broker.log());
    within("disconnect", client.disconnect()).await.unwrap();
}
