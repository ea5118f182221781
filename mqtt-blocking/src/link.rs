//! The connection's layers: the socket (TCP or Unix), a proxy's tunnel, TLS (rustls driven by
//! hand), a WebSocket; each handshake runs once at the start, then one thread blocks in `read`
//! on a clone of the socket while others write under the lock.

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use mqtt_driver::{Address, Error, Options, ProxyError, Tunnel};
use mqtt_sansio::Chunks;
use rustls::ClientConnection;

/// A connected socket: both ways, or the reading clone.
pub(crate) enum Socket {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

impl Socket {
    fn try_clone(&self) -> io::Result<Self> {
        match self {
            Self::Tcp(s) => s.try_clone().map(Self::Tcp),
            #[cfg(unix)]
            Self::Unix(s) => s.try_clone().map(Self::Unix),
        }
    }

    pub(crate) fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.set_read_timeout(timeout),
            #[cfg(unix)]
            Self::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.set_write_timeout(timeout),
            #[cfg(unix)]
            Self::Unix(s) => s.set_write_timeout(timeout),
        }
    }

    /// Acknowledges what was read at once ([`mqtt_driver::Transport::acknowledge_now`]).
    pub(crate) fn acknowledge_now(&self) -> io::Result<()> {
        match self {
            Self::Tcp(s) => mqtt_driver::acknowledge_now(s),
            #[cfg(unix)]
            Self::Unix(_) => Err(io::ErrorKind::Unsupported.into()),
        }
    }

    fn shutdown(&self) {
        let _ = match self {
            Self::Tcp(s) => s.shutdown(Shutdown::Both),
            #[cfg(unix)]
            Self::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Self::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Self::Unix(s) => s.write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.write_vectored(bufs),
            #[cfg(unix)]
            Self::Unix(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The most MQTT bytes put in one WebSocket frame.
#[cfg(feature = "websocket")]
const FRAME: usize = 128 * 1024;

/// The writing side of a connection and its layers.
pub(crate) struct Link {
    socket: Socket,
    tls: Option<Box<ClientConnection>>,
    #[cfg(feature = "websocket")]
    ws: Option<mqtt_driver::WsCodec>,
    /// MQTT bytes that came with the end of a handshake, for the first `receive`.
    early: BytesMut,
}

impl Link {
    /// Opens the layers to `broker`, each handshake within `options.connect_timeout`; the link
    /// and the socket's clone to read from.
    pub(crate) fn open(options: &Options, broker: &Address) -> Result<(Self, Socket), Error> {
        let timeout = options.connect_timeout;
        let socket = match broker {
            #[cfg(unix)]
            Address::Unix { path } => Socket::Unix(std::os::unix::net::UnixStream::connect(path)?),
            #[cfg(not(unix))]
            Address::Unix { .. } => {
                return Err(Error::Io(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "no Unix domain sockets on this platform",
                )));
            }
            _ => {
                let host = broker.host().unwrap_or_default();
                let port = broker.port().unwrap_or_default();
                match options.proxy.for_broker(broker)? {
                    Some(proxy) => {
                        let mut tcp = Socket::Tcp(dial(&proxy.host, proxy.port, timeout)?);
                        let failed = |error| Error::Proxy {
                            proxy: proxy.to_string(),
                            error,
                        };
                        let tunnel = Tunnel::new(&proxy, host, port).map_err(failed)?;
                        tcp.set_read_timeout(Some(timeout))?;
                        dig(&mut tcp, tunnel)?.map_err(failed)?;
                        tcp
                    }
                    None => Socket::Tcp(dial(host, port, timeout)?),
                }
            }
        };
        socket.set_read_timeout(Some(timeout))?;
        socket.set_write_timeout(Some(timeout))?;
        let mut link = Self {
            socket,
            tls: None,
            #[cfg(feature = "websocket")]
            ws: None,
            early: BytesMut::new(),
        };
        if let (true, Some(host)) = (broker.is_tls(), broker.host()) {
            // Read afresh for each connection: a renewed certificate is used from the next one.
            let (config, name) = options.tls.client_config(host)?;
            let mut conn = ClientConnection::new(config, name).map_err(Error::Tls)?;
            while conn.is_handshaking() {
                conn.complete_io(&mut link.socket)
                    .map_err(handshake_error)?;
            }
            link.tls = Some(Box::new(conn));
        }
        #[cfg(feature = "websocket")]
        if let Address::WebSocket { .. } = broker {
            link.upgrade(mqtt_driver::WsCodec::client(broker, &options.websocket)?)?;
        }
        link.socket.set_read_timeout(None)?;
        let reader = link.socket.try_clone()?;
        Ok((link, reader))
    }

    /// The WebSocket upgrade, over TLS when there is TLS.
    #[cfg(feature = "websocket")]
    fn upgrade(&mut self, mut codec: mqtt_driver::WsCodec) -> Result<(), Error> {
        let mut raw = vec![0_u8; 16 * 1024];
        let mut plain = BytesMut::new();
        let upgrade = |e: io::Error| match handshake_error(e) {
            Error::Io(e) => Error::from(mqtt_driver::WebSocketError::Protocol(format!(
                "the connection failed during the upgrade: {e}"
            ))),
            other => other,
        };
        loop {
            while let Some(bytes) = codec.poll_transmit() {
                self.write_raw(&bytes).map_err(upgrade)?;
            }
            if codec.is_open() {
                break;
            }
            let n = self.socket.read(&mut raw).map_err(upgrade)?;
            if n == 0 {
                return Err(mqtt_driver::WebSocketError::Protocol(
                    "the server closed the connection during the upgrade".into(),
                )
                .into());
            }
            let mut decrypted = BytesMut::new();
            self.decrypt(raw.get(..n).unwrap_or_default(), &mut decrypted)
                .map_err(handshake_error)?;
            if codec.handle_read(&decrypted, &mut plain)? {
                return Err(mqtt_driver::WebSocketError::Protocol("closed at once".into()).into());
            }
        }
        self.early = plain;
        self.ws = Some(codec);
        Ok(())
    }

    /// Sends every byte of `chunks` (vectored writes over plain TCP: large payloads are not
    /// copied), in WebSocket frames and encrypted where the layers say so.
    pub(crate) fn send(&mut self, chunks: &mut Chunks) -> io::Result<()> {
        #[cfg(feature = "websocket")]
        if self.ws.is_some() {
            while !chunks.is_empty() {
                let mut frame = Vec::new();
                while frame.len() < FRAME && !chunks.is_empty() {
                    let chunk = chunks.chunk();
                    let take = chunk.len().min(FRAME - frame.len());
                    frame.extend_from_slice(chunk.get(..take).unwrap_or_default());
                    chunks.advance(take);
                }
                let bytes = match self.ws.as_mut() {
                    Some(ws) => {
                        ws.encode(&frame)
                            .map_err(|e| io::Error::new(io::ErrorKind::BrokenPipe, e))?;
                        ws.poll_transmit().unwrap_or_default()
                    }
                    None => Vec::new(),
                };
                self.write_raw(&bytes)?;
            }
            return Ok(());
        }
        match &mut self.tls {
            None => {
                while !chunks.is_empty() {
                    let mut slices = [IoSlice::new(&[]); 64];
                    let filled = chunks.chunks_vectored_up_to(&mut slices, mqtt_driver::MAX_WRITE);
                    match self
                        .socket
                        .write_vectored(slices.get(..filled).unwrap_or_default())
                    {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(written) => chunks.advance(written),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
            Some(conn) => {
                for chunk in chunks.iter() {
                    conn.writer().write_all(chunk)?;
                }
                chunks.clear();
                while conn.wants_write() {
                    conn.write_tls(&mut self.socket)?;
                }
                Ok(())
            }
        }
    }

    /// Writes bytes below MQTT's (WebSocket frames, the upgrade request), through TLS if any.
    #[cfg(feature = "websocket")]
    fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.tls {
            None => self.socket.write_all(bytes),
            Some(conn) => {
                conn.writer().write_all(bytes)?;
                while conn.wants_write() {
                    conn.write_tls(&mut self.socket)?;
                }
                Ok(())
            }
        }
    }

    /// Takes bytes read from the socket: appends what TLS decrypts (or the bytes themselves)
    /// to `out`.
    fn decrypt(&mut self, mut raw: &[u8], out: &mut BytesMut) -> io::Result<()> {
        let Some(conn) = &mut self.tls else {
            out.extend_from_slice(raw);
            return Ok(());
        };
        while !raw.is_empty() {
            conn.read_tls(&mut raw)?;
            conn.process_new_packets().map_err(io::Error::other)?;
            let mut chunk = [0_u8; 16 * 1024];
            loop {
                match conn.reader().read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => out.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
        // Key updates and alerts the peer is owed.
        while conn.wants_write() {
            conn.write_tls(&mut self.socket)?;
        }
        Ok(())
    }

    /// Takes bytes read from the socket: appends MQTT's bytes to `plain`. A WebSocket the
    /// server closed is an error, as the end of the stream would be.
    pub(crate) fn receive(&mut self, raw: &[u8], plain: &mut BytesMut) -> io::Result<()> {
        if !self.early.is_empty() {
            plain.extend_from_slice(&self.early);
            self.early.clear();
        }
        #[cfg(feature = "websocket")]
        if self.ws.is_some() {
            let mut decrypted = BytesMut::new();
            self.decrypt(raw, &mut decrypted)?;
            let (closed, owed) = match self.ws.as_mut() {
                Some(ws) => (
                    ws.handle_read(&decrypted, plain)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
                    ws.poll_transmit(),
                ),
                None => (false, None),
            };
            // Pongs, and the answer to a closing handshake.
            if let Some(owed) = owed {
                self.write_raw(&owed)?;
            }
            if closed {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "the server closed the WebSocket",
                ));
            }
            return Ok(());
        }
        self.decrypt(raw, plain)
    }

    /// Closes both ways: a thread blocked reading the socket wakes up.
    pub(crate) fn shutdown(&mut self) {
        #[cfg(feature = "websocket")]
        if let Some(ws) = self.ws.as_mut() {
            // The WebSocket's own goodbye, after MQTT's (RFC 6455 section 5.5.1).
            ws.close();
            if let Some(frame) = ws.poll_transmit() {
                let _ = self.write_raw(&frame);
            }
        }
        if let Some(conn) = &mut self.tls {
            conn.send_close_notify();
            let _ = conn.write_tls(&mut self.socket);
        }
        self.socket.shutdown();
    }

    /// Bounds how long a write may block on a broker that stopped reading.
    pub(crate) fn set_write_timeout(&self, timeout: Duration) {
        let _ = self.socket.set_write_timeout(Some(timeout));
    }
}

/// A TCP connection to `host:port`, trying each of its addresses within `timeout`, with
/// Nagle's algorithm off. Not [`mqtt_driver::limit_unsent`]: a blocking write would wait under
/// the session's lock until the bytes before it have left (publish QoS 0 1 KiB: 0.61× rumqttc
/// with it, 1.08× without); writes of about [`mqtt_driver::MAX_WRITE`] keep the segments small.
fn dial(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, Error> {
    let mut last = None;
    for address in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(tcp) => {
                tcp.set_nodelay(true)?;
                return Ok(tcp);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) if e.kind() == io::ErrorKind::TimedOut => Error::ConnectTimeout,
        Some(e) => Error::Io(e),
        None => Error::Io(io::Error::new(
            io::ErrorKind::NotFound,
            "no address for the host",
        )),
    })
}

/// Runs the proxy's handshake over `socket`: `Ok(Err(_))` when the proxy refuses.
fn dig(socket: &mut Socket, mut tunnel: Tunnel) -> Result<Result<(), ProxyError>, Error> {
    let mut buf = vec![0_u8; 4096];
    loop {
        while let Some(bytes) = tunnel.poll_transmit() {
            socket.write_all(&bytes).map_err(handshake_error)?;
        }
        if tunnel.is_open() {
            return Ok(Ok(()));
        }
        let n = socket.read(&mut buf).map_err(handshake_error)?;
        if n == 0 {
            return Ok(Err(ProxyError::Closed));
        }
        if let Err(e) = tunnel.handle_read(buf.get(..n).unwrap_or_default()) {
            return Ok(Err(e));
        }
    }
}

/// A handshake's I/O error: the connect timeout, TLS's own error, or the I/O error.
fn handshake_error(e: io::Error) -> Error {
    if matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        return Error::ConnectTimeout;
    }
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(tls) => Error::Tls(tls.clone()),
        None => Error::Io(e),
    }
}
