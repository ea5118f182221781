//! Spreading work over many consumers with a shared subscription: each worker is a client of
//! its own (on this machine here, on many machines in production) subscribed to
//! `$share/workers/jobs/#`; the broker hands each job to exactly one of them. Adding a worker
//! adds capacity; a worker that goes away leaves its share to the others.
//!
//! Needs a broker with shared subscriptions (MQTT 5.0, or Mosquitto and others in 3.1.1 too):
//!
//! ```sh
//! MQTT_URL=mqtt://localhost:1883 cargo run -p mqtt-tokio --example shared_workers
//! ```

use std::error::Error;
use std::time::Duration;

use mqtt_proto::QoS;
use mqtt_tokio::{Options, connect};

const WORKERS: usize = 3;
const JOBS: u32 = 30;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("MQTT_URL").unwrap_or_else(|_| "mqtt://localhost:1883".to_owned());
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut workers = Vec::new();
    let mut clients = Vec::new();
    for n in 0..WORKERS {
        // A worker: its own client identifier, the group's shared filter.
        let (client, mut messages, _events) =
            connect(Options::new(&url, &format!("worker-{n}"))?).await?;
        client
            .subscribe("$share/workers/jobs/#", QoS::AtLeastOnce)
            .await?;
        let done = done_tx.clone();
        workers.push(tokio::spawn(async move {
            while let Some(job) = messages.recv().await {
                let id = String::from_utf8_lossy(job.payload()).into_owned();
                println!("worker {n} handles {} ({id})", job.topic());
                let _ = done.send((n, id));
            }
        }));
        // Kept until the end: the last handle dropped ends the worker's connection.
        clients.push(client);
    }

    let (dispatcher, _messages, _events) = connect(Options::new(&url, "dispatcher")?).await?;
    for job in 0..JOBS {
        dispatcher
            .publish(
                &format!("jobs/{}", job % 5),
                QoS::AtLeastOnce,
                false,
                format!("job-{job}"),
            )
            .await?;
    }

    let mut handled = vec![0_u32; WORKERS];
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < JOBS as usize {
        let Ok(Some((worker, id))) =
            tokio::time::timeout(Duration::from_secs(10), done_rx.recv()).await
        else {
            return Err(format!("only {} of {JOBS} jobs were handled", seen.len()).into());
        };
        if !seen.insert(id.clone()) {
            return Err(format!("{id} was handled twice").into());
        }
        handled[worker] += 1;
    }
    println!("jobs: {JOBS} handled once each; per worker: {handled:?}");
    dispatcher.disconnect().await?;
    for client in clients {
        client.disconnect().await?;
    }
    for worker in workers {
        worker.await?;
    }
    Ok(())
}
