//! The async-io family as a [`Runtime`]: the system clock, async-io's timer, async-net's TCP,
//! and a thread of its own for the connection task.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use mqtt_driver::{FuturesIo, Runtime, Timer};

/// The async-io reactor, which async-std and smol both run on. The connection task runs on a
/// thread of its own under `async_io::block_on`, so it needs no particular executor.
///
/// ```no_run
/// # async fn run() -> Result<(), mqtt_async_std::Error> {
/// use mqtt_async_std::{AsyncIo, Options};
///
/// let (client, _messages, _events) =
///     mqtt_driver::connect(AsyncIo, Options::new("mqtt://localhost", "demo")?).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AsyncIo;

impl Runtime for AsyncIo {
    type Tcp = FuturesIo<async_net::TcpStream>;
    type Timer = AsyncIoTimer;

    fn now(&self) -> Instant {
        Instant::now()
    }

    async fn connect(&self, host: &str, port: u16) -> io::Result<Self::Tcp> {
        let stream = async_net::TcpStream::connect((host, port)).await?;
        stream.set_nodelay(true)?;
        mqtt_driver::limit_unsent(&stream)?;
        Ok(FuturesIo::new(stream).with_acknowledge(mqtt_driver::acknowledge_now))
    }

    #[cfg(unix)]
    async fn connect_unix(
        &self,
        path: &std::path::Path,
    ) -> io::Result<Box<dyn mqtt_driver::Transport>> {
        let stream = async_net::unix::UnixStream::connect(path).await?;
        Ok(Box::new(FuturesIo::new(stream)))
    }

    fn timer(&self, at: Instant) -> AsyncIoTimer {
        AsyncIoTimer(async_io::Timer::at(at))
    }

    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>) {
        // When no thread can be made, the task is dropped and `connect` fails with `Closed`.
        let _ = std::thread::Builder::new()
            .name("mqtt-connection".into())
            .spawn(move || async_io::block_on(task));
    }
}

/// An `async_io::Timer`, set again for every deadline.
#[derive(Debug)]
pub struct AsyncIoTimer(async_io::Timer);

impl Timer for AsyncIoTimer {
    fn reset(&mut self, at: Instant) {
        self.0.set_at(at);
    }

    fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}
