//! Subscribes like `mosquitto_sub` and prints what arrives.
//!
//! ```sh
//! cargo run -p mqtt-tokio --example sub -- -L mqtt://localhost -t 'sensors/#' -q 1 -v -C 10
//! ```

mod args;

use std::process::ExitCode;

use mqtt_proto::{SubscribeProperties, Subscription, TopicFilter};
use mqtt_tokio::connect;

const HELP: &str = "usage: sub -t FILTER [-t FILTER…] [-q QOS] [-v] [-C COUNT] [connection options]
  -v              print the topic before each message
  -C COUNT        stop after COUNT messages";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sub: {e}\n{HELP}\n{}", args::CONNECTION_HELP);
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut common = args::parse("sub")?;
    if common.topics.is_empty() {
        return Err("at least one -t FILTER".into());
    }
    let (mut verbose, mut count) = (false, None);
    while let Some(arg) = common.rest.pop_front() {
        match arg.as_str() {
            "-v" => verbose = true,
            "-C" => {
                let n = common.rest.pop_front().unwrap_or_default();
                count = Some(n.parse::<u64>().map_err(|e| format!("-C {n}: {e}"))?);
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    let subscriptions = common
        .topics
        .iter()
        .map(|t| TopicFilter::new(t.as_str()).map(|f| Subscription::new(f, common.qos)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let (client, mut messages, _events) =
        connect(common.options).await.map_err(|e| e.to_string())?;
    let codes = client
        .subscribe_many(subscriptions, SubscribeProperties::default())
        .await
        .map_err(|e| e.to_string())?;
    if let Some(code) = codes.reason_codes.iter().find(|c| c.is_error()) {
        return Err(format!("the broker refused a subscription: {code}"));
    }
    let mut received = 0;
    while let Some(message) = messages.recv().await {
        let payload = String::from_utf8_lossy(message.payload());
        if verbose {
            println!("{} {payload}", message.topic());
        } else {
            println!("{payload}");
        }
        received += 1;
        if count.is_some_and(|c| received >= c) {
            break;
        }
    }
    client.disconnect().await.map_err(|e| e.to_string())
}
