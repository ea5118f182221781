//! The record of the session's configuration (the table of [`record`](super)).

use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use mqtt_proto::{Limits, Packet, ProtocolVersion};
use mqtt_sansio::{Config, InDoubt};

fn put_option_u64(body: &mut Vec<u8>, value: Option<u64>) {
    body.put_u8(u8::from(value.is_some()));
    body.put_u64(value.unwrap_or_default());
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

pub(super) fn encode_config(config: &Config) -> Vec<u8> {
    let mut connect = config.to_connect();
    if let Some(password) = &connect.password {
        connect.password = Some(mqtt_sansio::redacted(password));
    }
    let mut packet = BytesMut::new();
    // A configuration the version cannot carry fails at the first CONNECT; recorded without
    // its CONNECT, it replays to the same failure only if the rest says so: keep what encodes.
    let _ = Packet::from(connect).encode(config.version, &mut packet);
    let mut body = Vec::new();
    body.put_u8(config.version.level());
    body.put_u32(u32::try_from(packet.len()).unwrap_or(u32::MAX));
    body.extend_from_slice(&packet);
    body.put_u64(millis(config.keep_alive));
    body.put_u64(millis(config.connack_timeout));
    put_option_u64(&mut body, config.ping_timeout.map(millis));
    put_option_u64(&mut body, config.receive_maximum.map(u64::from));
    put_option_u64(&mut body, config.maximum_packet_size.map(u64::from));
    body.put_u16(config.topic_alias_maximum);
    body.put_u16(config.max_inflight);
    body.put_u64(config.max_pending as u64);
    body.put_u8(u8::from(config.manual_acks));
    body.put_u8(u8::from(config.in_doubt == InDoubt::Fail));
    body.put_u64(config.duplicate_guard as u64);
    body.put_u8(u8::from(config.auto_topic_alias));
    body
}

fn take_option(body: &mut Bytes) -> Result<Option<u64>, String> {
    if body.len() < 9 {
        return Err("a cut configuration".to_owned());
    }
    let present = body.get_u8() != 0;
    let value = body.get_u64();
    Ok(present.then_some(value))
}

pub(super) fn decode_config(mut body: Bytes) -> Result<Config, String> {
    let cut = || "a cut configuration".to_owned();
    if body.len() < 5 {
        return Err(cut());
    }
    let version = match body.get_u8() {
        3 => ProtocolVersion::V3_1,
        4 => ProtocolVersion::V3_1_1,
        5 => ProtocolVersion::V5,
        other => return Err(format!("protocol level {other}")),
    };
    let len = body.get_u32() as usize;
    if body.len() < len {
        return Err(cut());
    }
    let mut connect_bytes = BytesMut::from(&body.split_to(len)[..]);
    let connect = match Packet::decode(version, &mut connect_bytes, &Limits::new()) {
        Ok(Some(Packet::Connect(connect))) => *connect,
        _ => return Err("the configuration's CONNECT does not decode".to_owned()),
    };
    let mut config = Config::new(connect.client_id.clone()).with_version(version);
    config.clean_start = connect.clean_start;
    config.will.clone_from(&connect.will);
    config.username.clone_from(&connect.username);
    config.password.clone_from(&connect.password);
    // The numbers follow, for every version; the properties' others are these.
    config.set_connect_properties(&connect.properties);
    if body.len() < 16 {
        return Err(cut());
    }
    config.keep_alive = Duration::from_millis(body.get_u64());
    config.connack_timeout = Duration::from_millis(body.get_u64());
    config.ping_timeout = take_option(&mut body)?.map(Duration::from_millis);
    config.receive_maximum = take_option(&mut body)?.map(|v| u16::try_from(v).unwrap_or(u16::MAX));
    config.maximum_packet_size =
        take_option(&mut body)?.map(|v| u32::try_from(v).unwrap_or(u32::MAX));
    if body.len() < 2 + 2 + 8 + 1 + 1 + 8 + 1 {
        return Err(cut());
    }
    config.topic_alias_maximum = body.get_u16();
    config.max_inflight = body.get_u16();
    config.max_pending = usize::try_from(body.get_u64()).unwrap_or(usize::MAX);
    config.manual_acks = body.get_u8() != 0;
    config.in_doubt = if body.get_u8() == 1 {
        InDoubt::Fail
    } else {
        InDoubt::Requeue
    };
    config.duplicate_guard = usize::try_from(body.get_u64()).unwrap_or(usize::MAX);
    config.auto_topic_alias = body.get_u8() != 0;
    Ok(config)
}
