//! A publisher as a new user writes it with mqtt-tokio (default features): 200,000 QoS 1
//! messages of 16 bytes to `mqtt://127.0.0.1:$PORT`, `send` and a `flush` every 64, on tokio's
//! current-thread runtime. Its peak RSS and binary size are measured by the `footprint` bench
//! of `mqtt-benches`.

use mqtt_proto::{QoS, TopicName};
use mqtt_tokio::{Message, Options, connect};

fn main() {
    let port = std::env::var("PORT").expect("PORT");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let options = Options::new(&format!("mqtt://127.0.0.1:{port}"), "footprint-ours")
            .expect("valid options");
        let (client, _messages, _events) = connect(options).await.expect("connected");
        let topic = TopicName::new("footprint/t").expect("a topic");
        for n in 1..=200_000u32 {
            let message = Message::new(topic.clone(), QoS::AtLeastOnce, &b"0123456789abcdef"[..]);
            client.send(message).await.expect("sent");
            if n % 64 == 0 {
                client.flush().await.expect("acknowledged");
            }
        }
        client.flush().await.expect("acknowledged");
        client.disconnect().await.expect("disconnected");
    });
}
