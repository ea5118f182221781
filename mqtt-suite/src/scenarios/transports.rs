//! Transports: a Unix socket, HTTP and SOCKS5 proxies (real tinyproxy and microsocks), and
//! WebSocket (rumqttd's listener), each in every adapter.

use mqtt_driver::{Error, Proxy, ProxyError, ProxySetting, Roots, TlsOptions, WebSocketOptions};
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_sansio::ConnectionEvent;

use super::{WAIT, connected, options};
use crate::chaos::CuttingProxy;
use crate::{Adapter, Connection, Mosquitto, ProxyServer};

/// A subscription to `topic` and a message of each QoS back through it.
fn round_trip(client: &impl Connection, topic: &str) {
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let topic = format!("{topic}/{}", qos as u8);
        assert_eq!(client.subscribe(&topic, qos).unwrap(), qos);
        client.publish(&topic, qos, false, b"through").unwrap();
        let message = client.next_message(WAIT).expect("the message comes back");
        assert_eq!(message.topic(), topic);
        assert_eq!(message.payload(), b"through");
        assert_eq!(message.qos(), qos);
    }
}

/// Whether the connection was lost and made again within [`WAIT`].
fn reconnected(client: &impl Connection) -> bool {
    let deadline = std::time::Instant::now() + WAIT;
    let mut lost = false;
    loop {
        match client.next_event(deadline.saturating_duration_since(std::time::Instant::now())) {
            Some(ConnectionEvent::Disconnected(_)) => lost = true,
            Some(ConnectionEvent::Connected { .. }) if lost => return true,
            Some(_) => {}
            None => return false,
        }
    }
}

fn through(proxy: &str) -> ProxySetting {
    ProxySetting::Through(Proxy::parse(proxy).unwrap())
}

pub fn unix_socket_round_trips<A: Adapter>() {
    let broker = Mosquitto::with_unix_socket();
    let url = format!("unix://{}", broker.unix_socket().display());
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut o = options(&url, &format!("suite-unix-{}", version.level()));
        o.config.version = version;
        let client = connected::<A>(o);
        round_trip(&client, &format!("suite/unix/{}", version.level()));
        client.disconnect().unwrap();
    }
    let missing = options("unix:///nonexistent/mqtt.sock", "suite-unix-missing");
    let mut missing = missing;
    missing.policy.reconnect = false;
    match A::connect(missing) {
        Err(Error::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{e}"),
        Err(e) => panic!("not an I/O error: {e}"),
        Ok(_) => panic!("connected to a socket that does not exist"),
    }
}

/// MQTT over TCP through an HTTP proxy and over TLS through a SOCKS5 proxy, each asking for
/// credentials.
pub fn proxies_carry_tcp_and_tls<A: Adapter>() {
    let broker = Mosquitto::start();
    let http = ProxyServer::http(Some(("alice", "secret")));
    let mut o = options(&broker.url(), "suite-http-proxy");
    o.proxy = through(&http.url());
    let client = connected::<A>(o);
    round_trip(&client, "suite/http-proxy");
    client.disconnect().unwrap();
    assert!(
        http.log()
            .contains(&format!("): CONNECT 127.0.0.1:{} ", broker.port)),
        "the tunnel went through the proxy: {}",
        http.log()
    );

    let tls = Mosquitto::with_tls();
    let socks = ProxyServer::socks5(Some(("bob", "pw")));
    let mut o = options(
        &format!("mqtts://localhost:{}", tls.port),
        "suite-socks-proxy",
    );
    o.tls = TlsOptions::new().with_roots(Roots::CaFile(tls.ca_path()));
    o.proxy = through(&socks.url());
    let client = connected::<A>(o);
    round_trip(&client, "suite/socks-proxy");
    client.disconnect().unwrap();
}

/// Refusals: wrong credentials for each kind of proxy, a port the HTTP proxy does not open
/// tunnels to; each a typed error from `connect`.
pub fn proxies_that_refuse_are_typed_errors<A: Adapter>() {
    let broker = Mosquitto::start();
    let refused = |proxy: String| {
        let mut o = options(&broker.url(), "suite-refused-proxy");
        o.policy.reconnect = false;
        o.proxy = through(&proxy);
        match A::connect(o) {
            Err(Error::Proxy { error, proxy }) => {
                assert!(!proxy.contains("wrong"), "no password in {proxy}");
                error
            }
            Err(e) => panic!("not a proxy error: {e}"),
            Ok(_) => panic!("connected through a proxy that should refuse"),
        }
    };
    let http = ProxyServer::http(Some(("alice", "secret")));
    let error = refused(http.url_as("alice", "wrong"));
    assert!(
        matches!(error, ProxyError::AuthenticationRequired { .. }),
        "{error:?}"
    );
    let socks = ProxyServer::socks5(Some(("bob", "pw")));
    assert_eq!(
        refused(socks.url_as("bob", "wrong")),
        ProxyError::AuthenticationFailed
    );
    let https_only = ProxyServer::http_to_ports(&[443]);
    assert!(
        matches!(
            refused(https_only.url()),
            ProxyError::Refused { status: 403, .. }
        ),
        "{}",
        https_only.log()
    );
}

/// A proxy killed under a live connection: the client reconnects through it once it is back,
/// and no QoS 1 message `send` took is lost.
pub fn a_dropped_tunnel_reconnects_through_the_proxy<A: Adapter>() {
    let broker = Mosquitto::start();
    let mut proxy = ProxyServer::socks5(None);
    let mut o = options(&broker.url(), "suite-dropped-tunnel");
    o.proxy = through(&proxy.url());
    let client = connected::<A>(o);
    client
        .subscribe("suite/dropped-tunnel", QoS::AtLeastOnce)
        .unwrap();
    proxy.stop();
    let event = client.next_event(WAIT);
    assert!(
        matches!(event, Some(ConnectionEvent::Disconnected(_))),
        "{event:?}"
    );
    let topic = mqtt_proto::TopicName::new("suite/dropped-tunnel").unwrap();
    for n in 0..10_u8 {
        client
            .send(mqtt_sansio::Message::new(
                topic.clone(),
                QoS::AtLeastOnce,
                vec![n],
            ))
            .unwrap();
    }
    proxy.start_again();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let event =
            client.next_event(deadline.saturating_duration_since(std::time::Instant::now()));
        match event {
            Some(ConnectionEvent::Connected { .. }) => break,
            Some(_) => {}
            None => panic!("no reconnection through the proxy"),
        }
    }
    client.flush().unwrap();
    for n in 0..10_u8 {
        let message = client.next_message(WAIT).expect("every message");
        assert_eq!(message.payload(), [n]);
    }
    client.disconnect().unwrap();
}

/// MQTT over WebSocket to rumqttd (3.1.1): QoS 0/1/2 with extra headers; the connection cut
/// mid-packet by a TCP proxy and reconnected; then through an HTTP proxy.
pub fn websocket_round_trips_and_reconnects<A: Adapter>() {
    let ws = crate::rumqttd::websocket_broker();
    let cutter = CuttingProxy::start(ws, 7);
    let url = format!("ws://127.0.0.1:{}/mqtt", cutter.port);
    let mut o = options(&url, "suite-ws");
    o.config.version = ProtocolVersion::V3_1_1;
    o.websocket = WebSocketOptions::new().with_header("Authorization", "Bearer suite");
    let client = connected::<A>(o);
    round_trip(&client, "suite/ws");
    // Large enough for several frames of the driver's and rumqttd's.
    let big = vec![7_u8; 300_000];
    client.subscribe("suite/ws/big", QoS::AtLeastOnce).unwrap();
    client
        .publish("suite/ws/big", QoS::AtLeastOnce, false, &big)
        .unwrap();
    assert_eq!(client.next_message(WAIT).unwrap().payload(), &big[..]);

    cutter.cut(64);
    assert!(reconnected(&client), "no reconnection over WebSocket");
    round_trip(&client, "suite/ws/again");
    client.disconnect().unwrap();

    let http = ProxyServer::http(None);
    let mut o = options(&format!("ws://127.0.0.1:{ws}"), "suite-ws-proxy");
    o.config.version = ProtocolVersion::V3_1_1;
    o.proxy = through(&http.url());
    let client = connected::<A>(o);
    round_trip(&client, "suite/ws/proxy");
    client.disconnect().unwrap();

    // wss://: TLS under the WebSocket, through a TLS front (as a load balancer terminates
    // it), with the path and headers of the upgrade inside TLS.
    let (front, ca) = crate::tls_front::start(ws);
    let ca_file = std::env::temp_dir().join(format!(
        "mqtt-suite-front-{}-{front}.pem",
        std::process::id()
    ));
    std::fs::write(&ca_file, ca).unwrap();
    let mut o = options(&format!("wss://localhost:{front}/mqtt"), "suite-wss");
    o.config.version = ProtocolVersion::V3_1_1;
    o.tls = TlsOptions::new().with_roots(Roots::CaFile(ca_file.clone()));
    let client = connected::<A>(o);
    round_trip(&client, "suite/wss");
    client.disconnect().unwrap();
    let _ = std::fs::remove_file(ca_file);

    // A path the server does not upgrade is refused; the error says so.
    let plain = Mosquitto::start();
    let mut o = options(&format!("ws://127.0.0.1:{}", plain.port), "suite-ws-no");
    o.policy.reconnect = false;
    match A::connect(o) {
        Err(Error::WebSocket(e)) => assert!(e.to_string().contains("WebSocket"), "{e}"),
        Err(e) => panic!("not a WebSocket error: {e}"),
        Ok(_) => panic!("a WebSocket to an MQTT port"),
    }
}

/// TLS files: a client key encrypted with a password (none, or a wrong one, is a typed error
/// naming the file), and the certificate and key read again at each connection: rotated on
/// disk, the new identity is the one the broker sees after the next reconnect.
pub fn tls_files_are_read_at_each_connection<A: Adapter>() {
    let dir = std::env::temp_dir().join(format!(
        "mqtt-suite-rotation-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str| dir.join(name);
    let pki = crate::Pki::new("rotation CA");
    let (server, server_key) = pki.issue(&["localhost", "127.0.0.1"]);
    std::fs::write(file("ca.pem"), pki.ca_pem()).unwrap();
    std::fs::write(file("server.pem"), server).unwrap();
    std::fs::write(file("server.key"), server_key).unwrap();
    let issue = |cn: &str| {
        let (cert, key) = pki.issue_to(cn);
        std::fs::write(file("client.pem"), cert).unwrap();
        std::fs::write(file("client.key"), crate::Pki::encrypt_key(&key, "hunter2")).unwrap();
    };
    issue("first-identity");
    let mut broker = Mosquitto::with_config(&format!(
        "cafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\nuse_identity_as_username true",
        file("ca.pem").display(),
        file("server.pem").display(),
        file("server.key").display(),
    ));
    let tls = |password: Option<&str>| {
        let mut o = options(
            &format!("mqtts://localhost:{}", broker.port),
            "suite-rotation",
        );
        let mut tls = TlsOptions::new()
            .with_roots(Roots::CaFile(file("ca.pem")))
            .with_client_certificate(file("client.pem"), file("client.key"));
        if let Some(password) = password {
            tls = tls.with_key_password(password);
        }
        o.tls = tls;
        o
    };
    for (password, says) in [(None, "encrypted"), (Some("wrong"), "password")] {
        match A::connect(tls(password)) {
            Err(Error::Certificate { path, reason }) => {
                assert_eq!(path, file("client.key"));
                assert!(reason.contains(says), "{reason}");
            }
            Err(e) => panic!("not a certificate error: {e}"),
            Ok(_) => panic!("connected with a key it could not read"),
        }
    }
    let client = connected::<A>(tls(Some("hunter2")));
    assert!(
        broker.log().contains("u'first-identity'"),
        "{}",
        broker.log()
    );
    issue("second-identity");
    broker.restart();
    assert!(reconnected(&client), "no reconnection: {}", broker.log());
    assert!(
        broker.log().contains("u'second-identity'"),
        "the renewed certificate was used: {}",
        broker.log()
    );
    client.disconnect().unwrap();
    drop(broker);
    let _ = std::fs::remove_dir_all(dir);
}
