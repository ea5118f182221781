//! `mqtt-test`'s scripted broker served on a loopback port: for behaviour Mosquitto cannot be
//! made to show (refusals with any reason code, silence, held acknowledgements), and for tests
//! on tokio's paused clock.

use std::sync::{Arc, Mutex, MutexGuard};

use mqtt_proto::Packet;
use mqtt_test::{BrokerConfig, FakeBroker};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// A [`FakeBroker`] behind a TCP listener, one connection at a time; stopped when dropped.
pub struct Served {
    pub port: u16,
    broker: Arc<Mutex<FakeBroker>>,
    changed: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Served {
    pub async fn start(config: BrokerConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let broker = Arc::new(Mutex::new(FakeBroker::new(config)));
        let changed = Arc::new(Notify::new());
        let task = tokio::spawn(serve(listener, broker.clone(), changed.clone()));
        Self {
            port,
            broker,
            changed,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Reads the broker's state.
    pub fn broker(&self) -> MutexGuard<'_, FakeBroker> {
        self.broker.lock().unwrap()
    }

    /// Changes the broker (its script, or packets to send) and lets the connection act on it.
    pub fn with<T>(&self, change: impl FnOnce(&mut FakeBroker) -> T) -> T {
        let result = change(&mut self.broker.lock().unwrap());
        self.changed.notify_one();
        result
    }

    /// Closes the current connection without a word, as a network failure would.
    pub fn cut(&self) {
        self.with(FakeBroker::connection_closed);
    }

    /// Every packet received from the client, across connections.
    pub fn received(&self) -> Vec<Packet> {
        self.broker().received().to_vec()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, broker: Arc<Mutex<FakeBroker>>, changed: Arc<Notify>) {
    let mut first = true;
    while let Ok((mut stream, _)) = listener.accept().await {
        // The broker starts with its first connection open.
        if !std::mem::take(&mut first) {
            broker.lock().unwrap().new_connection();
        }
        let mut buf = vec![0; 64 * 1024];
        loop {
            let out = broker.lock().unwrap().poll_transmit();
            if let Some(bytes) = out {
                if stream.write_all(&bytes).await.is_err() {
                    break;
                }
                continue;
            }
            if broker.lock().unwrap().is_closed() {
                break;
            }
            tokio::select! {
                read = stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => {
                        broker.lock().unwrap().connection_closed();
                        break;
                    }
                    Ok(n) => broker.lock().unwrap().handle_read(&buf[..n]),
                },
                () = changed.notified() => {}
            }
        }
        // Dropping the stream closes the connection.
    }
}
