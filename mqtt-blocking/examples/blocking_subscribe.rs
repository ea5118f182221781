//! Prints what arrives on a topic filter, from a plain loop over the message receiver.
//!
//! Run: `cargo run -p mqtt-blocking --example blocking_subscribe -- mqtt://localhost 'sensors/#'`

use mqtt_blocking::{Options, connect};
use mqtt_proto::QoS;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "mqtt://localhost".to_owned());
    let filter = args.next().unwrap_or_else(|| "mqtt-blocking/#".to_owned());
    let (client, messages, _events) = connect(Options::new(&url, "blocking-subscriber")?)?;
    let granted = client.subscribe(&filter, QoS::AtLeastOnce)?;
    println!("subscribed to {filter} at {granted:?}");
    for message in messages.iter() {
        println!(
            "{}: {}",
            message.topic(),
            String::from_utf8_lossy(message.payload())
        );
    }
    Ok(())
}
