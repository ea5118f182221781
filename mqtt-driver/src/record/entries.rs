//! The records of the journal's entries: how each is written, and read back (the table of
//! [`record`](super)).

use bytes::{Buf, BufMut, Bytes, BytesMut};
use mqtt_proto::{
    Auth, Disconnect, Limits, MqttString, Packet, PacketId, ProtocolVersion, Publish, QosPid,
    Subscribe, TopicName, Unsubscribe,
};
use mqtt_sansio::{Entry, Instant, Message, Stored, StoredMessage};

pub(super) const OPEN: u8 = 0x10;
pub(super) const READ: u8 = 0x11;
pub(super) const READ_BUF: u8 = 0x12;
pub(super) const CLOSED: u8 = 0x13;
pub(super) const TIMEOUT: u8 = 0x14;
pub(super) const WRITE_PROGRESS: u8 = 0x15;
pub(super) const READ_PAUSED: u8 = 0x16;
pub(super) const READ_RESUMED: u8 = 0x17;
pub(super) const TRANSMIT: u8 = 0x18;
pub(super) const PUBLISH: u8 = 0x20;
pub(super) const REFUSED: u8 = 0x21;
pub(super) const SUBSCRIBE: u8 = 0x22;
pub(super) const UNSUBSCRIBE: u8 = 0x23;
pub(super) const ACK: u8 = 0x24;
pub(super) const AUTH: u8 = 0x25;
pub(super) const REAUTHENTICATE: u8 = 0x26;
pub(super) const DISCONNECT: u8 = 0x27;
pub(super) const CREDENTIALS: u8 = 0x28;
pub(super) const RESTORE: u8 = 0x29;
pub(super) const VERSION: u8 = 0x2a;
pub(super) const EVENT: u8 = 0x30;

/// The placeholder packet identifier of recorded commands: the session chooses the real one.
pub(super) const PLACEHOLDER: PacketId = PacketId::MAX;

/// What a recording hides: the password of the CONNECT that follows a transport open.
#[derive(Debug, Default)]
pub(super) struct Redaction {
    /// The password of the next CONNECT.
    password: Option<Bytes>,
    /// The next transmit starts with a CONNECT.
    connecting: bool,
}

impl Redaction {
    pub(super) fn new(password: Option<Bytes>) -> Self {
        Self {
            password,
            connecting: false,
        }
    }
}

/// The kind and body of the record of `entry`.
pub(super) fn encode(entry: &Entry, redaction: &mut Redaction) -> (u8, Vec<u8>) {
    if let Some(record) = encode_timed(entry, redaction) {
        return record;
    }
    encode_command(entry, redaction)
}

/// The inputs with an instant, and the transmits.
fn encode_timed(entry: &Entry, redaction: &mut Redaction) -> Option<(u8, Vec<u8>)> {
    let (kind, at, bytes) = match entry {
        Entry::TransportOpen(t) => {
            redaction.connecting = true;
            (OPEN, t, None)
        }
        Entry::Read(t, bytes) => (READ, t, Some(bytes)),
        Entry::ReadBuf(t, bytes) => (READ_BUF, t, Some(bytes)),
        Entry::TransportClosed(t) => (CLOSED, t, None),
        Entry::Timeout(t) => (TIMEOUT, t, None),
        Entry::WriteProgress(t) => (WRITE_PROGRESS, t, None),
        Entry::ReadPaused(t) => (READ_PAUSED, t, None),
        Entry::ReadResumed(t) => (READ_RESUMED, t, None),
        Entry::Transmit(t, bytes) => (TRANSMIT, t, Some(bytes)),
        _ => return None,
    };
    let mut body = Vec::with_capacity(8 + bytes.map_or(0, Bytes::len));
    body.put_u64(at.as_nanos());
    if let Some(bytes) = bytes {
        body.extend_from_slice(bytes);
        if kind == TRANSMIT && redaction.connecting && !bytes.is_empty() {
            redaction.connecting = false;
            let connect = body.get_mut(8..).unwrap_or_default();
            redact_connect(connect, redaction.password.as_deref());
        }
    }
    Some((kind, body))
}

/// The commands, the credentials and the events.
fn encode_command(entry: &Entry, redaction: &mut Redaction) -> (u8, Vec<u8>) {
    let mut body = Vec::new();
    let kind = match entry {
        Entry::Publish(message) => match encode_message(message) {
            Some(bytes) => {
                body = bytes;
                PUBLISH
            }
            None => REFUSED,
        },
        Entry::Subscribe(subscriptions, properties) => {
            let mut subscribe = Subscribe::new(PLACEHOLDER, subscriptions.clone());
            *subscribe.properties = properties.clone();
            packet_or_refused(&Packet::Subscribe(subscribe), SUBSCRIBE, &mut body)
        }
        Entry::Unsubscribe(filters, properties) => {
            let mut unsubscribe = Unsubscribe::new(PLACEHOLDER, filters.clone());
            *unsubscribe.properties = properties.clone();
            packet_or_refused(&Packet::Unsubscribe(unsubscribe), UNSUBSCRIBE, &mut body)
        }
        Entry::Ack(id) => {
            body.put_u16(id.get());
            ACK
        }
        Entry::Auth(code, properties) => {
            let mut auth = Auth::new(*code);
            *auth.properties = properties.clone();
            packet_or_refused(&Packet::Auth(auth), AUTH, &mut body)
        }
        Entry::Reauthenticate => REAUTHENTICATE,
        Entry::Disconnect(code, properties) => {
            let mut disconnect = Disconnect::new(*code);
            *disconnect.properties = properties.clone();
            packet_or_refused(&Packet::Disconnect(disconnect), DISCONNECT, &mut body)
        }
        Entry::Credentials(username, password) => {
            redaction.password.clone_from(password);
            encode_credentials(username.as_ref(), password.as_deref(), &mut body);
            CREDENTIALS
        }
        Entry::Restore(stored) => {
            encode_restore(stored, &mut body);
            RESTORE
        }
        Entry::Version(version) => {
            body.put_u8(version.level());
            VERSION
        }
        Entry::EventDebug(text) => {
            body.extend_from_slice(text.as_bytes());
            EVENT
        }
        // An event, or an entry of a newer core: kept as its Debug form, so that nothing is
        // silently left out.
        other => {
            let text = match other {
                Entry::Event(event) => format!("{event:?}"),
                other => format!("{other:?}"),
            };
            body.extend_from_slice(text.as_bytes());
            EVENT
        }
    };
    (kind, body)
}

/// A restored session: each message (released u8, u32 length, the PUBLISH as
/// `mqtt_sansio::encode_message` writes it), then the inbound identifiers (u16 count, u16 each).
fn encode_restore(stored: &Stored, body: &mut Vec<u8>) {
    body.put_u32(u32::try_from(stored.messages.len()).unwrap_or(u32::MAX));
    for message in &stored.messages {
        body.put_u8(u8::from(message.released));
        let mut publish = Vec::new();
        // A stored message encodes: the session accepted it.
        let _ = mqtt_sansio::encode_message(&message.publish, &mut publish);
        body.put_u32(u32::try_from(publish.len()).unwrap_or(u32::MAX));
        body.extend_from_slice(&publish);
    }
    body.put_u16(u16::try_from(stored.inbound.len()).unwrap_or(u16::MAX));
    for id in &stored.inbound {
        body.put_u16(id.get());
    }
}

fn decode_restore(mut body: Bytes) -> Result<Entry, String> {
    let cut = || "a cut restored session".to_owned();
    let mut stored = Stored::default();
    if body.len() < 4 {
        return Err(cut());
    }
    for _ in 0..body.get_u32() {
        if body.len() < 5 {
            return Err(cut());
        }
        let released = body.get_u8() != 0;
        let len = body.get_u32() as usize;
        if body.len() < len {
            return Err(cut());
        }
        let publish =
            mqtt_sansio::decode_message(&body.split_to(len)).map_err(|e| e.to_string())?;
        stored
            .messages
            .push_back(StoredMessage { publish, released });
    }
    if body.len() < 2 {
        return Err(cut());
    }
    for _ in 0..body.get_u16() {
        if body.len() < 2 {
            return Err(cut());
        }
        let id = PacketId::new(body.get_u16()).ok_or("packet identifier 0")?;
        stored.inbound.push(id);
    }
    Ok(Entry::Restore(stored))
}

fn encode_credentials(username: Option<&MqttString>, password: Option<&[u8]>, body: &mut Vec<u8>) {
    let flags = u8::from(username.is_some()) | (u8::from(password.is_some()) << 1);
    body.put_u8(flags);
    let name = username.map_or("", MqttString::as_str);
    body.put_u16(u16::try_from(name.len()).unwrap_or(u16::MAX));
    body.extend_from_slice(name.as_bytes());
    let stars = mqtt_sansio::redacted(password.unwrap_or_default());
    body.put_u32(u32::try_from(stars.len()).unwrap_or(u32::MAX));
    body.extend_from_slice(&stars);
}

/// The password of the CONNECT at the front of `bytes` as `*`: it is the packet's last field.
fn redact_connect(bytes: &mut [u8], password: Option<&[u8]>) {
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return;
    };
    let Ok(Some(header)) = mqtt_proto::FixedHeader::parse(bytes) else {
        return;
    };
    let end = header.packet_len();
    if let Some(field) = end
        .checked_sub(password.len())
        .and_then(|start| bytes.get_mut(start..end))
    {
        if field == password {
            field.fill(b'*');
        }
    }
}

/// A packet encoded as MQTT 5.0 into `body`, or the kind of a refused command.
fn packet_or_refused(packet: &Packet, kind: u8, body: &mut Vec<u8>) -> u8 {
    let mut bytes = BytesMut::new();
    match packet.encode(ProtocolVersion::V5, &mut bytes) {
        Ok(_) => {
            body.extend_from_slice(&bytes);
            kind
        }
        Err(_) => REFUSED,
    }
}

/// A message: its topic, then an MQTT 5.0 PUBLISH with everything else; `None` for one the
/// session refuses before it changes anything (properties no PUBLISH can carry).
fn encode_message(message: &Message) -> Option<Vec<u8>> {
    let qos_pid = QosPid::new(message.qos, PLACEHOLDER);
    let mut publish = Publish::new(
        TopicName::from_static("-"),
        qos_pid,
        message.payload.clone(),
    );
    publish.retain = message.retain;
    publish.properties = message.properties.clone();
    let mut bytes = BytesMut::new();
    publish.encode(ProtocolVersion::V5, &mut bytes).ok()?;
    let mut body = Vec::with_capacity(2 + message.topic.len() + bytes.len());
    body.put_u16(u16::try_from(message.topic.len()).ok()?);
    body.extend_from_slice(message.topic.as_bytes());
    body.extend_from_slice(&bytes);
    Some(body)
}

fn take_at(body: &mut Bytes) -> Result<Instant, String> {
    if body.len() < 8 {
        return Err("no instant".to_owned());
    }
    Ok(Instant::from_nanos(body.get_u64()))
}

fn packet(body: &mut Bytes) -> Result<Packet, String> {
    let mut buf = BytesMut::from(&body[..]);
    match Packet::decode(ProtocolVersion::V5, &mut buf, &Limits::new()) {
        Ok(Some(packet)) if buf.is_empty() => Ok(packet),
        Ok(_) => Err("an incomplete packet".to_owned()),
        Err(e) => Err(format!("a packet that does not decode: {e}")),
    }
}

pub(super) fn decode_entry(kind: u8, mut body: Bytes) -> Result<Entry, String> {
    Ok(match kind {
        OPEN => Entry::TransportOpen(take_at(&mut body)?),
        READ => Entry::Read(take_at(&mut body)?, body),
        READ_BUF => Entry::ReadBuf(take_at(&mut body)?, body),
        CLOSED => Entry::TransportClosed(take_at(&mut body)?),
        TIMEOUT => Entry::Timeout(take_at(&mut body)?),
        WRITE_PROGRESS => Entry::WriteProgress(take_at(&mut body)?),
        READ_PAUSED => Entry::ReadPaused(take_at(&mut body)?),
        READ_RESUMED => Entry::ReadResumed(take_at(&mut body)?),
        TRANSMIT => Entry::Transmit(take_at(&mut body)?, body),
        PUBLISH => {
            if body.len() < 2 {
                return Err("no topic".to_owned());
            }
            let len = usize::from(body.get_u16());
            if body.len() < len {
                return Err("a cut topic".to_owned());
            }
            let topic = body.split_to(len);
            let topic = if topic.is_empty() {
                TopicName::empty()
            } else {
                TopicName::from_bytes(topic).map_err(|e| e.to_string())?
            };
            let Packet::Publish(publish) = packet(&mut body)? else {
                return Err("not a PUBLISH".to_owned());
            };
            let mut message = Message::new(topic, publish.qos(), publish.payload_bytes());
            message.retain = publish.retain;
            message.properties = publish.properties;
            Entry::Publish(message)
        }
        SUBSCRIBE => match packet(&mut body)? {
            Packet::Subscribe(s) => Entry::Subscribe(s.subscriptions, s.properties.into_inner()),
            _ => return Err("not a SUBSCRIBE".to_owned()),
        },
        UNSUBSCRIBE => match packet(&mut body)? {
            Packet::Unsubscribe(u) => Entry::Unsubscribe(u.filters, u.properties.into_inner()),
            _ => return Err("not an UNSUBSCRIBE".to_owned()),
        },
        ACK => {
            let id = (body.len() == 2)
                .then(|| PacketId::new(body.get_u16()))
                .flatten()
                .ok_or("not a packet identifier")?;
            Entry::Ack(id)
        }
        AUTH => match packet(&mut body)? {
            Packet::Auth(a) => Entry::Auth(a.reason_code, a.properties.into_inner()),
            _ => return Err("not an AUTH".to_owned()),
        },
        REAUTHENTICATE => Entry::Reauthenticate,
        DISCONNECT => match packet(&mut body)? {
            Packet::Disconnect(d) => Entry::Disconnect(d.reason_code, d.properties.into_inner()),
            _ => return Err("not a DISCONNECT".to_owned()),
        },
        CREDENTIALS => decode_credentials(body)?,
        RESTORE => decode_restore(body)?,
        VERSION => Entry::Version(
            (body.len() == 1)
                .then(|| ProtocolVersion::from_level(body.get_u8()))
                .flatten()
                .ok_or("not a protocol level")?,
        ),
        EVENT => Entry::EventDebug(
            String::from_utf8(body.to_vec()).map_err(|_| "an event that is not UTF-8")?,
        ),
        other => return Err(format!("unknown record kind {other:#04x}")),
    })
}

fn decode_credentials(mut body: Bytes) -> Result<Entry, String> {
    let cut = || "cut credentials".to_owned();
    if body.len() < 3 {
        return Err(cut());
    }
    let flags = body.get_u8();
    let len = usize::from(body.get_u16());
    if body.len() < len + 4 {
        return Err(cut());
    }
    let name = String::from_utf8(body.split_to(len).to_vec()).map_err(|_| cut())?;
    let len = body.get_u32() as usize;
    if body.len() < len {
        return Err(cut());
    }
    let password = body.split_to(len);
    let username = if flags & 1 != 0 {
        Some(MqttString::new(name).map_err(|e| e.to_string())?)
    } else {
        None
    };
    Ok(Entry::Credentials(
        username,
        (flags & 2 != 0).then_some(password),
    ))
}
