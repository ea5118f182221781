//! Opening a connection to a broker, on any runtime: the socket (TCP or a Unix socket), the
//! proxy's tunnel, TLS, the WebSocket, each in turn, within the connect timeout.

use std::io::{self, IoSlice};

use bytes::BytesMut;

use crate::runtime::{FuturesIo, Runtime, Timer, Transport};
use crate::{Address, Error, Options, Tunnel};

/// An open connection: the transport, and whether it holds written bytes back until flushed
/// (TLS records, WebSocket frames).
pub(crate) struct Opened {
    pub(crate) transport: Box<dyn Transport>,
    pub(crate) needs_flush: bool,
}

/// Opens the transport to `broker`, within the connect timeout.
pub(crate) async fn open<R: Runtime>(
    runtime: &R,
    options: &Options,
    broker: &Address,
) -> Result<Opened, Error> {
    let mut timer = runtime.timer(runtime.now() + options.connect_timeout);
    let timeout = std::future::poll_fn(|cx| timer.poll_elapsed(cx));
    futures_lite::future::or(layers(runtime, options, broker), async {
        timeout.await;
        Err(Error::ConnectTimeout)
    })
    .await
}

async fn layers<R: Runtime>(
    runtime: &R,
    options: &Options,
    broker: &Address,
) -> Result<Opened, Error> {
    let (host, port) = match broker {
        Address::Unix { path } => {
            return Ok(Opened {
                transport: runtime.connect_unix(path).await?,
                needs_flush: false,
            });
        }
        _ => (
            broker.host().unwrap_or_default(),
            broker.port().unwrap_or_default(),
        ),
    };
    let proxy = options.proxy.for_broker(broker)?;
    let tcp = match &proxy {
        Some(proxy) => {
            let mut tcp = runtime.connect(&proxy.host, proxy.port).await?;
            let failed = |error| Error::Proxy {
                proxy: proxy.to_string(),
                error,
            };
            let tunnel = Tunnel::new(proxy, host, port).map_err(failed)?;
            dig(&mut tcp, tunnel).await?.map_err(failed)?;
            tcp
        }
        None => runtime.connect(host, port).await?,
    };
    let transport: Box<dyn Transport> = if broker.is_tls() {
        // Read afresh for each connection: a renewed certificate is used from the next one.
        let (config, name) = options.tls.client_config(host)?;
        let connector = futures_rustls::TlsConnector::from(config);
        let tls = connector.connect(name, tcp).await.map_err(tls_error)?;
        Box::new(FuturesIo::new(tls).with_acknowledge(|tls| tls.get_ref().0.acknowledge_now()))
    } else {
        Box::new(tcp)
    };
    match broker {
        #[cfg(feature = "websocket")]
        Address::WebSocket { .. } => {
            let codec = crate::WsCodec::client(broker, &options.websocket)?;
            Ok(Opened {
                transport: Box::new(websocket::WsTransport::open(transport, codec).await?),
                needs_flush: true,
            })
        }
        _ => Ok(Opened {
            transport,
            needs_flush: broker.is_tls(),
        }),
    }
}

/// Runs the proxy's handshake over `transport`: `Ok(Err(_))` when the proxy refuses.
async fn dig(
    transport: &mut dyn Transport,
    mut tunnel: Tunnel,
) -> Result<Result<(), crate::ProxyError>, Error> {
    let mut buf = BytesMut::new();
    loop {
        while let Some(bytes) = tunnel.poll_transmit() {
            write_all(transport, &bytes).await?;
        }
        if tunnel.is_open() {
            return Ok(Ok(()));
        }
        buf.clear();
        if read_some(transport, &mut buf).await? == 0 {
            return Ok(Err(crate::ProxyError::Closed));
        }
        if let Err(e) = tunnel.handle_read(&buf) {
            return Ok(Err(e));
        }
    }
}

/// Writes and flushes all of `data`.
async fn write_all(transport: &mut dyn Transport, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        let n = std::future::poll_fn(|cx| transport.poll_write_vectored(cx, &[IoSlice::new(data)]))
            .await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        data = data.get(n..).unwrap_or_default();
    }
    std::future::poll_fn(|cx| transport.poll_flush(cx)).await
}

/// Reads what is there into `buf`; 0 at the end of the stream.
async fn read_some(transport: &mut dyn Transport, buf: &mut BytesMut) -> io::Result<usize> {
    buf.reserve(4096);
    std::future::poll_fn(|cx| transport.poll_read_buf(cx, buf)).await
}

/// The rustls error inside a failed handshake, or the I/O error itself.
pub(crate) fn tls_error(e: io::Error) -> Error {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => Error::Tls(tls.clone()),
        None => Error::Io(e),
    }
}

#[cfg(feature = "websocket")]
mod websocket {
    use std::io::{self, IoSlice};
    use std::task::{Context, Poll, ready};

    use bytes::BytesMut;

    use super::{read_some, write_all};
    use crate::runtime::Transport;
    use crate::{Error, WebSocketError, WsCodec};

    /// The most MQTT bytes put in one frame.
    const FRAME: usize = 128 * 1024;

    /// MQTT over a WebSocket over another transport.
    pub(super) struct WsTransport {
        inner: Box<dyn Transport>,
        codec: WsCodec,
        /// Frame bytes not yet written, from `written` on.
        out: Vec<u8>,
        written: usize,
        /// Bytes read from `inner`, for the codec.
        raw: BytesMut,
        /// MQTT bytes decoded and not yet read.
        plain: BytesMut,
        /// The server closed the WebSocket.
        closed: bool,
        /// The close frame was queued.
        closing: bool,
    }

    impl WsTransport {
        /// Upgrades `inner` to a WebSocket.
        pub(super) async fn open(
            mut inner: Box<dyn Transport>,
            mut codec: WsCodec,
        ) -> Result<Self, Error> {
            let mut raw = BytesMut::new();
            let mut plain = BytesMut::new();
            let upgrade = |e: io::Error| {
                Error::from(WebSocketError::Protocol(format!(
                    "the connection failed during the upgrade: {e}"
                )))
            };
            loop {
                while let Some(bytes) = codec.poll_transmit() {
                    write_all(&mut *inner, &bytes).await.map_err(upgrade)?;
                }
                if codec.is_open() {
                    break;
                }
                raw.clear();
                if read_some(&mut *inner, &mut raw).await.map_err(upgrade)? == 0 {
                    return Err(WebSocketError::Protocol(
                        "the server closed the connection during the upgrade".into(),
                    )
                    .into());
                }
                if codec.handle_read(&raw, &mut plain)? {
                    return Err(WebSocketError::Protocol("closed at once".into()).into());
                }
            }
            Ok(Self {
                inner,
                codec,
                out: Vec::new(),
                written: 0,
                raw,
                plain,
                closed: false,
                closing: false,
            })
        }

        /// Takes what the codec has to send.
        fn queue(&mut self) {
            while let Some(bytes) = self.codec.poll_transmit() {
                if self.out.is_empty() {
                    self.out = bytes;
                    self.written = 0;
                } else {
                    self.out.extend_from_slice(&bytes);
                }
            }
        }

        /// Writes the frame bytes waiting.
        fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            while self.written < self.out.len() {
                let rest = self.out.get(self.written..).unwrap_or_default();
                let n = ready!(self.inner.poll_write_vectored(cx, &[IoSlice::new(rest)]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.written += n;
            }
            self.out.clear();
            self.written = 0;
            Poll::Ready(Ok(()))
        }
    }

    impl Transport for WsTransport {
        fn poll_read_buf(
            &mut self,
            cx: &mut Context<'_>,
            buf: &mut BytesMut,
        ) -> Poll<io::Result<usize>> {
            loop {
                if !self.plain.is_empty() {
                    let n = self.plain.len();
                    buf.extend_from_slice(&self.plain);
                    self.plain.clear();
                    return Poll::Ready(Ok(n));
                }
                if self.closed {
                    return Poll::Ready(Ok(0));
                }
                self.raw.clear();
                self.raw.reserve(32 * 1024);
                if ready!(self.inner.poll_read_buf(cx, &mut self.raw))? == 0 {
                    return Poll::Ready(Ok(0));
                }
                self.closed = self
                    .codec
                    .handle_read(&self.raw, &mut self.plain)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                // Pongs and the closing handshake go at once if the socket takes them.
                self.queue();
                if let Poll::Ready(Err(e)) = self.poll_drain(cx) {
                    return Poll::Ready(Err(e));
                }
            }
        }

        fn poll_write_vectored(
            &mut self,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            ready!(self.poll_drain(cx))?;
            let mut frame = Vec::new();
            for buf in bufs {
                let room = FRAME - frame.len();
                frame.extend_from_slice(buf.get(..room.min(buf.len())).unwrap_or_default());
                if frame.len() == FRAME {
                    break;
                }
            }
            if frame.is_empty() {
                return Poll::Ready(Ok(0));
            }
            self.codec
                .encode(&frame)
                .map_err(|e| io::Error::new(io::ErrorKind::BrokenPipe, e))?;
            self.queue();
            // The frame is taken: what the socket does not take now goes with the flush.
            if let Poll::Ready(Err(e)) = self.poll_drain(cx) {
                return Poll::Ready(Err(e));
            }
            Poll::Ready(Ok(frame.len()))
        }

        fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            ready!(self.poll_drain(cx))?;
            self.inner.poll_flush(cx)
        }

        fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            if !std::mem::replace(&mut self.closing, true) {
                // The WebSocket's own goodbye, after MQTT's (RFC 6455 section 5.5.1).
                self.codec.close();
                self.queue();
            }
            ready!(self.poll_drain(cx))?;
            self.inner.poll_close(cx)
        }

        fn acknowledge_now(&self) -> io::Result<()> {
            self.inner.acknowledge_now()
        }
    }
}
