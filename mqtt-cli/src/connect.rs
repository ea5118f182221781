//! From the common options to the client's [`Options`]: the broker (or the `-L` URL), the
//! session, TLS, the will, and the properties of `-D`.

use std::time::Duration;

use bytes::Bytes;
use mqtt_blocking::{Options, Proxy, ProxySetting, Roots, TlsOptions};
use mqtt_proto::{LastWill, MqttString, ProtocolVersion, QoS, TopicName};

use crate::args::Common;
use crate::properties::Properties;

/// What the common options make: the client's options, the topic of a `-L` URL, and the
/// properties of the messages and subscriptions.
pub(crate) struct Setup {
    pub(crate) options: Options,
    pub(crate) url_topic: Option<String>,
    pub(crate) properties: Properties,
    pub(crate) qos: QoS,
}

fn version(name: &str) -> Result<ProtocolVersion, String> {
    match name {
        "5" | "mqttv5" => Ok(ProtocolVersion::V5),
        "311" | "mqttv311" => Ok(ProtocolVersion::V3_1_1),
        "31" | "mqttv31" => Ok(ProtocolVersion::V3_1),
        other => Err(format!(
            "-V {other}: the versions are 5, 311 and 31 (or mqttv5, mqttv311, mqttv31)"
        )),
    }
}

pub(crate) fn qos(value: u8) -> Result<QoS, String> {
    QoS::try_from(value).map_err(|_| format!("QoS {value}: 0, 1 or 2"))
}

/// A percent-decoded part of a URL.
fn decoded(part: &str) -> String {
    percent_encoding::percent_decode_str(part)
        .decode_utf8_lossy()
        .into_owned()
}

/// Where the broker is: its address, credentials and a topic from a `-L` URL.
struct Address {
    broker: String,
    credentials: Option<(String, Option<String>)>,
    topic: Option<String>,
}

/// The broker's address, credentials and topic: from `-L`, or from `-h`/`-p` and TLS.
fn address(common: &Common) -> Result<Address, String> {
    let tls = common.cafile.is_some() || common.cert.is_some();
    let Some(url) = &common.url else {
        let scheme = if tls { "mqtts" } else { "mqtt" };
        let host = if common.host.contains(':') {
            format!("[{}]", common.host)
        } else {
            common.host.clone()
        };
        let port = common.port.unwrap_or(if tls { 8883 } else { 1883 });
        return Ok(Address {
            broker: format!("{scheme}://{host}:{port}"),
            credentials: None,
            topic: None,
        });
    };
    let parsed = url::Url::parse(url).map_err(|e| format!("-L {url}: {e}"))?;
    let credentials = (!parsed.username().is_empty())
        .then(|| (decoded(parsed.username()), parsed.password().map(decoded)));
    let topic = parsed.path().trim_start_matches('/');
    let topic = (!topic.is_empty()).then(|| decoded(topic));
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("-L {url}: no host"))?;
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(Address {
        broker: format!("{}://{host}{port}", parsed.scheme()),
        credentials,
        topic,
    })
}

/// The client's options from the common options; `default_id` when `-i` is not given,
/// `reconnect` whether the client connects again after a lost connection.
pub(crate) fn setup(common: &Common, default_id: &str, reconnect: bool) -> Result<Setup, String> {
    let Address {
        broker: address,
        credentials: url_credentials,
        topic: url_topic,
    } = address(common)?;
    let id = common.id.as_deref().unwrap_or(default_id);
    let mut options = Options::new(&address, id).map_err(|e| e.to_string())?;
    let config = &mut options.config;
    config.version = version(&common.version)?;
    config.keep_alive = Duration::from_secs(u64::from(common.keepalive));
    config.clean_start = !common.keep_session;
    config.session_expiry_interval = common.session_expiry;
    let (username, password) = match url_credentials {
        Some((user, password)) => (Some(user), password),
        None => (common.username.clone(), common.password.clone()),
    };
    if let Some(username) = username {
        config.username = Some(MqttString::new(username).map_err(|e| e.to_string())?);
    }
    config.password = password.map(Bytes::from);
    if let Some(topic) = &common.will_topic {
        let mut will = LastWill::new(
            TopicName::new(topic.as_str()).map_err(|e| format!("--will-topic: {e}"))?,
            common.will_payload.clone(),
        );
        will.qos = qos(common.will_qos)?;
        will.retain = common.will_retain;
        config.will = Some(will);
    }
    let properties = Properties::parse(&common.properties, config.version.is_v5())?;
    properties.apply_connect(config)?;
    let mut settings = TlsOptions::new();
    if let Some(ca) = &common.cafile {
        settings = settings.with_roots(Roots::CaFile(ca.clone()));
    }
    match (&common.cert, &common.key) {
        (Some(cert), Some(key)) => settings = settings.with_client_certificate(cert, key),
        (None, None) => {}
        _ => return Err("--cert and --key go together".to_owned()),
    }
    options.tls = settings;
    options.proxy = match common.proxy.as_deref() {
        None => ProxySetting::FromEnvironment,
        Some("none") => ProxySetting::Direct,
        Some(url) => {
            ProxySetting::Through(Proxy::parse(url).map_err(|e| format!("--proxy {url}: {e}"))?)
        }
    };
    options.policy.reconnect = reconnect;
    Ok(Setup {
        options,
        url_topic,
        properties,
        qos: qos(common.qos)?,
    })
}
