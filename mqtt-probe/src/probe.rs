//! The probe's state: one session, at most one transport, and every event it wrote.
//!
//! Driving is split in two so that waiting can be cancelled safely: [`Probe::wake`] only waits
//! for the socket or a timer (and can be dropped at any point), [`Probe::handle`] then acts on
//! what woke it and writes what the session has to send.

use std::io::Write as _;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use core::time::Duration;
use mqtt_proto::{Limits, Packet, ProtocolVersion, QoS, ReasonCode};
use mqtt_sansio::{
    Client as Core, DisconnectReason, End, Event, Instant, Next, Policy, Reconnect, Timer,
};
use mqtt_tokio::Jitter;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;

use crate::json::{JsonProperties, hex};

/// A byte stream: TCP, or TLS over TCP.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Where to connect again, and how the connection behaves.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: Option<(
        Arc<rustls::ClientConfig>,
        rustls::pki_types::ServerName<'static>,
    )>,
    pub(crate) auto_reconnect: bool,
    pub(crate) suppress_pings: bool,
}

/// A command that failed locally: an `error` event, and exit status 1 unless expected.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) kind: &'static str,
    pub(crate) detail: String,
}

impl Failure {
    pub(crate) fn new(kind: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

/// The open transport.
struct Link {
    reader: ReadHalf<Box<dyn Io>>,
    writer: WriteHalf<Box<dyn Io>>,
    read_buf: BytesMut,
    write_buf: BytesMut,
}

/// How this probe is ending its connection.
#[derive(Clone, Copy)]
pub(crate) enum Closing {
    /// A DISCONNECT with this reason code.
    Disconnect(ReasonCode),
    /// The socket closed without DISCONNECT.
    Drop,
}

/// What ended a wait for the socket or a timer.
pub(crate) enum Wake {
    Read(std::io::Result<usize>),
    Timer,
}

/// An event written, and whether a `wait` took it.
struct Logged {
    kind: String,
    event: Value,
    taken: bool,
}

pub(crate) struct Probe {
    pub(crate) core: Option<Core>,
    link: Option<Link>,
    pub(crate) target: Option<Target>,
    log: Vec<Logged>,
    origin: tokio::time::Instant,
    /// Set while the connection ends by this probe's doing.
    closing: Option<Closing>,
    reconnect_at: Option<tokio::time::Instant>,
    /// The adapters' reconnect decision, with their default policy.
    reconnect: Reconnect,
    jitter: Jitter,
}

impl Probe {
    pub(crate) fn new() -> Self {
        Self {
            core: None,
            link: None,
            target: None,
            log: Vec::new(),
            origin: tokio::time::Instant::now(),
            closing: None,
            reconnect_at: None,
            reconnect: Reconnect::new(&Policy::default()),
            jitter: Jitter::random(),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        let nanos = self.origin.elapsed().as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    fn version(&self) -> ProtocolVersion {
        self.core
            .as_ref()
            .map_or(ProtocolVersion::V3_1_1, |core| core.config().version)
    }

    /// Writes an event as one JSON line, flushed, and keeps it for `wait`.
    pub(crate) fn emit(&mut self, event: Value) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{event}");
        let _ = stdout.flush();
        let kind = event["event"].as_str().unwrap_or_default().to_owned();
        self.log.push(Logged {
            kind,
            event,
            taken: false,
        });
    }

    /// Takes the first event of `kind` not taken yet whose fields include `pattern`.
    pub(crate) fn take(&mut self, kind: &str, pattern: &Value) -> Option<Value> {
        let found = self
            .log
            .iter_mut()
            .find(|l| !l.taken && l.kind == kind && includes(&l.event, pattern))?;
        found.taken = true;
        Some(found.event.clone())
    }

    /// Whether a transport is open.
    pub(crate) fn is_open(&self) -> bool {
        self.link.is_some()
    }

    /// Whether a lost connection will be made again.
    pub(crate) fn reconnecting(&self) -> bool {
        self.reconnect_at.is_some()
    }

    /// Opens the transport to `target` and sends CONNECT.
    pub(crate) async fn open(&mut self, target: &Target) -> Result<(), Failure> {
        let tcp = tokio::time::timeout(
            Duration::from_secs(10),
            TcpStream::connect((target.host.as_str(), target.port)),
        )
        .await
        .map_err(|_| Failure::new("io", "TCP connect timed out"))?
        .map_err(|e| Failure::new("io", e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Io> = match &target.tls {
            None => Box::new(tcp),
            Some((config, name)) => {
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                let tls = tokio::time::timeout(
                    Duration::from_secs(10),
                    connector.connect(name.clone(), tcp),
                )
                .await
                .map_err(|_| Failure::new("tls", "TLS handshake timed out"))?
                .map_err(|e| Failure::new("tls", e.to_string()))?;
                Box::new(tls)
            }
        };
        let (reader, writer) = tokio::io::split(stream);
        self.link = Some(Link {
            reader,
            writer,
            read_buf: BytesMut::with_capacity(64 * 1024),
            write_buf: BytesMut::new(),
        });
        self.closing = None;
        self.reconnect_at = None;
        let now = self.now();
        if let Some(core) = self.core.as_mut() {
            core.handle_transport_open(now);
        }
        // A CONNECT the version cannot carry fails here, before anything is sent.
        let mut events = Vec::new();
        if let Some(core) = self.core.as_mut() {
            while let Some(event) = core.poll_event() {
                events.push(event);
            }
        }
        for event in events {
            if let Event::Disconnected(DisconnectReason::InvalidConnect(e)) = event {
                self.link = None;
                return Err(Failure::new("protocol", e.to_string()));
            }
        }
        self.flush().await;
        Ok(())
    }

    /// Drops the session and the reconnect state: the next `connect` starts a new client.
    pub(crate) fn forget_session(&mut self) {
        self.core = None;
        self.target = None;
        self.reconnect_at = None;
        self.reconnect = Reconnect::new(&Policy::default());
    }

    /// Ends the connection by this probe's doing.
    pub(crate) fn closing(&mut self, how: Closing) {
        self.closing = Some(how);
        self.reconnect_at = None;
    }

    /// Closes the socket now, without DISCONNECT.
    pub(crate) async fn drop_link(&mut self) {
        self.closing(Closing::Drop);
        let now = self.now();
        if let Some(core) = self.core.as_mut() {
            core.handle_transport_closed(now);
        }
        self.flush().await;
        self.link = None;
    }

    /// When the session's timer is next due, unless it is a PINGREQ the probe suppresses.
    fn deadline(&self) -> Option<tokio::time::Instant> {
        let core = self.core.as_ref()?;
        let suppress = self.target.as_ref().is_some_and(|t| t.suppress_pings);
        if suppress && core.timer() == Some(Timer::KeepAlive) {
            return None;
        }
        self.link.as_ref()?;
        core.poll_timeout()
            .map(|t| self.origin + Duration::from_nanos(t.as_nanos()))
    }

    /// Waits for bytes, a timer, or `until`. Cancel safe.
    pub(crate) async fn wake(&mut self, until: Option<tokio::time::Instant>) -> Wake {
        let deadline = [self.deadline(), self.reconnect_at, until]
            .into_iter()
            .flatten()
            .min();
        let read = async {
            match self.link.as_mut() {
                Some(link) => {
                    link.read_buf.reserve(16 * 1024);
                    link.reader.read_buf(&mut link.read_buf).await
                }
                None => std::future::pending().await,
            }
        };
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = read => Wake::Read(read),
            () = sleep => Wake::Timer,
        }
    }

    /// Acts on a wake-up: feeds bytes, fires timers, reconnects; then writes.
    pub(crate) async fn handle(&mut self, wake: Wake) {
        let now = self.now();
        match wake {
            Wake::Read(Ok(0) | Err(_)) => {
                if let Some(core) = self.core.as_mut() {
                    core.handle_transport_closed(now);
                }
            }
            Wake::Read(Ok(_)) => {
                if let (Some(core), Some(link)) = (self.core.as_mut(), self.link.as_mut()) {
                    core.handle_read_buf(now, &mut link.read_buf);
                }
            }
            Wake::Timer => {
                if self
                    .deadline()
                    .is_some_and(|d| d <= tokio::time::Instant::now())
                {
                    if let Some(core) = self.core.as_mut() {
                        core.handle_timeout(now);
                    }
                }
                if self
                    .reconnect_at
                    .is_some_and(|at| at <= tokio::time::Instant::now())
                {
                    self.reconnect_at = None;
                    if let Some(target) = self.target.clone() {
                        if let Err(failure) = self.open(&target).await {
                            self.emit(json!({"event": "error", "cmd": "reconnect",
                                "kind": failure.kind, "detail": failure.detail}));
                            self.schedule_reconnect(&End::Unreachable);
                        }
                    }
                }
            }
        }
        self.flush().await;
    }

    /// Connects again when the policy says so, after its delay; says so when it does not.
    fn schedule_reconnect(&mut self, end: &End) {
        let now = self.now();
        match self
            .reconnect
            .next(now, end, false, false, self.jitter.next())
        {
            Next::Retry(delay) => {
                self.reconnect_at = Some(tokio::time::Instant::now() + delay);
            }
            _ => {
                self.emit(json!({"event": "reconnect_stopped", "detail": format!("{end:?}")}));
            }
        }
    }

    /// Reports the session's events and writes what it has to send, in the order they
    /// happened: events first (a message before the PUBACK that answers it), the end of the
    /// connection last (after its DISCONNECT is written). Repeats while either gives more.
    pub(crate) async fn flush(&mut self) {
        loop {
            let now = self.now();
            let Some(core) = self.core.as_mut() else {
                return;
            };
            let mut events = Vec::new();
            while let Some(event) = core.poll_event() {
                events.push(event);
            }
            let mut bytes = None;
            if let Some(link) = self.link.as_mut() {
                while core.poll_transmit(now, &mut link.write_buf) {}
                if !link.write_buf.is_empty() {
                    bytes = Some(link.write_buf.split().freeze());
                }
            }
            let end = events
                .iter()
                .position(|e| matches!(e, Event::Disconnected(_)))
                .map(|i| events.split_off(i));
            let progressed = bytes.is_some() || !events.is_empty() || end.is_some();
            for event in events {
                self.on_event(event).await;
            }
            if let (Some(bytes), Some(link)) = (bytes, self.link.as_mut()) {
                let result = async {
                    link.writer.write_all(&bytes).await?;
                    link.writer.flush().await
                }
                .await;
                match result {
                    Ok(()) => self.report_written(&bytes),
                    Err(_) => {
                        if let Some(core) = self.core.as_mut() {
                            core.handle_transport_closed(now);
                        }
                    }
                }
            }
            for event in end.into_iter().flatten() {
                self.on_event(event).await;
            }
            if !progressed {
                return;
            }
        }
    }

    /// Events for what a write carried: an inbound message's PUBACK or PUBCOMP, a QoS 0
    /// PUBLISH.
    fn report_written(&mut self, bytes: &Bytes) {
        let mut rest = BytesMut::from(&bytes[..]);
        let version = self.version();
        while let Ok(Some(packet)) = Packet::decode(version, &mut rest, &Limits::new()) {
            match packet {
                Packet::PubAck(ack) => {
                    self.emit(json!({"event": "inbound_complete", "pkid": ack.packet_id.get()}));
                }
                Packet::PubComp(ack) => {
                    self.emit(json!({"event": "inbound_complete", "pkid": ack.packet_id.get()}));
                }
                Packet::Publish(p) if p.qos() == QoS::AtMostOnce => {
                    self.emit(json!({"event": "published", "pkid": null, "qos": 0,
                        "reason": 0, "props": {}}));
                }
                _ => {}
            }
        }
    }

    /// The reason code as the version writes it: 3.x CONNACK return codes as such.
    fn connack_code(&self, code: ReasonCode) -> u8 {
        if self.version().is_v5() {
            code.0
        } else {
            code.to_v3_connack().unwrap_or(code.0)
        }
    }

    async fn on_event(&mut self, event: Event) {
        match event {
            Event::Connected(connected) => {
                let now = self.now();
                self.reconnect.handle_connected(now);
                let connack = connected.connack;
                self.emit(json!({"event": "connack",
                    "session_present": connack.session_present,
                    "reason": self.connack_code(connack.reason_code),
                    "props": connack.properties.to_json()}));
            }
            Event::Message(p) => {
                let pkid = p.qos_pid.packet_id().map(mqtt_proto::PacketId::get);
                self.emit(json!({"event": "message", "topic": p.topic(),
                    "payload_hex": hex(p.payload()), "qos": p.qos() as u8, "retain": p.retain,
                    "dup": p.dup, "pkid": pkid, "props": p.properties.to_json()}));
            }
            Event::Published {
                packet_id,
                qos,
                reason_code,
                properties,
            } => {
                self.emit(json!({"event": "published", "pkid": packet_id.get(),
                    "qos": qos as u8, "reason": reason_code.0, "props": properties.to_json()}));
            }
            Event::Subscribed {
                packet_id,
                reason_codes,
                properties,
            } => {
                let reasons: Vec<u8> = reason_codes.iter().map(|c| c.0).collect();
                self.emit(json!({"event": "suback", "pkid": packet_id.get(),
                    "reasons": reasons, "props": properties.to_json()}));
            }
            Event::Unsubscribed {
                packet_id,
                reason_codes,
                properties,
            } => {
                let reasons: Vec<u8> = reason_codes.iter().map(|c| c.0).collect();
                self.emit(json!({"event": "unsuback", "pkid": packet_id.get(),
                    "reasons": reasons, "props": properties.to_json()}));
            }
            Event::Auth {
                reason_code,
                properties,
            } => {
                self.emit(json!({"event": "auth", "reason": reason_code.0,
                    "props": properties.to_json()}));
            }
            Event::Disconnected(reason) => self.disconnected(reason).await,
            _ => {}
        }
    }

    async fn disconnected(&mut self, reason: DisconnectReason) {
        let ours = self.closing.take();
        let event = match (&reason, ours) {
            (DisconnectReason::Refused(connack), _) => {
                self.emit(json!({"event": "connack",
                    "session_present": connack.session_present,
                    "reason": self.connack_code(connack.reason_code),
                    "props": connack.properties.to_json()}));
                json!({"event": "disconnected", "by_peer": true,
                    "reason": self.connack_code(connack.reason_code), "props": {}})
            }
            (DisconnectReason::ByServer(d), _) => {
                json!({"event": "disconnected", "by_peer": true, "reason": d.reason_code.0,
                    "props": d.properties.to_json()})
            }
            (_, Some(Closing::Disconnect(code))) => {
                json!({"event": "disconnected", "by_peer": false, "reason": code.0, "props": {}})
            }
            (_, Some(Closing::Drop)) => {
                json!({"event": "disconnected", "by_peer": false, "reason": null, "props": {}})
            }
            (DisconnectReason::TransportClosed, None) => {
                json!({"event": "disconnected", "by_peer": true, "reason": null, "props": {}})
            }
            (DisconnectReason::ProtocolViolation { reason_code, error }, None) => {
                let detail = error.as_ref().map(ToString::to_string);
                json!({"event": "disconnected", "by_peer": false, "reason": reason_code.0,
                    "props": {}, "detail": detail})
            }
            (other, None) => {
                json!({"event": "disconnected", "by_peer": false, "reason": null,
                    "props": {}, "detail": format!("{other:?}")})
            }
        };
        if let Some(mut link) = self.link.take() {
            // Anything still to send (a DISCONNECT) went out in `flush` before this event.
            let _ = tokio::time::timeout(Duration::from_secs(1), link.writer.shutdown()).await;
        }
        self.emit(event);
        let by_us = matches!(reason, DisconnectReason::ByClient) || ours.is_some();
        if !by_us && self.target.as_ref().is_some_and(|t| t.auto_reconnect) {
            self.schedule_reconnect(&End::Reason(reason));
        }
    }
}

/// Whether `event` has every field of `pattern` with the same value (objects recursively,
/// numbers by value).
pub(crate) fn includes(event: &Value, pattern: &Value) -> bool {
    match (event, pattern) {
        (Value::Object(e), Value::Object(p)) => p
            .iter()
            .all(|(k, v)| e.get(k).is_some_and(|ev| includes(ev, v))),
        (Value::Array(e), Value::Array(p)) => {
            e.len() == p.len() && e.iter().zip(p).all(|(ev, pv)| includes(ev, pv))
        }
        (Value::Number(e), Value::Number(p)) => e.as_f64() == p.as_f64(),
        (e, p) => e == p,
    }
}

#[cfg(test)]
mod tests {
    use super::includes;
    use serde_json::json;

    #[test]
    fn a_pattern_matches_a_subset_of_fields() {
        let event = json!({"event": "message", "topic": "a/b", "qos": 1,
            "props": {"user_property": [["k", "v"]], "content_type": "x"}});
        assert!(includes(&event, &json!({})));
        assert!(includes(&event, &json!({"topic": "a/b", "qos": 1.0})));
        assert!(includes(&event, &json!({"props": {"content_type": "x"}})));
        assert!(!includes(&event, &json!({"topic": "a/c"})));
        assert!(!includes(&event, &json!({"retain": false})));
        assert!(!includes(&event, &json!({"props": {"user_property": []}})));
    }
}
