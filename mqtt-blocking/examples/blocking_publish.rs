//! Publishes the lines of standard input at QoS 1, each call blocking until its PUBACK.
//!
//! Run: `cargo run -p mqtt-blocking --example blocking_publish -- mqtt://localhost sensors/t1`

use std::io::BufRead;

use mqtt_blocking::{Options, connect};
use mqtt_proto::QoS;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "mqtt://localhost".to_owned());
    let topic = args
        .next()
        .unwrap_or_else(|| "mqtt-blocking/example".to_owned());
    let (client, _messages, _events) = connect(Options::new(&url, "blocking-publisher")?)?;
    for line in std::io::stdin().lock().lines() {
        let published = client.publish(&topic, QoS::AtLeastOnce, false, line?)?;
        println!("acknowledged: {:?}", published.packet_id);
    }
    client.disconnect()?;
    Ok(())
}
