//! The publisher of `footprint_ours` written with rumqttc: 200,000 QoS 1 messages of 16 bytes,
//! queued from a task while the event loop runs until the last PUBACK, on tokio's
//! current-thread runtime.

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

fn main() {
    let port: u16 = std::env::var("PORT").expect("PORT").parse().expect("a port");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let options = MqttOptions::new("footprint-rumqttc", "127.0.0.1", port);
        let (client, mut events) = AsyncClient::new(options, 64);
        let count = 200_000u32;
        let producer = tokio::spawn(async move {
            for _ in 0..count {
                client
                    .publish("footprint/t", QoS::AtLeastOnce, false, &b"0123456789abcdef"[..])
                    .await
                    .expect("queued");
            }
            client
        });
        let mut acked = 0;
        while acked < count {
            if let Event::Incoming(Packet::PubAck(_)) = events.poll().await.expect("connected") {
                acked += 1;
            }
        }
        let client = producer.await.expect("the producer");
        client.disconnect().await.expect("disconnected");
        let _ = events.poll().await;
    });
}
