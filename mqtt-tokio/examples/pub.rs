//! Publishes like `mosquitto_pub`: a message, or one message per line of standard input.
//!
//! ```sh
//! cargo run -p mqtt-tokio --example pub -- -L mqtt://localhost -t sensors/t1 -q 1 -m 21.5
//! printf 'a\nb\n' | cargo run -p mqtt-tokio --example pub -- -t lines -l
//! ```

mod args;

use std::io::BufRead;
use std::process::ExitCode;

use mqtt_tokio::connect;

const HELP: &str =
    "usage: pub -t TOPIC (-m MESSAGE | -l | -n) [-q QOS] [-r] [--repeat N] [connection options]
  -m MESSAGE      the payload
  -l              one message per line of standard input
  -n              an empty message
  -r              retain
  --repeat N      publish the message N times";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pub: {e}\n{HELP}\n{}", args::CONNECTION_HELP);
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut common = args::parse("pub")?;
    let [topic] = &common.topics[..] else {
        return Err("exactly one -t TOPIC".into());
    };
    let (mut message, mut lines, mut retain, mut repeat) = (None, false, false, 1u32);
    while let Some(arg) = common.rest.pop_front() {
        match arg.as_str() {
            "-m" => message = common.rest.pop_front(),
            "-l" => lines = true,
            "-n" => message = Some(String::new()),
            "-r" => retain = true,
            "--repeat" => {
                let n = common.rest.pop_front().unwrap_or_default();
                repeat = n.parse().map_err(|e| format!("--repeat {n}: {e}"))?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    let payloads: Vec<String> = match (message, lines) {
        (Some(m), false) => (0..repeat).map(|_| m.clone()).collect(),
        (None, true) => std::io::stdin()
            .lock()
            .lines()
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
        _ => return Err("one of -m MESSAGE, -n or -l".into()),
    };
    let (client, _messages, _events) = connect(common.options).await.map_err(|e| e.to_string())?;
    for payload in payloads {
        client
            .publish(topic, common.qos, retain, payload)
            .await
            .map_err(|e| e.to_string())?;
    }
    client.disconnect().await.map_err(|e| e.to_string())
}
