//! Command-line options shared by the `pub` and `sub` examples, spelled as `mosquitto_pub` and
//! `mosquitto_sub` spell them.

use std::collections::VecDeque;

use mqtt_proto::{MqttString, ProtocolVersion, QoS};
use mqtt_tokio::{Options, Roots};

/// What both examples accept.
pub(crate) struct Common {
    pub(crate) options: Options,
    pub(crate) topics: Vec<String>,
    pub(crate) qos: QoS,
    /// Options the caller handles itself, with their values.
    pub(crate) rest: VecDeque<String>,
}

pub(crate) const CONNECTION_HELP: &str = "\
connection:
  -L URL          broker address (mqtt://host:port, mqtts://host:port); default mqtt://localhost
  -h HOST -p PORT broker host and port instead of -L
  -i ID           client identifier; default: the example's name and process id
  -u USER -P PASS user name and password
  -V 5|311        protocol version; default 311
  -k SECONDS      keep alive; default 60
  --cafile FILE   trust this CA instead of the system's (implies TLS)
  --cert FILE --key FILE   client certificate and key (TLS)
  -t TOPIC        topic (publish) or filter (subscribe); repeatable for subscribe
  -q 0|1|2        QoS; default 0";

pub(crate) fn parse(name: &str) -> Result<Common, String> {
    let mut args: VecDeque<String> = std::env::args().skip(1).collect();
    let mut url = None;
    let (mut host, mut port) = (None, None);
    let mut id = format!("{name}-{}", std::process::id());
    let (mut user, mut password) = (None, None);
    let mut version = ProtocolVersion::V3_1_1;
    let mut keep_alive = 60;
    let (mut cafile, mut cert, mut key) = (None, None, None);
    let mut topics = Vec::new();
    let mut qos = QoS::AtMostOnce;
    let mut rest = VecDeque::new();
    while let Some(arg) = args.pop_front() {
        let mut value = || {
            args.pop_front()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "-L" => url = Some(value()?),
            "-h" => host = Some(value()?),
            "-p" => port = Some(value()?),
            "-i" => id = value()?,
            "-u" => user = Some(value()?),
            "-P" => password = Some(value()?),
            "-V" => {
                version = match value()?.as_str() {
                    "5" | "mqttv5" => ProtocolVersion::V5,
                    "311" | "mqttv311" => ProtocolVersion::V3_1_1,
                    other => return Err(format!("-V {other}: use 5 or 311")),
                };
            }
            "-k" => keep_alive = value()?.parse().map_err(|e| format!("-k: {e}"))?,
            "--cafile" => cafile = Some(value()?),
            "--cert" => cert = Some(value()?),
            "--key" => key = Some(value()?),
            "-t" => topics.push(value()?),
            "-q" => {
                let n: u8 = value()?.parse().map_err(|e| format!("-q: {e}"))?;
                qos = QoS::try_from(n).map_err(|e| format!("-q: {e}"))?;
            }
            _ => {
                rest.push_back(arg.clone());
                // The caller's options with a value keep it next to them.
                if matches!(arg.as_str(), "-m" | "-C" | "--repeat") {
                    rest.push_back(value()?);
                }
            }
        }
    }
    let tls = cafile.is_some() || cert.is_some();
    let url = match (url, host) {
        (Some(url), _) => url,
        (None, host) => format!(
            "{}://{}:{}",
            if tls { "mqtts" } else { "mqtt" },
            host.as_deref().unwrap_or("localhost"),
            port.as_deref().unwrap_or(if tls { "8883" } else { "1883" })
        ),
    };
    let mut options = Options::new(&url, &id).map_err(|e| e.to_string())?;
    options.config.version = version;
    options.config.keep_alive = std::time::Duration::from_secs(keep_alive);
    options.config.username = user
        .map(MqttString::new)
        .transpose()
        .map_err(|e| e.to_string())?;
    options.config.password = password.map(Into::into);
    if tls || options.tls.is_some() {
        let mut settings = options.tls.take().unwrap_or_default();
        if let Some(cafile) = cafile {
            settings = settings.with_roots(Roots::CaFile(cafile.into()));
        }
        if let (Some(cert), Some(key)) = (cert, key) {
            settings = settings.with_client_certificate(cert, key);
        }
        options.tls = Some(settings);
    }
    Ok(Common {
        options,
        topics,
        qos,
        rest,
    })
}
