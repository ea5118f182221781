//! TLS with rustls against Mosquitto: a trusted CA connects; an unknown CA, a wrong name and a
//! missing file fail with errors that say so.

mod common;

use common::{Mosquitto, Pki, within};
use mqtt_proto::QoS;
use mqtt_tokio::{Error, Options, Roots, TlsOptions, connect};

fn options(broker: &Mosquitto, tls: TlsOptions) -> Options {
    let mut options =
        Options::new(&format!("mqtts://127.0.0.1:{}", broker.port), "tls-client").unwrap();
    options.tls = tls;
    options.policy.reconnect = false;
    options
}

#[tokio::test]
async fn a_trusted_ca_connects_and_carries_messages() {
    let broker = Mosquitto::with_tls();
    let tls = TlsOptions::new().with_roots(Roots::CaFile(broker.ca_path()));
    let (client, mut messages, _events) = within("connect", connect(options(&broker, tls)))
        .await
        .unwrap();
    within("subscribe", client.subscribe("tls/#", QoS::AtLeastOnce))
        .await
        .unwrap();
    within(
        "publish",
        client.publish("tls/x", QoS::AtLeastOnce, false, "secret"),
    )
    .await
    .unwrap();
    let message = within("message", messages.recv()).await.unwrap();
    assert_eq!(message.payload(), b"secret");
    within("disconnect", client.disconnect()).await.unwrap();
}

#[tokio::test]
async fn an_unknown_ca_fails_verification() {
    let broker = Mosquitto::with_tls();
    let other = broker.dir().join("other-ca.pem");
    std::fs::write(&other, Pki::new("another CA").ca_pem()).unwrap();
    let tls = TlsOptions::new().with_roots(Roots::CaFile(other));
    let error = within("connect", connect(options(&broker, tls)))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Tls(rustls::Error::InvalidCertificate(_))),
        "verification fails: {error}"
    );
    assert!(error.to_string().contains("TLS"), "{error}");
}

#[tokio::test]
async fn a_name_the_certificate_does_not_cover_fails_verification() {
    let broker = Mosquitto::with_tls();
    let tls = TlsOptions::new()
        .with_roots(Roots::CaFile(broker.ca_path()))
        .with_server_name("broker.example");
    let error = within("connect", connect(options(&broker, tls)))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Tls(rustls::Error::InvalidCertificate(_))),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_ca_file_is_named_in_the_error() {
    let broker = Mosquitto::with_tls();
    let tls = TlsOptions::new().with_roots(Roots::CaFile("/nonexistent/ca.pem".into()));
    let error = connect(options(&broker, tls)).await.unwrap_err();
    assert!(
        matches!(error, Error::Certificate { ref path, .. } if path.ends_with("ca.pem")),
        "{error}"
    );
    assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
}

#[test]
fn tls_schemes_default_to_port_8883() {
    for scheme in ["mqtts", "tls"] {
        let options = Options::new(&format!("{scheme}://broker.example"), "c").unwrap();
        assert_eq!(options.brokers()[0].port(), Some(8883));
        assert!(options.brokers()[0].is_tls());
    }
    assert!(
        !Options::new("mqtt://broker.example", "c")
            .unwrap()
            .brokers()[0]
            .is_tls()
    );
}
