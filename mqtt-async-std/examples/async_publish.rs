//! Publishes the lines of standard input at QoS 1 under smol (async-std works the same way).
//!
//! Run: `cargo run -p mqtt-async-std --example async_publish -- mqtt://localhost sensors/t1`

use std::io::BufRead;

use mqtt_async_std::{Options, connect};
use mqtt_proto::QoS;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    smol::block_on(async {
        let mut args = std::env::args().skip(1);
        let url = args.next().unwrap_or_else(|| "mqtt://localhost".to_owned());
        let topic = args
            .next()
            .unwrap_or_else(|| "mqtt-async-std/example".to_owned());
        let (client, _messages, _events) = connect(Options::new(&url, "async-publisher")?).await?;
        for line in std::io::stdin().lock().lines() {
            let published = client
                .publish(&topic, QoS::AtLeastOnce, false, line?)
                .await?;
            println!("acknowledged: {:?}", published.packet_id);
        }
        client.disconnect().await?;
        Ok(())
    })
}
