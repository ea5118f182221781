//! What the driver needs from an async runtime: a clock, a timer, a TCP connection and a way
//! to run a task. `mqtt-tokio` and `mqtt-async-std` implement [`Runtime`] in a few dozen lines
//! each; everything else (the connection loop, TLS, reconnecting, the handles) is written once,
//! in this crate.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::io::{self, IoSlice};
use std::time::Instant;

use bytes::BytesMut;
use futures_lite::io::{AsyncRead, AsyncWrite};

/// An async runtime as the driver sees it.
///
/// The clock is the runtime's, so that a runtime with a virtual clock (tokio's paused time)
/// drives the session on that clock: [`now`](Self::now) and the instants given to
/// [`timer`](Self::timer) and [`Timer::reset`] are on the same clock.
///
/// A runtime for smol written against this trait, as `mqtt-async-std` does (a sketch; the
/// crate's own is complete):
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use std::time::Instant;
/// use mqtt_driver::{FuturesIo, Runtime, Timer};
///
/// #[derive(Clone, Debug)]
/// struct Smol;
///
/// struct SmolTimer(async_io::Timer);
///
/// impl Timer for SmolTimer {
///     fn reset(&mut self, at: Instant) {
///         self.0.set_at(at);
///     }
///
///     fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
///         Pin::new(&mut self.0).poll(cx).map(|_| ())
///     }
/// }
///
/// impl Runtime for Smol {
///     type Tcp = FuturesIo<async_net::TcpStream>;
///     type Timer = SmolTimer;
///
///     fn now(&self) -> Instant {
///         Instant::now()
///     }
///
///     async fn connect(&self, host: &str, port: u16) -> std::io::Result<Self::Tcp> {
///         let tcp = async_net::TcpStream::connect((host, port)).await?;
///         tcp.set_nodelay(true)?;
///         mqtt_driver::limit_unsent(&tcp)?;
///         Ok(FuturesIo::new(tcp).with_acknowledge(mqtt_driver::acknowledge_now))
///     }
///
///     fn timer(&self, at: Instant) -> SmolTimer {
///         SmolTimer(async_io::Timer::at(at))
///     }
///
///     fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>) {
///         std::thread::spawn(move || async_io::block_on(task));
///     }
/// }
/// ```
pub trait Runtime: Clone + Send + Sync + 'static {
    /// A TCP connection. It is a futures-io stream too, so that TLS (futures-rustls) runs over
    /// it the same way on every runtime.
    type Tcp: Transport + AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// A timer that can be set again.
    type Timer: Timer;

    /// The runtime's clock.
    fn now(&self) -> Instant;

    /// Opens a TCP connection to `host:port` (a name or an address), with Nagle's algorithm
    /// off (the driver batches its writes itself) and, where the OS can, little held unsent
    /// ([`limit_unsent`]).
    fn connect(&self, host: &str, port: u16) -> impl Future<Output = io::Result<Self::Tcp>> + Send;

    /// Opens a connection to the Unix domain socket at `path` (`unix://` addresses). The
    /// default says the runtime cannot.
    fn connect_unix(
        &self,
        path: &std::path::Path,
    ) -> impl Future<Output = io::Result<Box<dyn Transport>>> + Send {
        let _ = path;
        std::future::ready(Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this runtime has no Unix domain sockets",
        )))
    }

    /// A timer that fires at `at`.
    fn timer(&self, at: Instant) -> Self::Timer;

    /// Runs `task` to completion in the background.
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>);
}

/// A timer of a [`Runtime`]: one per connection task, set again for every deadline.
pub trait Timer: Unpin + Send + 'static {
    /// Fires at `at` instead.
    fn reset(&mut self, at: Instant);

    /// `Ready` once the instant it was set to has passed.
    fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()>;
}

/// A byte stream the driver runs a connection over.
///
/// Reads go straight into the session's buffer ([`BytesMut`]), so a runtime that can read into
/// uninitialised memory (tokio) copies nothing; [`FuturesIo`] adapts any futures-io stream.
pub trait Transport: Unpin + Send {
    /// Reads what is there into the spare capacity of `buf` (the caller reserves it); `Ok(0)`
    /// at the end of the stream.
    ///
    /// # Errors
    /// The transport's.
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>>;

    /// Writes some of `bufs`.
    ///
    /// # Errors
    /// The transport's.
    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;

    /// Flushes what the transport holds back (TLS records).
    ///
    /// # Errors
    /// The transport's.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Flushes and closes the writing half.
    ///
    /// # Errors
    /// The transport's.
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Sends the acknowledgement of the bytes read so far now, rather than when the OS's
    /// delayed-ACK timer fires (Linux's `TCP_QUICKACK`, see [`acknowledge_now`]).
    ///
    /// The driver calls it after a read that leaves it nothing to write while it awaits answers
    /// (PUBACK, PUBCOMP, SUBACK, …): otherwise a broker that leaves Nagle's algorithm on
    /// (Mosquitto's default) holds its next answers until the client's delayed ACK, up to
    /// 40 ms, while the client waits for them. When the client has something to write, the
    /// acknowledgement rides on it and this is not called; nor while it awaits nothing. The
    /// default is `Unsupported`, after which the driver does not ask again on that connection.
    ///
    /// # Errors
    ///
    /// `Unsupported` where the transport or the OS cannot; the socket's error otherwise.
    fn acknowledge_now(&self) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Acknowledges what `socket`, a TCP socket, has received at once: sets `TCP_QUICKACK`, which
/// sends an ACK that was being delayed. For implementations of
/// [`Transport::acknowledge_now`]; `Unsupported` on OSes without the option.
///
/// ```
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let socket = std::net::TcpStream::connect(listener.local_addr()?)?;
/// let acknowledged = mqtt_driver::acknowledge_now(&socket);
/// assert!(acknowledged.is_ok() || !cfg!(target_os = "linux"));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// `Unsupported` where the OS has no such option; the socket's error otherwise (a Unix socket
/// has no TCP options).
#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
pub fn acknowledge_now<S: std::os::fd::AsFd>(socket: &S) -> io::Result<()> {
    socket2::SockRef::from(socket).set_tcp_quickack(true)
}

/// Acknowledges what `socket` has received at once: `Unsupported` on this OS, which has no
/// `TCP_QUICKACK`.
///
/// # Errors
///
/// Always `Unsupported`.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
pub fn acknowledge_now<S>(socket: &S) -> io::Result<()> {
    let _ = socket;
    Err(io::ErrorKind::Unsupported.into())
}

/// Keeps what the kernel holds unsent for `socket`, a TCP socket, to a byte
/// (`TCP_NOTSENT_LOWAT`, Linux and Android): a write is refused (`WouldBlock`, or a blocking
/// write waits) while bytes written before have not left yet, instead of being appended to them.
/// For the TCP transports of [`Runtime`] implementations (non-blocking sockets), set once
/// connected; `Ok` and nothing done on other OSes.
///
/// Together with the driver's writes of about [`MAX_WRITE`] bytes, this keeps each segment
/// the kernel builds no larger than one write. A segment waits until the peer's receive window
/// takes it whole, and on loopback (an MSS of 64 KiB) the kernel would otherwise gather a
/// publisher's small packets into segments of 64 KiB behind a broker's window of a few KiB
/// (Mosquitto's, while it falls behind reading): the connection stalls until a timer fires.
///
/// ```
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let socket = std::net::TcpStream::connect(listener.local_addr()?)?;
/// mqtt_driver::limit_unsent(&socket)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// The socket's, when it refuses the option (a Unix socket has no TCP options).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn limit_unsent<S: std::os::fd::AsFd>(socket: &S) -> io::Result<()> {
    socket2::SockRef::from(socket).set_tcp_notsent_lowat(1)
}

/// Keeps what the kernel holds unsent for `socket` small: nothing to do on this OS, which has
/// no `TCP_NOTSENT_LOWAT`.
///
/// # Errors
///
/// Never.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn limit_unsent<S>(socket: &S) -> io::Result<()> {
    let _ = socket;
    Ok(())
}

/// About the most bytes the drivers hand the transport in one write: whole buffers of the
/// session's ([`Chunks::chunks_vectored_up_to`](mqtt_sansio::Chunks::chunks_vectored_up_to)),
/// packets encoded together in pieces of 16 KiB, a large payload as one buffer. See
/// [`limit_unsent`].
pub const MAX_WRITE: usize = mqtt_sansio::Chunks::PIECE;

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        (**self).poll_read_buf(cx, buf)
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        (**self).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        (**self).poll_flush(cx)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        (**self).poll_close(cx)
    }

    fn acknowledge_now(&self) -> io::Result<()> {
        (**self).acknowledge_now()
    }
}

/// The most a [`FuturesIo`] reads at once.
const SCRATCH: usize = 32 * 1024;

/// A futures-io stream (async-net, futures-rustls, …) as a [`Transport`].
///
/// futures-io reads into initialised memory, so reads land in a scratch buffer of the stream's
/// own (allocated on the first read) and are copied into the session's.
///
/// ```
/// use mqtt_driver::FuturesIo;
///
/// let stream = FuturesIo::new(futures_lite::io::Cursor::new(Vec::<u8>::new()));
/// assert!(stream.get_ref().get_ref().is_empty());
/// ```
#[derive(Debug)]
pub struct FuturesIo<T> {
    io: T,
    scratch: Vec<u8>,
    acknowledge: Option<fn(&T) -> io::Result<()>>,
}

impl<T> FuturesIo<T> {
    /// Adapts `io`.
    pub const fn new(io: T) -> Self {
        Self {
            io,
            scratch: Vec::new(),
            acknowledge: None,
        }
    }

    /// Gives the stream a way to acknowledge reads at once ([`Transport::acknowledge_now`]),
    /// which a futures-io stream does not have.
    ///
    /// ```
    /// use mqtt_driver::{FuturesIo, Transport};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let tcp = async_io::block_on(async_net::TcpStream::connect(listener.local_addr()?))?;
    /// let stream = FuturesIo::new(tcp).with_acknowledge(|tcp| mqtt_driver::acknowledge_now(tcp));
    /// assert!(stream.acknowledge_now().is_ok() || !cfg!(target_os = "linux"));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub const fn with_acknowledge(mut self, acknowledge: fn(&T) -> io::Result<()>) -> Self {
        self.acknowledge = Some(acknowledge);
        self
    }

    /// The stream.
    pub const fn get_ref(&self) -> &T {
        &self.io
    }

    /// The stream, to use it as the futures-io stream it is.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for FuturesIo<T> {
    fn acknowledge_now(&self) -> io::Result<()> {
        match self.acknowledge {
            Some(acknowledge) => acknowledge(&self.io),
            None => Err(io::ErrorKind::Unsupported.into()),
        }
    }

    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        let want = (buf.capacity() - buf.len()).clamp(1, SCRATCH);
        if self.scratch.len() < want {
            self.scratch.resize(want, 0);
        }
        let scratch = self.scratch.get_mut(..want).unwrap_or_default();
        let n = std::task::ready!(Pin::new(&mut self.io).poll_read(cx, scratch))?;
        buf.extend_from_slice(scratch.get(..n).unwrap_or_default());
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for FuturesIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for FuturesIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}
