//! `mqtt pub`: one message, a file, standard input whole or line by line, repeated.

use std::io::BufRead;
use std::time::Duration;

use bytes::Bytes;
use mqtt_blocking::{Message, connect};
use mqtt_proto::TopicName;

use crate::args::PubArgs;
use crate::connect::setup;

/// Publishes what the arguments say; the error to print otherwise.
pub(crate) fn run(args: &PubArgs) -> Result<(), String> {
    let setup = setup(
        &args.common,
        &format!("mqtt-pub-{}", std::process::id()),
        false,
    )?;
    let topic = args
        .topic
        .clone()
        .or(setup.url_topic.clone())
        .ok_or("a topic: -t TOPIC (or a -L URL with one)")?;
    let topic = TopicName::new(topic).map_err(|e| format!("-t: {e}"))?;
    let payloads: Box<dyn Iterator<Item = Result<Bytes, String>>> = if let Some(m) = &args.message {
        Box::new(std::iter::once(Ok(Bytes::from(m.clone()))))
    } else if let Some(file) = &args.file {
        let bytes = std::fs::read(file).map_err(|e| format!("-f {}: {e}", file.display()))?;
        Box::new(std::iter::once(Ok(Bytes::from(bytes))))
    } else if args.stdin {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| format!("standard input: {e}"))?;
        Box::new(std::iter::once(Ok(Bytes::from(bytes))))
    } else if args.lines {
        Box::new(
            std::io::stdin()
                .lock()
                .lines()
                .map(|line| line.map(Bytes::from).map_err(|e| e.to_string())),
        )
    } else if args.null {
        Box::new(std::iter::once(Ok(Bytes::new())))
    } else {
        return Err("a message: -m, -f, -l, -s or -n".to_owned());
    };
    let (client, _messages, _events) = connect(setup.options).map_err(|e| e.to_string())?;
    let delay = Duration::from_secs_f64(args.repeat_delay.max(0.0));
    for payload in payloads {
        let payload = payload?;
        for n in 0..args.repeat.max(1) {
            if n > 0 {
                std::thread::sleep(delay);
            }
            let mut message = Message::new(topic.clone(), setup.qos, payload.clone());
            message.retain = args.retain;
            message.properties = setup.properties.publish.clone().into();
            client
                .publish_message(message)
                .and_then(mqtt_blocking::Token::wait)
                .map_err(|e| e.to_string())?;
        }
    }
    client.disconnect().map_err(|e| e.to_string())
}
