//! MQTT over WebSocket (MQTT 5.0 section 6), sans I/O: the upgrade request and its answer,
//! then MQTT's bytes in binary frames. The framing is tungstenite's; [`WsCodec`] only feeds it
//! bytes and takes bytes from it, so that every driver (async or blocking) runs the same code
//! over its own socket, under TLS or not.
//!
//! ```
//! # #[cfg(feature = "websocket")] {
//! use bytes::BytesMut;
//! use mqtt_driver::{Address, WebSocketOptions, WsCodec};
//!
//! let address = Address::parse("ws://broker.example:8080").unwrap();
//! let options = WebSocketOptions::new().with_header("Authorization", "Bearer t0ken");
//! let mut codec = WsCodec::client(&address, &options).unwrap();
//! let request = String::from_utf8(codec.poll_transmit().unwrap()).unwrap();
//! assert!(request.starts_with("GET /mqtt HTTP/1.1\r\n"));
//! assert!(request.contains("Sec-WebSocket-Protocol: mqtt\r\n")); // [MQTT-6.0.0-3]
//! assert!(request.contains("authorization: Bearer t0ken\r\n"));
//! assert!(!codec.is_open());
//! # }
//! ```

/// The WebSocket upgrade request's extra settings ([`Options::websocket`](crate::Options::websocket)).
///
/// ```
/// use mqtt_driver::WebSocketOptions;
///
/// let options = WebSocketOptions::new().with_header("Authorization", "Basic dTpw");
/// assert_eq!(options.headers, [("Authorization".to_owned(), "Basic dTpw".to_owned())]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebSocketOptions {
    /// HTTP headers added to the upgrade request, in order.
    pub headers: Vec<(String, String)>,
}

impl WebSocketOptions {
    /// No extra header.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header to [`headers`](Self::headers).
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Why a WebSocket connection failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebSocketError {
    /// The server answered the upgrade request with another status than 101.
    #[error("the server refused the WebSocket upgrade: HTTP {0}; check the path of the address")]
    Refused(u16),
    /// The server did not select the `mqtt` subprotocol [MQTT-6.0.0-4].
    #[error("the server did not select the WebSocket subprotocol \"mqtt\" [MQTT-6.0.0-4]")]
    Subprotocol,
    /// A header of [`WebSocketOptions::headers`] is not a valid HTTP header.
    #[error("invalid header {0:?} for the WebSocket upgrade request")]
    Header(String),
    /// The server sent a text frame: MQTT goes in binary frames only [MQTT-6.0.0-1].
    #[error("the server sent a text frame; MQTT goes in binary frames only [MQTT-6.0.0-1]")]
    TextFrame,
    /// The upgrade or the framing broke the WebSocket protocol.
    #[error("WebSocket: {0}")]
    Protocol(String),
}

#[cfg(feature = "websocket")]
pub use codec::WsCodec;

#[cfg(feature = "websocket")]
mod codec {
    use std::io::{self, Read, Write};

    use bytes::{Buf, BytesMut};
    use tungstenite::client::IntoClientRequest;
    use tungstenite::handshake::client::ClientHandshake;
    use tungstenite::handshake::{HandshakeError, MidHandshake};
    use tungstenite::http::{HeaderName, HeaderValue};
    use tungstenite::protocol::WebSocketConfig;
    use tungstenite::{Message, WebSocket};

    use super::{WebSocketError, WebSocketOptions};
    use crate::Address;

    /// The largest MQTT packet: 256 MiB of body, a byte of type, four of length.
    const LARGEST_PACKET: usize = 268_435_455 + 5;

    /// The bytes between the socket and tungstenite: what was read waits in `input` (reading
    /// past it would block), what tungstenite writes gathers in `output`.
    #[derive(Debug, Default)]
    struct Feed {
        input: BytesMut,
        output: Vec<u8>,
    }

    impl Read for Feed {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.input.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.input.len());
            buf[..n].copy_from_slice(&self.input[..n]);
            self.input.advance(n);
            Ok(n)
        }
    }

    impl Write for Feed {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    enum Phase {
        Upgrading(MidHandshake<ClientHandshake<Feed>>),
        Open(WebSocket<Feed>),
        /// After an error, or while changing phase.
        Gone,
    }

    /// A client's WebSocket, sans I/O: write what [`poll_transmit`](Self::poll_transmit)
    /// gives; give what is read to [`handle_read`](Self::handle_read), which yields MQTT's
    /// bytes once the upgrade is done; give MQTT's bytes to [`encode`](Self::encode).
    pub struct WsCodec {
        phase: Phase,
    }

    impl core::fmt::Debug for WsCodec {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("WsCodec")
                .field("open", &self.is_open())
                .finish()
        }
    }

    impl WsCodec {
        /// The client end of a WebSocket to `address` (a `ws://` or `wss://` one; its path is
        /// the request's), offering the `mqtt` subprotocol [MQTT-6.0.0-3], with the headers of
        /// `options`. The upgrade request is ready in [`poll_transmit`](Self::poll_transmit).
        ///
        /// # Errors
        /// [`WebSocketError::Header`] for a header that is not valid HTTP,
        /// [`WebSocketError::Protocol`] for an address that is not a WebSocket one.
        pub fn client(
            address: &Address,
            options: &WebSocketOptions,
        ) -> Result<Self, WebSocketError> {
            let Address::WebSocket {
                host,
                port,
                path,
                tls,
            } = address
            else {
                return Err(WebSocketError::Protocol(format!(
                    "{address} is not a WebSocket address"
                )));
            };
            let scheme = if *tls { "wss" } else { "ws" };
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            let uri = format!("{scheme}://{host}:{port}{path}");
            let mut request = uri
                .into_client_request()
                .map_err(|e| WebSocketError::Protocol(e.to_string()))?;
            let headers = request.headers_mut();
            headers.insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
            for (name, value) in &options.headers {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| WebSocketError::Header(name.clone()))?;
                let value = HeaderValue::from_str(value)
                    .map_err(|_| WebSocketError::Header(name.to_string()))?;
                headers.append(name, value);
            }
            let config = WebSocketConfig::default()
                .max_message_size(Some(LARGEST_PACKET))
                .max_frame_size(Some(LARGEST_PACKET));
            let start = ClientHandshake::start(Feed::default(), request, Some(config))
                .map_err(|e| upgrade_error(&e))?;
            let mut codec = Self { phase: Phase::Gone };
            // The first round writes the request into the feed, then waits for the answer.
            codec.advance(start.handshake())?;
            Ok(codec)
        }

        /// Whether the upgrade is done: MQTT's bytes may go.
        #[must_use]
        pub fn is_open(&self) -> bool {
            matches!(self.phase, Phase::Open(_))
        }

        /// The bytes to write to the socket next, if any: the upgrade request, frames, and
        /// the answers tungstenite owes the server (pongs, the closing handshake).
        #[must_use]
        pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
            let feed = self.feed()?;
            (!feed.output.is_empty()).then(|| std::mem::take(&mut feed.output))
        }

        fn feed(&mut self) -> Option<&mut Feed> {
            match &mut self.phase {
                Phase::Upgrading(mid) => Some(mid.get_mut().get_mut()),
                Phase::Open(ws) => Some(ws.get_mut()),
                Phase::Gone => None,
            }
        }

        /// Sends `data` (MQTT's bytes) in one binary frame [MQTT-6.0.0-1]; the frame is in
        /// [`poll_transmit`](Self::poll_transmit).
        ///
        /// # Errors
        /// [`WebSocketError::Protocol`] before the upgrade is done, or after the WebSocket
        /// closed.
        pub fn encode(&mut self, data: &[u8]) -> Result<(), WebSocketError> {
            let Phase::Open(ws) = &mut self.phase else {
                return Err(WebSocketError::Protocol("not open".into()));
            };
            ws.send(Message::binary(data.to_vec()))
                .map_err(|e| WebSocketError::Protocol(e.to_string()))
        }

        /// Starts the closing handshake (RFC 6455 section 5.5.1, status 1000): the close frame is
        /// in [`poll_transmit`](Self::poll_transmit); nothing more may be encoded. Nothing
        /// happens before the upgrade is done, or once closing.
        pub fn close(&mut self) {
            if let Phase::Open(ws) = &mut self.phase {
                let frame = tungstenite::protocol::CloseFrame {
                    code: tungstenite::protocol::frame::coding::CloseCode::Normal,
                    reason: "".into(),
                };
                let _ = ws.close(Some(frame));
                let _ = ws.flush();
            }
        }

        /// Takes bytes read from the socket: the answer to the upgrade, then frames, whose
        /// payloads (MQTT's bytes, in frames of any size [MQTT-6.0.0-2]) are appended to
        /// `plain`. `Ok(true)` once the server closed the WebSocket.
        ///
        /// # Errors
        /// [`WebSocketError::Refused`] or [`WebSocketError::Subprotocol`] for an upgrade
        /// refused, [`WebSocketError::TextFrame`] for a text frame [MQTT-6.0.0-1],
        /// [`WebSocketError::Protocol`] for anything else the server got wrong.
        pub fn handle_read(
            &mut self,
            data: &[u8],
            plain: &mut BytesMut,
        ) -> Result<bool, WebSocketError> {
            let Some(feed) = self.feed() else {
                return Err(WebSocketError::Protocol("closed".into()));
            };
            feed.input.extend_from_slice(data);
            if let Phase::Upgrading(_) = self.phase {
                let Phase::Upgrading(mid) = std::mem::replace(&mut self.phase, Phase::Gone) else {
                    return Ok(false);
                };
                self.advance(mid.handshake())?;
            }
            let Phase::Open(ws) = &mut self.phase else {
                return Ok(false);
            };
            loop {
                match ws.read() {
                    Ok(Message::Binary(payload)) => plain.extend_from_slice(&payload),
                    Ok(Message::Text(_)) => {
                        self.phase = Phase::Gone;
                        return Err(WebSocketError::TextFrame);
                    }
                    Ok(Message::Close(_)) => {
                        // tungstenite queued the answering close frame.
                        let _ = ws.flush();
                        return Ok(true);
                    }
                    // Pings are answered by tungstenite; pongs and raw frames mean nothing here.
                    Ok(_) => {}
                    Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                        // Pongs owed go out with the next transmit.
                        let _ = ws.flush();
                        return Ok(false);
                    }
                    Err(
                        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed,
                    ) => {
                        return Ok(true);
                    }
                    Err(e) => {
                        self.phase = Phase::Gone;
                        return Err(WebSocketError::Protocol(e.to_string()));
                    }
                }
            }
        }

        /// Takes the outcome of a round of the upgrade.
        fn advance(
            &mut self,
            round: Result<
                (WebSocket<Feed>, tungstenite::handshake::client::Response),
                HandshakeError<ClientHandshake<Feed>>,
            >,
        ) -> Result<(), WebSocketError> {
            match round {
                Ok((ws, _response)) => {
                    self.phase = Phase::Open(ws);
                    Ok(())
                }
                Err(HandshakeError::Interrupted(mid)) => {
                    self.phase = Phase::Upgrading(mid);
                    Ok(())
                }
                Err(HandshakeError::Failure(e)) => {
                    self.phase = Phase::Gone;
                    Err(upgrade_error(&e))
                }
            }
        }
    }

    /// What a failed upgrade means.
    fn upgrade_error(error: &tungstenite::Error) -> WebSocketError {
        use tungstenite::error::ProtocolError;
        match error {
            tungstenite::Error::Http(response) => {
                WebSocketError::Refused(response.status().as_u16())
            }
            tungstenite::Error::Protocol(ProtocolError::SecWebSocketSubProtocolError(_)) => {
                WebSocketError::Subprotocol
            }
            other => WebSocketError::Protocol(other.to_string()),
        }
    }

    #[cfg(test)]
    mod tests {
        use tungstenite::handshake::derive_accept_key;

        use super::*;

        fn upgrading() -> (WsCodec, String) {
            let address = Address::parse("ws://[::1]:9001/mqtt?x=1").unwrap();
            let mut codec = WsCodec::client(&address, &WebSocketOptions::new()).unwrap();
            let request = String::from_utf8(codec.poll_transmit().unwrap()).unwrap();
            (codec, request)
        }

        fn answer(request: &str, protocol: Option<&str>) -> Vec<u8> {
            let key = request
                .lines()
                .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap();
            let mut answer = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
                derive_accept_key(key.as_bytes())
            );
            if let Some(protocol) = protocol {
                answer.push_str("Sec-WebSocket-Protocol: ");
                answer.push_str(protocol);
                answer.push_str("\r\n");
            }
            answer.push_str("\r\n");
            answer.into_bytes()
        }

        /// An unmasked server frame.
        fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
            let mut f = vec![0x80 | opcode, u8::try_from(payload.len()).unwrap()];
            f.extend_from_slice(payload);
            f
        }

        #[test]
        fn the_request_offers_mqtt_and_keeps_the_path() {
            let (_, request) = upgrading();
            assert!(
                request.starts_with("GET /mqtt?x=1 HTTP/1.1\r\n"),
                "{request}"
            );
            assert!(request.contains("Host: [::1]:9001\r\n"));
            assert!(request.contains("Sec-WebSocket-Protocol: mqtt\r\n"));
        }

        #[test]
        fn packets_span_frames_and_share_them() {
            // [MQTT-6.0.0-2]: the answer and the first frames arrive in one read.
            let (mut codec, request) = upgrading();
            let mut bytes = answer(&request, Some("mqtt"));
            bytes.extend(frame(2, &[0x20, 0x02]));
            bytes.extend(frame(2, &[0x00]));
            let mut plain = BytesMut::new();
            assert!(!codec.handle_read(&bytes, &mut plain).unwrap());
            assert!(codec.is_open());
            // A CONNACK in two frames, then a frame with two PINGRESPs, a byte at a time.
            for byte in frame(2, &[0x00, 0xd0, 0x00, 0xd0, 0x00]) {
                assert!(!codec.handle_read(&[byte], &mut plain).unwrap());
            }
            assert_eq!(&plain[..], [0x20, 0x02, 0x00, 0x00, 0xd0, 0x00, 0xd0, 0x00]);
        }

        #[test]
        fn writes_are_masked_binary_frames_and_pings_are_answered() {
            let (mut codec, request) = upgrading();
            let mut plain = BytesMut::new();
            codec
                .handle_read(&answer(&request, Some("mqtt")), &mut plain)
                .unwrap();
            codec.encode(&[0xc0, 0x00]).unwrap();
            let out = codec.poll_transmit().unwrap();
            // FIN + binary, masked, two bytes; then the mask and the masked payload.
            assert_eq!(out[..2], [0x82, 0x82]);
            assert_eq!(out.len(), 2 + 4 + 2);
            assert_eq!([out[6] ^ out[2], out[7] ^ out[3]], [0xc0, 0x00]);
            codec.handle_read(&frame(9, b"hi"), &mut plain).unwrap();
            let pong = codec.poll_transmit().unwrap();
            assert_eq!(pong[0], 0x8a, "a pong");
            assert!(plain.is_empty());
        }

        #[test]
        fn closing_sends_a_masked_close_frame_once() {
            let (mut codec, request) = upgrading();
            codec.close();
            assert_eq!(codec.poll_transmit(), None, "not before the upgrade");
            codec
                .handle_read(&answer(&request, Some("mqtt")), &mut BytesMut::new())
                .unwrap();
            codec.close();
            let out = codec.poll_transmit().unwrap();
            // FIN + close, masked, two bytes of status; then the mask and 1000 masked.
            assert_eq!(out[..2], [0x88, 0x82]);
            assert_eq!([out[6] ^ out[2], out[7] ^ out[3]], [0x03, 0xe8]);
            codec.close();
            assert_eq!(codec.poll_transmit(), None, "once");
            assert!(codec.encode(b"late").is_err());
        }

        #[test]
        fn text_frames_close_the_connection() {
            // [MQTT-6.0.0-1]
            let (mut codec, request) = upgrading();
            let mut bytes = answer(&request, Some("mqtt"));
            bytes.extend(frame(1, b"hello"));
            assert_eq!(
                codec.handle_read(&bytes, &mut BytesMut::new()),
                Err(WebSocketError::TextFrame)
            );
        }

        #[test]
        fn a_close_frame_ends_the_stream() {
            let (mut codec, request) = upgrading();
            let mut bytes = answer(&request, Some("mqtt"));
            bytes.extend(frame(8, &[0x03, 0xe8]));
            assert!(codec.handle_read(&bytes, &mut BytesMut::new()).unwrap());
            assert_eq!(
                codec.poll_transmit().unwrap()[0],
                0x88,
                "the answering close"
            );
        }

        #[test]
        fn upgrades_refused_are_typed() {
            // [MQTT-6.0.0-4]
            let (mut codec, request) = upgrading();
            assert_eq!(
                codec.handle_read(&answer(&request, None), &mut BytesMut::new()),
                Err(WebSocketError::Subprotocol)
            );
            let (mut codec, request) = upgrading();
            assert_eq!(
                codec.handle_read(&answer(&request, Some("mqttv3.1")), &mut BytesMut::new()),
                Err(WebSocketError::Subprotocol)
            );
            let (mut codec, _) = upgrading();
            assert_eq!(
                codec.handle_read(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
                    &mut BytesMut::new()
                ),
                Err(WebSocketError::Refused(404))
            );
            let bad = WebSocketOptions::new().with_header("Bad Name", "x");
            let address = Address::parse("ws://b").unwrap();
            assert_eq!(
                WsCodec::client(&address, &bad).unwrap_err(),
                WebSocketError::Header("Bad Name".into())
            );
        }
    }
}
