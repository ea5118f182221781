//! tokio as a [`Runtime`]: its clock (paused time included), its timer, its TCP and Unix
//! sockets, its spawn.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::BytesMut;
use mqtt_driver::{Runtime, Timer, Transport};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The tokio runtime the caller runs on: [`mqtt_driver::connect`] with it spawns the
/// connection task with `tokio::spawn` and keeps time with `tokio::time`, so a test with
/// paused time drives the session on the virtual clock.
///
/// ```no_run
/// # async fn run() -> Result<(), mqtt_tokio::Error> {
/// use mqtt_tokio::{Options, Tokio};
///
/// let (client, _messages, _events) =
///     mqtt_driver::connect(Tokio, Options::new("mqtt://localhost", "demo")?).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    type Tcp = TokioTcp;
    type Timer = TokioTimer;

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    async fn connect(&self, host: &str, port: u16) -> io::Result<TokioTcp> {
        let stream = TcpStream::connect((host, port)).await?;
        stream.set_nodelay(true)?;
        mqtt_driver::limit_unsent(&stream)?;
        Ok(TokioStream(stream, Some(mqtt_driver::acknowledge_now)))
    }

    #[cfg(unix)]
    async fn connect_unix(&self, path: &std::path::Path) -> io::Result<Box<dyn Transport>> {
        let stream = tokio::net::UnixStream::connect(path).await?;
        Ok(Box::new(TokioStream(stream, None)))
    }

    fn timer(&self, at: Instant) -> TokioTimer {
        TokioTimer(Box::pin(tokio::time::sleep_until(at.into())))
    }

    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>) {
        tokio::spawn(task);
    }
}

/// A `tokio::time::Sleep`, set again for every deadline.
#[derive(Debug)]
pub struct TokioTimer(Pin<Box<tokio::time::Sleep>>);

impl Timer for TokioTimer {
    fn reset(&mut self, at: Instant) {
        self.0.as_mut().reset(at.into());
    }

    fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

/// A tokio TCP stream: reads land in the session's buffer without a copy, and it is a
/// futures-io stream too, for TLS.
pub type TokioTcp = TokioStream<TcpStream>;

/// A tokio stream (TCP, Unix) as a [`Transport`] and a futures-io stream, with the way it
/// acknowledges reads at once, if it has one.
#[derive(Debug)]
pub struct TokioStream<S>(S, Option<fn(&S) -> io::Result<()>>);

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Transport for TokioStream<S> {
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        tokio_util::io::poll_read_buf(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn acknowledge_now(&self) -> io::Result<()> {
        match self.1 {
            Some(acknowledge) => acknowledge(&self.0),
            None => Err(io::ErrorKind::Unsupported.into()),
        }
    }
}

impl<S: AsyncRead + Unpin> futures_io::AsyncRead for TokioStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        std::task::ready!(Pin::new(&mut self.0).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

impl<S: AsyncWrite + Unpin> futures_io::AsyncWrite for TokioStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
