//! `-F`: a received message printed in a format of the user's, with the codes of
//! `mosquitto_sub`.

use std::fmt::Write as _;

use mqtt_proto::{PayloadFormat, Publish};

/// `message` printed after `format`: `%` codes replaced, `\n`, `\t` and `\\` escapes made.
pub(crate) fn render(format: &str, message: &Publish) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => match chars.next() {
                Some('p') => out.extend_from_slice(message.payload()),
                Some(code) => match field(code, message) {
                    Some(text) => out.extend_from_slice(text.as_bytes()),
                    // Not a code: as it is.
                    None => out.extend_from_slice(format!("%{code}").as_bytes()),
                },
                None => out.push(b'%'),
            },
            '\\' => match chars.next() {
                Some('n') => out.push(b'\n'),
                Some('t') => out.push(b'\t'),
                // A backslash before anything else, or at the end, is itself.
                Some('\\') | None => out.push(b'\\'),
                Some(other) => out.extend_from_slice(format!("\\{other}").as_bytes()),
            },
            c => out.extend_from_slice(c.to_string().as_bytes()),
        }
    }
    out
}

/// The text of `%code` for `message` (the payload aside); `None` for no such code.
fn field(code: char, message: &Publish) -> Option<String> {
    let p = &message.properties;
    let joined = |items: Vec<String>, by: &str| items.join(by);
    Some(match code {
        't' => message.topic().to_owned(),
        'x' => message.payload().iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        }),
        'l' => message.payload().len().to_string(),
        'q' => (message.qos() as u8).to_string(),
        'r' => u8::from(message.retain).to_string(),
        'm' => message
            .qos_pid
            .packet_id()
            .map_or(0, mqtt_proto::PacketId::get)
            .to_string(),
        'C' => p
            .content_type
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        'D' => p
            .correlation_data
            .as_ref()
            .map(|d| String::from_utf8_lossy(d).into_owned())
            .unwrap_or_default(),
        'E' => p
            .message_expiry_interval
            .map(|e| e.to_string())
            .unwrap_or_default(),
        'F' => match p.payload_format_indicator {
            Some(PayloadFormat::Utf8) => "1".to_owned(),
            Some(PayloadFormat::Unspecified) => "0".to_owned(),
            None => String::new(),
        },
        'P' => joined(
            p.user_properties
                .iter()
                .map(|u| format!("{}:{}", u.name, u.value))
                .collect(),
            " ",
        ),
        'R' => p
            .response_topic
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        'S' => joined(
            p.subscription_identifiers
                .iter()
                .map(|s| s.get().to_string())
                .collect(),
            ",",
        ),
        '%' => "%".to_owned(),
        _ => return None,
    })
}
