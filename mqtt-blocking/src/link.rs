//! The transport's writing side and TLS: plain TCP, or rustls driven by hand over TCP, so that
//! one thread can block in `read` on the socket while others write under the lock.

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use mqtt_sansio::Chunks;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

pub(crate) enum Link {
    Tcp(TcpStream),
    Tls(Box<ClientConnection>, TcpStream),
}

impl Link {
    /// TCP to `host:port`, then TLS when configured; the handshake within `timeout`.
    pub(crate) fn open(
        host: &str,
        port: u16,
        timeout: Duration,
        tls: Option<&(Arc<ClientConfig>, ServerName<'static>)>,
    ) -> io::Result<(Self, TcpStream)> {
        let address = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address for the host"))?;
        let mut tcp = TcpStream::connect_timeout(&address, timeout)?;
        tcp.set_nodelay(true)?;
        let reader = tcp.try_clone()?;
        let Some((config, name)) = tls else {
            return Ok((Self::Tcp(tcp), reader));
        };
        let mut conn =
            ClientConnection::new(config.clone(), name.clone()).map_err(io::Error::other)?;
        tcp.set_read_timeout(Some(timeout))?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)?;
        }
        tcp.set_read_timeout(None)?;
        Ok((Self::Tls(Box::new(conn), tcp), reader))
    }

    /// Sends every byte of `chunks` (vectored writes: large payloads are not copied), encrypted
    /// when TLS.
    pub(crate) fn send(&mut self, chunks: &mut Chunks) -> io::Result<()> {
        match self {
            Self::Tcp(tcp) => {
                while !chunks.is_empty() {
                    let mut slices = [IoSlice::new(&[]); 64];
                    let filled = chunks.chunks_vectored(&mut slices);
                    match tcp.write_vectored(&slices[..filled]) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(written) => chunks.advance(written),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
            Self::Tls(conn, tcp) => {
                for chunk in chunks.iter() {
                    conn.writer().write_all(chunk)?;
                }
                chunks.clear();
                while conn.wants_write() {
                    conn.write_tls(tcp)?;
                }
                Ok(())
            }
        }
    }

    /// Takes bytes read from the socket: appends the plaintext to `plain`.
    pub(crate) fn receive(&mut self, mut raw: &[u8], plain: &mut BytesMut) -> io::Result<()> {
        match self {
            Self::Tcp(_) => {
                plain.extend_from_slice(raw);
                Ok(())
            }
            Self::Tls(conn, tcp) => {
                while !raw.is_empty() {
                    conn.read_tls(&mut raw)?;
                    conn.process_new_packets().map_err(io::Error::other)?;
                    let mut chunk = [0_u8; 16 * 1024];
                    loop {
                        match conn.reader().read(&mut chunk) {
                            Ok(0) => break,
                            Ok(n) => plain.extend_from_slice(&chunk[..n]),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => return Err(e),
                        }
                    }
                }
                // Key updates and alerts the peer is owed.
                while conn.wants_write() {
                    conn.write_tls(tcp)?;
                }
                Ok(())
            }
        }
    }

    /// Closes both ways: a thread blocked reading the socket wakes up.
    pub(crate) fn shutdown(&mut self) {
        let tcp = match self {
            Self::Tcp(tcp) => tcp,
            Self::Tls(conn, tcp) => {
                conn.send_close_notify();
                let _ = conn.write_tls(tcp);
                tcp
            }
        };
        let _ = tcp.shutdown(Shutdown::Both);
    }

    /// Bounds how long a write may block on a broker that stopped reading.
    pub(crate) fn set_write_timeout(&self, timeout: Duration) {
        let (Self::Tcp(tcp) | Self::Tls(_, tcp)) = self;
        let _ = tcp.set_write_timeout(Some(timeout));
    }
}
