//! The commands of a script, each a JSON object with a `cmd` field.

use core::time::Duration;

use bytes::Bytes;
use mqtt_proto::{
    AuthProperties, ConnectProperties, DisconnectProperties, LastWill, MqttString, PacketId,
    ProtocolVersion, PublishProperties, QoS, ReasonCode, RetainHandling, SubscribeOptions,
    SubscribeProperties, Subscription, TopicFilter, TopicName, UnsubscribeProperties,
    WillProperties,
};
use mqtt_sansio::{Client as Core, ClientError, Config, Message};
use serde_json::Value;

use crate::json::{JsonProperties, JsonValue, unhex};
use crate::probe::{Closing, Failure, Probe, Target};

/// Why a command did not succeed.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// It failed locally: an `error` event; exit status 1 unless `expect_error` follows.
    Failed(Failure),
    /// The command itself is malformed: exit status 2.
    Usage(String),
}

impl From<Failure> for Outcome {
    fn from(failure: Failure) -> Self {
        Self::Failed(failure)
    }
}

/// The usage error for a field that is not what it should be.
fn bad(field: &str, why: impl core::fmt::Display) -> Outcome {
    Outcome::Usage(format!("{field}: {why}"))
}

fn text<'a>(cmd: &'a Value, field: &str) -> Result<Option<&'a str>, Outcome> {
    match &cmd[field] {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(bad(field, format!("{other} is not a string"))),
    }
}

fn required<'a>(cmd: &'a Value, field: &str) -> Result<&'a str, Outcome> {
    text(cmd, field)?.ok_or_else(|| bad(field, "missing"))
}

fn value<T: JsonValue>(cmd: &Value, field: &str) -> Result<Option<T>, Outcome> {
    match &cmd[field] {
        Value::Null => Ok(None),
        v => T::from_json(v).map(Some).map_err(|e| bad(field, e)),
    }
}

fn properties<T: JsonProperties>(cmd: &Value) -> Result<T, Outcome> {
    T::from_json(&cmd["props"]).map_err(|e| bad("props", e))
}

fn reason(cmd: &Value) -> Result<ReasonCode, Outcome> {
    Ok(ReasonCode(
        value::<u16>(cmd, "reason")?.map_or(0, |r| r as u8),
    ))
}

fn millis(cmd: &Value, field: &str, default: u64) -> Result<Duration, Outcome> {
    let ms = value::<u32>(cmd, field)?.map_or(default, u64::from);
    Ok(Duration::from_millis(ms))
}

/// The error kind of a refusal of the session.
fn kind(error: &ClientError) -> &'static str {
    match error {
        ClientError::QosNotSupported { .. } => "qos_not_supported",
        ClientError::PacketTooLarge { .. } => "packet_too_large",
        ClientError::RetainNotSupported => "retain_not_supported",
        ClientError::TopicAliasInvalid { .. } => "topic_alias_invalid",
        ClientError::QueueFull(_) => "queue_full",
        ClientError::PacketIdsExhausted => "packet_ids_exhausted",
        ClientError::UnknownAck(_) => "unknown_ack",
        ClientError::WildcardSubscriptionsNotSupported => "wildcard_not_supported",
        ClientError::SharedSubscriptionsNotSupported => "shared_not_supported",
        ClientError::SubscriptionIdentifiersNotSupported => "subscription_id_not_supported",
        _ => "protocol",
    }
}

fn refused(error: &ClientError) -> Outcome {
    Outcome::Failed(Failure::new(kind(error), error.to_string()))
}

impl Probe {
    /// Runs one command (not `expect_error`, which the caller handles).
    pub(crate) async fn run(&mut self, name: &str, cmd: &Value) -> Result<(), Outcome> {
        match name {
            "connect" => self.connect(cmd).await,
            "publish" => self.publish(cmd).await,
            "subscribe" => self.subscribe(cmd).await,
            "unsubscribe" => self.unsubscribe(cmd).await,
            "disconnect" => self.disconnect(cmd).await,
            "drop" => {
                self.drop_link().await;
                Ok(())
            }
            "ack" => self.ack(cmd).await,
            "auth" => self.auth(cmd).await,
            "wait" => self.wait(cmd).await,
            "wait_closed" => self.wait_closed(cmd).await,
            "sleep" => {
                let until = tokio::time::Instant::now() + millis(cmd, "ms", 0)?;
                self.drive_until(until).await;
                Ok(())
            }
            other => Err(Outcome::Usage(format!("unknown command {other:?}"))),
        }
    }

    /// Drives the connection until `until`.
    pub(crate) async fn drive_until(&mut self, until: tokio::time::Instant) {
        while tokio::time::Instant::now() < until {
            let wake = self.wake(Some(until)).await;
            self.handle(wake).await;
        }
    }

    fn core(&mut self) -> Result<&mut Core, Outcome> {
        self.core
            .as_mut()
            .ok_or_else(|| Failure::new("protocol", "no session: connect first").into())
    }

    async fn connect(&mut self, cmd: &Value) -> Result<(), Outcome> {
        if self.is_open() {
            return Err(
                Failure::new("protocol", "already connected: disconnect or drop first").into(),
            );
        }
        let version = match value::<u16>(cmd, "version")?.unwrap_or(4) {
            3 => ProtocolVersion::V3_1,
            4 => ProtocolVersion::V3_1_1,
            5 => ProtocolVersion::V5,
            other => return Err(bad("version", format!("{other} is not 3, 4 or 5"))),
        };
        let client_id = MqttString::new(text(cmd, "client_id")?.unwrap_or("mqtt-probe"))
            .map_err(|e| bad("client_id", e))?;
        let mut config = Config::new(client_id).with_version(version);
        if let Some(clean) = value::<bool>(cmd, "clean")? {
            config.clean_start = clean;
        }
        if let Some(keep_alive) = value::<u16>(cmd, "keepalive")? {
            config.keep_alive = Duration::from_secs(u64::from(keep_alive));
        }
        if let Some(user) = text(cmd, "username")? {
            config.username = Some(MqttString::new(user).map_err(|e| bad("username", e))?);
        }
        if let Some(password) = text(cmd, "password")? {
            config.password = Some(Bytes::copy_from_slice(password.as_bytes()));
        }
        config.manual_acks = value::<bool>(cmd, "manual_acks")?.unwrap_or(false);
        if !cmd["will"].is_null() {
            config.will = Some(will(&cmd["will"])?);
        }
        config.set_connect_properties(&properties::<ConnectProperties>(cmd)?);
        let host = text(cmd, "host")?.unwrap_or("127.0.0.1").to_owned();
        let port = value::<u16>(cmd, "port")?.unwrap_or(1883);
        let tls = match &cmd["tls"] {
            Value::Null => None,
            tls => Some(tls_config(tls, &host)?),
        };
        let target = Target {
            host,
            port,
            tls,
            auto_reconnect: value::<bool>(cmd, "auto_reconnect")?.unwrap_or(false),
            suppress_pings: value::<bool>(cmd, "suppress_pings")?.unwrap_or(false),
        };
        match self.core.as_mut() {
            Some(core) => core.set_config(config).map_err(|e| refused(&e))?,
            None => self.core = Some(Core::new(config)),
        }
        self.target = Some(target.clone());
        self.open(&target).await?;
        Ok(())
    }

    async fn publish(&mut self, cmd: &Value) -> Result<(), Outcome> {
        let topic = TopicName::new(required(cmd, "topic")?)
            .map_err(|e| Failure::new("invalid_topic", e.to_string()))?;
        let payload = match (text(cmd, "payload")?, text(cmd, "payload_hex")?) {
            (_, Some(hex)) => Bytes::from(unhex(hex).map_err(|e| bad("payload_hex", e))?),
            (Some(text), None) => Bytes::copy_from_slice(text.as_bytes()),
            (None, None) => Bytes::new(),
        };
        let mut message = Message::new(
            topic,
            value::<QoS>(cmd, "qos")?.unwrap_or_default(),
            payload,
        );
        message.retain = value::<bool>(cmd, "retain")?.unwrap_or(false);
        message.properties = properties::<PublishProperties>(cmd)?.into();
        self.core()?.publish(message).map_err(|e| refused(&e))?;
        self.flush().await;
        Ok(())
    }

    async fn subscribe(&mut self, cmd: &Value) -> Result<(), Outcome> {
        let subs = cmd["subs"]
            .as_array()
            .ok_or_else(|| bad("subs", "missing or not a list"))?;
        let mut subscriptions = Vec::new();
        for sub in subs {
            let filter = TopicFilter::new(required(sub, "filter")?)
                .map_err(|e| Failure::new("invalid_topic", e.to_string()))?;
            let mut options = SubscribeOptions::new(value::<QoS>(sub, "qos")?.unwrap_or_default());
            options.no_local = value::<bool>(sub, "no_local")?.unwrap_or(false);
            options.retain_as_published =
                value::<bool>(sub, "retain_as_published")?.unwrap_or(false);
            options.retain_handling = match value::<u16>(sub, "retain_handling")?.unwrap_or(0) {
                0 => RetainHandling::SendAtSubscribe,
                1 => RetainHandling::SendIfNew,
                2 => RetainHandling::DoNotSend,
                other => return Err(bad("retain_handling", format!("{other} is not 0, 1 or 2"))),
            };
            let mut subscription = Subscription::new(filter, options.qos);
            subscription.options = options;
            subscriptions.push(subscription);
        }
        let props = properties::<SubscribeProperties>(cmd)?;
        self.core()?
            .subscribe(subscriptions, props)
            .map_err(|e| refused(&e))?;
        self.flush().await;
        Ok(())
    }

    async fn unsubscribe(&mut self, cmd: &Value) -> Result<(), Outcome> {
        let filters = cmd["filters"]
            .as_array()
            .ok_or_else(|| bad("filters", "missing or not a list"))?
            .iter()
            .map(|f| {
                let f = f.as_str().ok_or_else(|| bad("filters", "not a string"))?;
                TopicFilter::new(f).map_err(|e| Failure::new("invalid_topic", e.to_string()).into())
            })
            .collect::<Result<Vec<_>, Outcome>>()?;
        let props = properties::<UnsubscribeProperties>(cmd)?;
        self.core()?
            .unsubscribe(filters, props)
            .map_err(|e| refused(&e))?;
        self.flush().await;
        Ok(())
    }

    async fn disconnect(&mut self, cmd: &Value) -> Result<(), Outcome> {
        let code = reason(cmd)?;
        let props = properties::<DisconnectProperties>(cmd)?;
        if !self.is_open() {
            return Err(Failure::new("protocol", "not connected").into());
        }
        self.closing(Closing::Disconnect(code));
        self.core()?
            .disconnect_with(code, props)
            .map_err(|e| refused(&e))?;
        self.flush().await;
        Ok(())
    }

    async fn ack(&mut self, cmd: &Value) -> Result<(), Outcome> {
        let id = value::<u16>(cmd, "pkid")?
            .and_then(PacketId::new)
            .ok_or_else(|| bad("pkid", "missing or 0"))?;
        self.core()?.ack(id).map_err(|e| refused(&e))?;
        self.flush().await;
        Ok(())
    }

    async fn auth(&mut self, cmd: &Value) -> Result<(), Outcome> {
        let code = reason(cmd)?;
        let props = properties::<AuthProperties>(cmd)?;
        self.core()?.auth(code, props).map_err(|e| refused(&e))?;
        self.flush().await;
        Ok(())
    }

    async fn wait(&mut self, cmd: &Value) -> Result<(), Outcome> {
        let kind = required(cmd, "event")?.to_owned();
        let pattern = match &cmd["match"] {
            Value::Null => Value::Object(serde_json::Map::new()),
            m @ Value::Object(_) => m.clone(),
            other => return Err(bad("match", format!("{other} is not an object"))),
        };
        let until = tokio::time::Instant::now() + millis(cmd, "timeout_ms", 10_000)?;
        loop {
            if self.take(&kind, &pattern).is_some() {
                return Ok(());
            }
            if !self.is_open() && !self.reconnecting() && kind != "disconnected" {
                return Err(Failure::new(
                    "closed",
                    format!("the connection closed before a {kind} event"),
                )
                .into());
            }
            if tokio::time::Instant::now() >= until {
                return Err(
                    Failure::new("timeout", format!("no {kind} event matching {pattern}")).into(),
                );
            }
            let wake = self.wake(Some(until)).await;
            self.handle(wake).await;
        }
    }

    async fn wait_closed(&mut self, cmd: &Value) -> Result<(), Outcome> {
        let until = tokio::time::Instant::now() + millis(cmd, "timeout_ms", 10_000)?;
        while self.is_open() {
            if tokio::time::Instant::now() >= until {
                return Err(Failure::new("timeout", "the connection is still open").into());
            }
            let wake = self.wake(Some(until)).await;
            self.handle(wake).await;
        }
        Ok(())
    }

    /// Keeps the connection until it closes (the peer closes it, or the keepalive fails).
    pub(crate) async fn linger(&mut self) {
        if let Some(target) = self.target.as_mut() {
            target.auto_reconnect = false;
        }
        while self.is_open() {
            let wake = self.wake(None).await;
            self.handle(wake).await;
        }
    }

    /// Connects as the session loop does: client identifier `fuzzish`, keep alive 60 s, and
    /// for 5.0 exactly one CONNECT property, Receive Maximum 20.
    pub(crate) async fn connect_fuzzish(
        &mut self,
        port: u16,
        version: u16,
        clean: bool,
    ) -> Result<(), Outcome> {
        let mut cmd = serde_json::json!({"cmd": "connect", "port": port, "version": version,
            "clean": clean, "client_id": "fuzzish", "keepalive": 60});
        if version == 5 {
            cmd["props"] = serde_json::json!({"receive_maximum": 20});
        }
        self.connect(&cmd).await
    }
}

/// The will of a `connect` command.
fn will(will: &Value) -> Result<LastWill, Outcome> {
    let topic = TopicName::new(required(will, "topic")?).map_err(|e| bad("will.topic", e))?;
    let payload = match (text(will, "payload")?, text(will, "payload_hex")?) {
        (_, Some(hex)) => Bytes::from(unhex(hex).map_err(|e| bad("will.payload_hex", e))?),
        (Some(text), None) => Bytes::copy_from_slice(text.as_bytes()),
        (None, None) => Bytes::new(),
    };
    let mut last = LastWill::new(topic, payload);
    last.qos = value::<QoS>(will, "qos")?.unwrap_or_default();
    last.retain = value::<bool>(will, "retain")?.unwrap_or(false);
    last.properties = WillProperties::from_json(&will["props"])
        .map_err(|e| bad("will.props", e))?
        .into();
    Ok(last)
}

/// The rustls configuration of a `tls` object.
fn tls_config(
    tls: &Value,
    host: &str,
) -> Result<
    (
        std::sync::Arc<rustls::ClientConfig>,
        rustls::pki_types::ServerName<'static>,
    ),
    Outcome,
> {
    if text(tls, "key_password")?.is_some() {
        return Err(Failure::new(
            "tls",
            "encrypted private keys are not supported: decrypt it (openssl pkey -in key.pem -out plain.pem)",
        )
        .into());
    }
    let mut options = mqtt_tokio::TlsOptions::new();
    if let Some(ca) = text(tls, "ca")? {
        options = options.with_roots(mqtt_tokio::Roots::CaFile(ca.into()));
    }
    match (text(tls, "cert")?, text(tls, "key")?) {
        (Some(cert), Some(key)) => options = options.with_client_certificate(cert, key),
        (None, None) => {}
        _ => return Err(bad("tls", "cert and key go together")),
    }
    if let Some(name) = text(tls, "server_name")? {
        options = options.with_server_name(name);
    }
    options
        .client_config(host)
        .map_err(|e| Failure::new("tls", e.to_string()).into())
}
