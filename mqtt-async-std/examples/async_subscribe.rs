//! Prints what arrives on a topic filter, under async-std's executor.
//!
//! Run: `cargo run -p mqtt-async-std --example async_subscribe -- mqtt://localhost 'sensors/#'`

use mqtt_async_std::{Options, connect};
use mqtt_proto::QoS;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    async_std::task::block_on(async {
        let mut args = std::env::args().skip(1);
        let url = args.next().unwrap_or_else(|| "mqtt://localhost".to_owned());
        let filter = args.next().unwrap_or_else(|| "mqtt-async-std/#".to_owned());
        let (client, mut messages, _events) =
            connect(Options::new(&url, "async-subscriber")?).await?;
        let granted = client.subscribe(&filter, QoS::AtLeastOnce).await?;
        println!("subscribed to {filter} at {granted:?}");
        while let Some(message) = messages.recv().await {
            println!(
                "{}: {}",
                message.topic(),
                String::from_utf8_lossy(message.payload())
            );
        }
        Ok(())
    })
}
