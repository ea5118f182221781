//! MQTT 5.0 enhanced authentication answered by an `Authenticator` inside the session
//! (section 4.12): what goes on the wire at each step, a fresh start for every connection, and
//! giving up.

mod common;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::Harness;
use mqtt_proto::{
    Auth, AuthProperties, ConnAck, Disconnect, MqttString, Packet, ProtocolVersion, ReasonCode,
};
use mqtt_sansio::{
    AuthFailed, Authenticator, DisconnectReason, End, Event, Next, Policy, Supervisor,
};

const METHOD: &str = "TOY-CHALLENGE";

/// Answers a challenge with it reversed; accepts the server when its final word is "ok".
/// Records every call.
struct Toy {
    calls: Arc<Mutex<Vec<String>>>,
    starts: u32,
    refuse_challenge: bool,
}

impl Authenticator for Toy {
    fn method(&self) -> MqttString {
        MqttString::from_static(METHOD)
    }

    fn start(&mut self) -> Option<Bytes> {
        self.starts += 1;
        let data = format!("hello-{}", self.starts);
        self.calls.lock().unwrap().push(format!("start {data}"));
        Some(Bytes::from(data))
    }

    fn challenge(&mut self, data: Option<&Bytes>) -> Result<Option<Bytes>, AuthFailed> {
        let data = data.cloned().unwrap_or_default();
        self.calls
            .lock()
            .unwrap()
            .push(format!("challenge {}", String::from_utf8_lossy(&data)));
        if self.refuse_challenge {
            return Err(AuthFailed("bad challenge".into()));
        }
        Ok(Some(data.iter().rev().copied().collect()))
    }

    fn finish(&mut self, data: Option<&Bytes>) -> Result<(), AuthFailed> {
        let data = data.cloned().unwrap_or_default();
        self.calls
            .lock()
            .unwrap()
            .push(format!("finish {}", String::from_utf8_lossy(&data)));
        if data[..] == b"ok"[..] {
            Ok(())
        } else {
            Err(AuthFailed("the server did not prove itself".into()))
        }
    }
}

fn harness(refuse_challenge: bool) -> (Harness, Arc<Mutex<Vec<String>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut h = Harness::new(Harness::config(ProtocolVersion::V5));
    h.client.set_authenticator(Box::new(Toy {
        calls: calls.clone(),
        starts: 0,
        refuse_challenge,
    }));
    (h, calls)
}

fn auth(code: ReasonCode, method: &'static str, data: Option<&'static [u8]>) -> Packet {
    let mut auth = Auth::new(code);
    auth.properties.authentication_method = Some(MqttString::from_static(method));
    auth.properties.authentication_data = data.map(Bytes::from_static);
    Packet::Auth(auth)
}

fn connack(data: &'static [u8]) -> Packet {
    let mut connack = ConnAck::new(false, ReasonCode::SUCCESS);
    connack.properties.authentication_method = Some(MqttString::from_static(METHOD));
    connack.properties.authentication_data = Some(Bytes::from_static(data));
    connack.into()
}

fn disconnected(h: &mut Harness) -> DisconnectReason {
    let events = h.events();
    let [Event::Disconnected(reason)] = &events[..] else {
        panic!("{events:?}")
    };
    reason.clone()
}

#[test]
fn the_authenticator_answers_every_step_and_checks_the_servers_last_word() {
    let (mut h, calls) = harness(false);
    let Packet::Connect(connect) = h.open() else {
        panic!("CONNECT first")
    };
    let properties = &connect.properties;
    assert_eq!(
        properties
            .authentication_method
            .as_ref()
            .map(MqttString::as_str),
        Some(METHOD)
    );
    assert_eq!(
        properties.authentication_data.as_deref(),
        Some(&b"hello-1"[..])
    );

    h.server_sends(&auth(
        ReasonCode::CONTINUE_AUTHENTICATION,
        METHOD,
        Some(b"abc"),
    ));
    // [MQTT-4.12.0-3]: the answer is an AUTH with Continue Authentication and the same method.
    assert_eq!(
        h.sent(),
        [auth(
            ReasonCode::CONTINUE_AUTHENTICATION,
            METHOD,
            Some(b"cba")
        )]
    );
    assert!(
        h.events().is_empty(),
        "no Event::Auth: the session answered"
    );

    h.server_sends(&connack(b"ok"));
    assert!(matches!(&h.events()[..], [Event::Connected(_)]));
    assert!(h.client.is_connected());
    assert_eq!(
        *calls.lock().unwrap(),
        ["start hello-1", "challenge abc", "finish ok"]
    );
}

#[test]
fn every_connection_starts_afresh() {
    let (mut h, calls) = harness(false);
    h.open();
    h.server_sends(&connack(b"ok"));
    h.events();
    h.client.handle_transport_closed(h.now);
    h.events();
    let Packet::Connect(connect) = h.open() else {
        panic!("CONNECT first")
    };
    assert_eq!(
        connect.properties.authentication_data.as_deref(),
        Some(&b"hello-2"[..])
    );
    assert_eq!(
        *calls.lock().unwrap(),
        ["start hello-1", "finish ok", "start hello-2"]
    );
}

#[test]
fn a_refused_challenge_ends_the_connection_with_implementation_specific_error() {
    let (mut h, _) = harness(true);
    h.open();
    h.server_sends(&auth(
        ReasonCode::CONTINUE_AUTHENTICATION,
        METHOD,
        Some(b"abc"),
    ));
    // A client may not send Not Authorized: 0x83 is the closest it may say.
    assert_eq!(
        h.sent(),
        [Disconnect::new(ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR).into()]
    );
    assert_eq!(
        disconnected(&mut h),
        DisconnectReason::AuthenticationFailed(AuthFailed("bad challenge".into()))
    );
    assert!(!h.client.is_connected());
}

#[test]
fn a_server_that_does_not_prove_itself_is_left() {
    let (mut h, _) = harness(false);
    h.open();
    h.server_sends(&connack(b"trust me"));
    assert_eq!(
        h.sent(),
        [Disconnect::new(ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR).into()]
    );
    assert!(matches!(
        disconnected(&mut h),
        DisconnectReason::AuthenticationFailed(_)
    ));
    assert!(!h.client.is_connected());
}

#[test]
fn another_method_or_an_early_success_is_a_protocol_error() {
    for packet in [
        auth(ReasonCode::CONTINUE_AUTHENTICATION, "OTHER", Some(b"abc")),
        // The first authentication ends with CONNACK, not AUTH Success.
        auth(ReasonCode::SUCCESS, METHOD, None),
        // Re-authenticate is the client's code.
        auth(ReasonCode::RE_AUTHENTICATE, METHOD, None),
    ] {
        let (mut h, calls) = harness(false);
        h.open();
        h.server_sends(&packet);
        assert_eq!(
            h.sent(),
            [Disconnect::new(ReasonCode::PROTOCOL_ERROR).into()],
            "{packet:?}"
        );
        assert!(matches!(
            disconnected(&mut h),
            DisconnectReason::ProtocolViolation { .. }
        ));
        assert_eq!(*calls.lock().unwrap(), ["start hello-1"]);
    }
}

#[test]
fn re_authentication_ends_with_the_authenticators_finish() {
    let (mut h, calls) = harness(false);
    h.open();
    h.server_sends(&connack(b"ok"));
    h.events();
    let mut again = AuthProperties::default();
    again.authentication_method = Some(MqttString::from_static(METHOD));
    h.client.auth(ReasonCode::RE_AUTHENTICATE, again).unwrap();
    h.sent();
    h.server_sends(&auth(
        ReasonCode::CONTINUE_AUTHENTICATION,
        METHOD,
        Some(b"xy"),
    ));
    assert_eq!(
        h.sent(),
        [auth(
            ReasonCode::CONTINUE_AUTHENTICATION,
            METHOD,
            Some(b"yx")
        )]
    );
    h.server_sends(&auth(ReasonCode::SUCCESS, METHOD, Some(b"ok")));
    assert!(h.sent().is_empty());
    assert!(h.events().is_empty());
    assert!(h.client.is_connected());
    assert_eq!(calls.lock().unwrap().last().unwrap(), "finish ok");
}

#[test]
fn an_authentication_failure_stops_the_supervisor_unless_credentials_changed() {
    let end = End::Reason(DisconnectReason::AuthenticationFailed(AuthFailed(
        "bad challenge".into(),
    )));
    assert!(end.is_fatal());
    let config = Harness::config(ProtocolVersion::V5);
    let mut s: Supervisor<()> = Supervisor::new(config.clone(), Policy::default());
    assert_eq!(
        s.handle_end(mqtt_sansio::Instant::ZERO, &end, false, false, 0),
        Next::Stop
    );
    let mut s: Supervisor<()> = Supervisor::new(config, Policy::default());
    assert!(matches!(
        s.handle_end(mqtt_sansio::Instant::ZERO, &end, false, true, 0),
        Next::Retry(_)
    ));
}
