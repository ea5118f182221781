//! Proxies between the client and its brokers: HTTP `CONNECT` tunnels (RFC 9110 section
//! 9.3.6, with basic authentication) and SOCKS5 (RFC 1928, with RFC 1929's user name and
//! password), set in the options or taken from the environment.
//!
//! The handshake is a [`Tunnel`]: bytes in, bytes out, no I/O, so that every driver (async
//! or blocking) runs the same one over its own socket. TLS and WebSocket then run inside the
//! tunnel as they would over TCP.
//!
//! ```
//! use mqtt_driver::{Address, Proxy, ProxySetting, Tunnel};
//!
//! let proxy = Proxy::parse("http://alice:secret@proxy.example:3128").unwrap();
//! let mut tunnel = Tunnel::new(&proxy, "broker.example", 8883).unwrap();
//! let request = String::from_utf8(tunnel.poll_transmit().unwrap()).unwrap();
//! assert!(request.starts_with("CONNECT broker.example:8883 HTTP/1.1\r\n"));
//! assert!(request.contains("Proxy-Authorization: Basic YWxpY2U6c2VjcmV0\r\n"));
//! tunnel.handle_read(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
//! assert!(tunnel.is_open());
//!
//! // From the environment: HTTPS_PROXY for TLS, ALL_PROXY for all, NO_PROXY to skip some.
//! let setting = ProxySetting::FromEnvironment;
//! let broker = Address::parse("unix:///run/mosquitto.sock").unwrap();
//! assert_eq!(setting.for_broker(&broker).unwrap(), None, "a Unix socket is never proxied");
//! ```

use core::fmt;
use std::net::IpAddr;

use base64::Engine as _;

use crate::address::{AddressError, host_of, url_error, user_info};
use crate::{Address, Error};

/// A proxy server ([`ProxySetting::Through`], or from the environment).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Proxy {
    /// What the proxy speaks.
    pub kind: ProxyKind,
    /// Its host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// A user name and password: HTTP basic authentication, or SOCKS5's user name and
    /// password method.
    pub credentials: Option<(String, String)>,
}

/// What a [`Proxy`] speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyKind {
    /// An HTTP proxy, asked for a `CONNECT` tunnel (`http://`, port 80 by default).
    Http,
    /// A SOCKS5 proxy (`socks5://` or `socks5h://`, port 1080 by default). Host names go to the
    /// proxy unresolved in both forms: the proxy is the one that can reach the broker's
    /// network.
    Socks5,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("kind", &self.kind)
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(user, _)| (user, "*")),
            )
            .finish()
    }
}

impl fmt::Display for Proxy {
    /// The proxy's URL, without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.kind {
            ProxyKind::Http => "http",
            ProxyKind::Socks5 => "socks5h",
        };
        write!(f, "{scheme}://")?;
        if let Some((user, _)) = &self.credentials {
            write!(f, "{user}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl Proxy {
    /// Parses a proxy URL: `http://[user:password@]host[:port]`,
    /// `socks5://[user:password@]host[:port]` or `socks5h://…`. Without a scheme
    /// (`proxy.example:3128`, as environment variables often say) it is an HTTP proxy.
    ///
    /// ```
    /// use mqtt_driver::{Proxy, ProxyKind};
    ///
    /// let proxy = Proxy::parse("socks5://bob:pw@10.0.0.1").unwrap();
    /// assert_eq!((proxy.kind, proxy.port), (ProxyKind::Socks5, 1080));
    /// assert_eq!(Proxy::parse("proxy.example:3128").unwrap().kind, ProxyKind::Http);
    /// assert!(Proxy::parse("http://").is_err());
    /// ```
    ///
    /// # Errors
    /// The [`AddressError`] that says what is wrong: no host
    /// ([`MissingHost`](AddressError::MissingHost)), a bad port, an unknown scheme
    /// ([`UnknownProxyScheme`](AddressError::UnknownProxyScheme)).
    pub fn parse(url: &str) -> Result<Self, AddressError> {
        let full;
        let url = if url.contains("://") {
            url
        } else {
            full = format!("http://{url}");
            &full
        };
        let parsed = url::Url::parse(url).map_err(|e| url_error(url, e))?;
        let (kind, default_port) = match parsed.scheme() {
            "http" => (ProxyKind::Http, 80),
            "socks5" | "socks5h" => (ProxyKind::Socks5, 1080),
            other => return Err(AddressError::UnknownProxyScheme(other.to_owned())),
        };
        let host = host_of(&parsed)?;
        // `port()`, not `port_or_known_default()`: HTTP's default is only known for `http`.
        let port = match parsed.port() {
            Some(0) => return Err(AddressError::BadPort("0".into())),
            Some(port) => port,
            None => default_port,
        };
        Ok(Self {
            kind,
            host,
            port,
            credentials: user_info(&parsed)
                .map(|(user, password)| (user, password.unwrap_or_default())),
        })
    }
}

/// How to reach the brokers ([`Options::proxy`](crate::Options::proxy)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxySetting {
    /// Straight to the broker (the default).
    #[default]
    Direct,
    /// Through this proxy, for every broker but `unix://` ones.
    Through(Proxy),
    /// Through the proxy the environment names for the broker, read before each connection
    /// attempt, as curl reads it (lower case first, then upper case):
    ///
    /// | Broker | Variables, in order |
    /// |---|---|
    /// | `mqtts://`, `wss://` | `https_proxy`, `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY` |
    /// | `ws://` | `http_proxy`, `all_proxy`, `ALL_PROXY` |
    /// | `mqtt://` | `all_proxy`, `ALL_PROXY` |
    /// | `unix://` | none: never proxied |
    ///
    /// `no_proxy` / `NO_PROXY` lists hosts to reach directly, separated by commas: `*` for
    /// all, a name for itself and its subdomains (`example.com` or `.example.com`), an IP
    /// address, or a network (`10.0.0.0/8`); an entry may end with `:port`.
    FromEnvironment,
}

impl ProxySetting {
    /// The proxy to reach `broker` through, if any.
    ///
    /// # Errors
    /// [`Error::InvalidProxy`] when the proxy URL (set, or read from the environment) does not
    /// parse.
    pub fn for_broker(&self, broker: &Address) -> Result<Option<Proxy>, Error> {
        if matches!(broker, Address::Unix { .. }) {
            return Ok(None);
        }
        match self {
            Self::Direct => Ok(None),
            Self::Through(proxy) => Ok(Some(proxy.clone())),
            Self::FromEnvironment => from_variables(broker, |name| std::env::var(name).ok()),
        }
    }
}

/// The proxy for `broker` from the variables `var` reads.
fn from_variables(
    broker: &Address,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>, Error> {
    let (Some(host), Some(port)) = (broker.host(), broker.port()) else {
        return Ok(None);
    };
    let names: &[&str] = match broker {
        Address::Tls { .. } | Address::WebSocket { tls: true, .. } => {
            &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
        }
        Address::WebSocket { tls: false, .. } => &["http_proxy", "all_proxy", "ALL_PROXY"],
        _ => &["all_proxy", "ALL_PROXY"],
    };
    let Some(url) = names
        .iter()
        .filter_map(|name| var(name))
        .find(|value| !value.trim().is_empty())
    else {
        return Ok(None);
    };
    let no_proxy = var("no_proxy")
        .or_else(|| var("NO_PROXY"))
        .unwrap_or_default();
    if bypassed(&no_proxy, host, port) {
        return Ok(None);
    }
    Proxy::parse(url.trim())
        .map(Some)
        .map_err(|reason| Error::InvalidProxy {
            address: url,
            reason,
        })
}

/// Whether `no_proxy` lists `host:port`.
fn bypassed(no_proxy: &str, host: &str, port: u16) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    no_proxy
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (pattern, entry_port) = split_port(entry);
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            if let Some((network, bits)) = pattern.split_once('/') {
                return match (ip, network.parse::<IpAddr>(), bits.parse::<u8>()) {
                    (Some(ip), Ok(network), Ok(bits)) => in_network(ip, network, bits),
                    _ => false,
                };
            }
            if let (Some(ip), Ok(entry_ip)) = (ip, pattern.parse::<IpAddr>()) {
                return ip == entry_ip;
            }
            let pattern = pattern.trim_start_matches('.').to_ascii_lowercase();
            host == pattern || host.ends_with(&format!(".{pattern}"))
        })
}

/// An entry of `NO_PROXY` and its port, if it names one (`host:1883`, `[::1]:1883`).
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, port)) => (ip, port.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (entry, None),
        };
    }
    match entry.rsplit_once(':') {
        // One colon: a port; more: an IPv6 address without one.
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok()),
        _ => (entry, None),
    }
}

/// Whether `ip` is in `network/bits`.
fn in_network(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

/// Why a proxy did not open the tunnel.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The HTTP proxy answered `CONNECT` with another status than 2xx.
    #[error("the proxy refused the tunnel: HTTP {status} {reason}")]
    Refused {
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: String,
    },
    /// The HTTP proxy wants credentials (407, or 401 as some proxies say): none were given,
    /// or they were refused.
    #[error(
        "the proxy wants credentials (HTTP {status} {reason}): none were given, or they were refused"
    )]
    AuthenticationRequired {
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: String,
    },
    /// The SOCKS5 proxy takes none of the authentication methods offered.
    #[error(
        "the SOCKS5 proxy takes none of the authentication methods offered ({0}); give it a user name and password"
    )]
    NoAcceptableMethod(&'static str),
    /// The SOCKS5 proxy refused the user name and password.
    #[error("the SOCKS5 proxy refused the user name and password")]
    AuthenticationFailed,
    /// The SOCKS5 proxy could not open the connection to the broker.
    #[error("the SOCKS5 proxy could not connect to the broker: {meaning} (reply {code:#04x})")]
    Unreachable {
        /// The reply code (RFC 1928 section 6).
        code: u8,
        /// What it means.
        meaning: &'static str,
    },
    /// A user name, password or host name longer than SOCKS5's 255 bytes.
    #[error("SOCKS5 takes user names, passwords and host names of at most 255 bytes")]
    TooLong,
    /// The proxy's answer is not what its protocol says.
    #[error("the proxy's answer is not valid: {0}")]
    Malformed(String),
    /// The proxy sent more than its answer before the tunnel was used.
    #[error("the proxy sent bytes after its answer, before the broker could speak")]
    UnexpectedData,
    /// The proxy closed the connection before the tunnel was open.
    #[error("the proxy closed the connection before the tunnel was open")]
    Closed,
}

/// The most an HTTP proxy's answer may take before the tunnel opens.
const MAX_ANSWER: usize = 16 * 1024;

/// A proxy handshake, sans I/O: write what [`poll_transmit`](Self::poll_transmit) gives,
/// give what is read to [`handle_read`](Self::handle_read), until [`is_open`](Self::is_open);
/// the broker's bytes follow on the same connection.
#[derive(Debug)]
pub struct Tunnel {
    state: State,
    /// Bytes to write.
    transmit: Option<Vec<u8>>,
    /// Bytes read and not yet understood.
    received: Vec<u8>,
    /// The SOCKS5 requests still to send: credentials and the connect request.
    credentials: Option<Vec<u8>>,
    connect: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Waiting for the HTTP proxy's status line and headers.
    HttpAnswer,
    /// Waiting for the SOCKS5 method choice.
    Method,
    /// Waiting for the SOCKS5 authentication status.
    Authentication,
    /// Waiting for the SOCKS5 connect reply.
    Reply,
    Open,
}

impl Tunnel {
    /// The handshake that asks `proxy` for a tunnel to `host:port`.
    ///
    /// # Errors
    /// [`ProxyError::TooLong`] for SOCKS5 credentials or a host name longer than 255 bytes.
    pub fn new(proxy: &Proxy, host: &str, port: u16) -> Result<Self, ProxyError> {
        match proxy.kind {
            ProxyKind::Http => Ok(Self::http(proxy, host, port)),
            ProxyKind::Socks5 => Self::socks5(proxy, host, port),
        }
    }

    fn http(proxy: &Proxy, host: &str, port: u16) -> Self {
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some((user, password)) = &proxy.credentials {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            request.push_str("Proxy-Authorization: Basic ");
            request.push_str(&token);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        Self {
            state: State::HttpAnswer,
            transmit: Some(request.into_bytes()),
            received: Vec::new(),
            credentials: None,
            connect: Vec::new(),
        }
    }

    fn socks5(proxy: &Proxy, host: &str, port: u16) -> Result<Self, ProxyError> {
        let short = |s: &str| u8::try_from(s.len()).map_err(|_| ProxyError::TooLong);
        let credentials = match &proxy.credentials {
            Some((user, password)) => {
                // RFC 1929: version 1, then each field with its length.
                let mut request = vec![1, short(user)?];
                request.extend_from_slice(user.as_bytes());
                request.push(short(password)?);
                request.extend_from_slice(password.as_bytes());
                Some(request)
            }
            None => None,
        };
        // RFC 1928 section 4: CONNECT, reserved, then the address by type.
        let mut connect = vec![5, 1, 0];
        match host.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) => {
                connect.push(1);
                connect.extend_from_slice(&ip.octets());
            }
            Ok(IpAddr::V6(ip)) => {
                connect.push(4);
                connect.extend_from_slice(&ip.octets());
            }
            Err(_) => {
                connect.extend_from_slice(&[3, short(host)?]);
                connect.extend_from_slice(host.as_bytes());
            }
        }
        connect.extend_from_slice(&port.to_be_bytes());
        // Methods offered: none, and user name / password when there are credentials.
        let greeting = if credentials.is_some() {
            vec![5, 2, 0, 2]
        } else {
            vec![5, 1, 0]
        };
        Ok(Self {
            state: State::Method,
            transmit: Some(greeting),
            received: Vec::new(),
            credentials,
            connect,
        })
    }

    /// The bytes to write to the proxy next, if any.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.take()
    }

    /// Whether the tunnel is open: what follows is the broker's.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// Takes bytes read from the proxy.
    ///
    /// # Errors
    /// The [`ProxyError`] that says why the tunnel will not open; the connection is of no
    /// further use.
    pub fn handle_read(&mut self, data: &[u8]) -> Result<(), ProxyError> {
        if self.state == State::Open {
            return Err(ProxyError::UnexpectedData);
        }
        self.received.extend_from_slice(data);
        loop {
            let before = self.received.len();
            match self.state {
                State::HttpAnswer => self.http_answer()?,
                State::Method => self.method()?,
                State::Authentication => self.authentication()?,
                State::Reply => self.reply()?,
                State::Open => {
                    return if self.received.is_empty() {
                        Ok(())
                    } else {
                        Err(ProxyError::UnexpectedData)
                    };
                }
            }
            if self.received.len() == before {
                return Ok(());
            }
        }
    }

    /// Takes the first `n` bytes received, understood.
    fn consume(&mut self, n: usize) {
        self.received.drain(..n);
    }

    fn http_answer(&mut self) -> Result<(), ProxyError> {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut answer = httparse::Response::new(&mut headers);
        match answer.parse(&self.received) {
            Ok(httparse::Status::Complete(length)) => {
                let status = answer.code.unwrap_or_default();
                let reason = answer.reason.unwrap_or_default().to_owned();
                match status {
                    200..=299 => {
                        self.state = State::Open;
                        self.consume(length);
                        Ok(())
                    }
                    401 | 407 => Err(ProxyError::AuthenticationRequired { status, reason }),
                    _ => Err(ProxyError::Refused { status, reason }),
                }
            }
            Ok(httparse::Status::Partial) if self.received.len() > MAX_ANSWER => Err(
                ProxyError::Malformed(format!("no end of the headers in {MAX_ANSWER} bytes")),
            ),
            Ok(httparse::Status::Partial) => Ok(()),
            Err(e) => Err(ProxyError::Malformed(format!("not an HTTP answer ({e})"))),
        }
    }

    fn method(&mut self) -> Result<(), ProxyError> {
        let [version, method, ..] = self.received[..] else {
            return Ok(());
        };
        if version != 5 {
            return Err(ProxyError::Malformed(format!(
                "SOCKS version {version} instead of 5"
            )));
        }
        self.consume(2);
        match (method, self.credentials.take()) {
            (0, _) => {
                self.transmit = Some(std::mem::take(&mut self.connect));
                self.state = State::Reply;
                Ok(())
            }
            (2, Some(credentials)) => {
                self.transmit = Some(credentials);
                self.state = State::Authentication;
                Ok(())
            }
            (0xff, Some(_)) => Err(ProxyError::NoAcceptableMethod(
                "none, user name and password",
            )),
            (0xff, None) => Err(ProxyError::NoAcceptableMethod("none")),
            (other, _) => Err(ProxyError::Malformed(format!(
                "SOCKS5 method {other:#04x}, which was not offered"
            ))),
        }
    }

    fn authentication(&mut self) -> Result<(), ProxyError> {
        let [_, status, ..] = self.received[..] else {
            return Ok(());
        };
        self.consume(2);
        if status != 0 {
            return Err(ProxyError::AuthenticationFailed);
        }
        self.transmit = Some(std::mem::take(&mut self.connect));
        self.state = State::Reply;
        Ok(())
    }

    fn reply(&mut self) -> Result<(), ProxyError> {
        let [version, code, _, kind, ..] = self.received[..] else {
            return Ok(());
        };
        if version != 5 {
            return Err(ProxyError::Malformed(format!(
                "SOCKS version {version} instead of 5"
            )));
        }
        if code != 0 {
            return Err(ProxyError::Unreachable {
                code,
                meaning: socks5_meaning(code),
            });
        }
        // The bound address, which the client has no use for, then the port.
        let address = match kind {
            1 => 4,
            4 => 16,
            3 => match self.received.get(4) {
                Some(&length) => 1 + usize::from(length),
                None => return Ok(()),
            },
            other => {
                return Err(ProxyError::Malformed(format!(
                    "SOCKS5 address type {other}"
                )));
            }
        };
        let length = 4 + address + 2;
        if self.received.len() < length {
            return Ok(());
        }
        self.consume(length);
        self.state = State::Open;
        Ok(())
    }
}

/// What a SOCKS5 reply code means (RFC 1928 section 6).
const fn socks5_meaning(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(url: &str) -> Proxy {
        Proxy::parse(url).unwrap()
    }

    #[test]
    fn proxy_urls_parse_with_their_default_ports() {
        let p = proxy("http://proxy.example");
        assert_eq!(
            (p.kind, p.host.as_str(), p.port),
            (ProxyKind::Http, "proxy.example", 80)
        );
        assert_eq!(proxy("socks5h://[::1]").port, 1080);
        assert_eq!(proxy("socks5h://[::1]").host, "::1");
        assert_eq!(proxy("10.1.1.1:3128").port, 3128);
        assert_eq!(
            proxy("http://a%40b:p%3Aw@h:1").credentials,
            Some(("a@b".into(), "p:w".into()))
        );
        assert_eq!(
            proxy("http://a@h").credentials,
            Some(("a".into(), String::new()))
        );
        assert_eq!(
            Proxy::parse("https://h"),
            Err(AddressError::UnknownProxyScheme("https".into()))
        );
        assert_eq!(Proxy::parse("http://"), Err(AddressError::MissingHost));
        assert_eq!(
            Proxy::parse("http://h:0"),
            Err(AddressError::BadPort("0".into()))
        );
        assert_eq!(
            Proxy::parse("socks5://h:70000"),
            Err(AddressError::BadPort("70000".into()))
        );
        let shown = proxy("http://alice:secret@h:1");
        assert_eq!(shown.to_string(), "http://alice@h:1");
        assert!(!format!("{shown:?}").contains("secret"));
    }

    #[test]
    fn http_connect_opens_on_2xx_and_names_every_refusal() {
        let mut t = Tunnel::new(&proxy("http://h"), "::1", 1883).unwrap();
        assert_eq!(
            t.poll_transmit().unwrap(),
            b"CONNECT [::1]:1883 HTTP/1.1\r\nHost: [::1]:1883\r\n\r\n"
        );
        assert_eq!(t.poll_transmit(), None);
        // An answer in pieces.
        t.handle_read(b"HTTP/1.0 200 OK\r\nVia: x\r").unwrap();
        assert!(!t.is_open());
        t.handle_read(b"\n\r\n").unwrap();
        assert!(t.is_open());
        assert_eq!(t.handle_read(b"x"), Err(ProxyError::UnexpectedData));

        let answer = |bytes: &[u8]| {
            let mut t = Tunnel::new(&proxy("http://h"), "b", 1).unwrap();
            t.handle_read(bytes)
        };
        assert_eq!(
            answer(b"HTTP/1.1 403 Forbidden\r\n\r\n"),
            Err(ProxyError::Refused {
                status: 403,
                reason: "Forbidden".into()
            })
        );
        assert_eq!(
            answer(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"),
            Err(ProxyError::AuthenticationRequired {
                status: 407,
                reason: "Proxy Authentication Required".into()
            })
        );
        assert!(matches!(
            answer(b"SSH-2.0\r\n"),
            Err(ProxyError::Malformed(_))
        ));
        assert_eq!(
            answer(b"HTTP/1.1 200 OK\r\n\r\nearly"),
            Err(ProxyError::UnexpectedData)
        );
        assert!(matches!(
            answer(&vec![b'a'; MAX_ANSWER + 1][..]),
            Err(ProxyError::Malformed(_))
        ));
    }

    #[test]
    fn socks5_without_credentials_sends_the_name_to_the_proxy() {
        let mut t = Tunnel::new(&proxy("socks5://h"), "broker", 1883).unwrap();
        assert_eq!(t.poll_transmit().unwrap(), [5, 1, 0]);
        t.handle_read(&[5, 0]).unwrap();
        let mut request = vec![5, 1, 0, 3, 6];
        request.extend_from_slice(b"broker");
        request.extend_from_slice(&1883_u16.to_be_bytes());
        assert_eq!(t.poll_transmit().unwrap(), request);
        // A reply with a bound IPv4 address, byte by byte.
        for byte in [5, 0, 0, 1, 127, 0, 0, 1, 0x07] {
            t.handle_read(&[byte]).unwrap();
            assert!(!t.is_open());
        }
        t.handle_read(&[0x5b]).unwrap();
        assert!(t.is_open());
    }

    #[test]
    fn socks5_with_credentials_authenticates_then_connects() {
        let mut t = Tunnel::new(&proxy("socks5://bob:pw@h"), "10.0.0.2", 8883).unwrap();
        assert_eq!(t.poll_transmit().unwrap(), [5, 2, 0, 2]);
        t.handle_read(&[5, 2]).unwrap();
        assert_eq!(
            t.poll_transmit().unwrap(),
            [1, 3, b'b', b'o', b'b', 2, b'p', b'w']
        );
        t.handle_read(&[1, 0]).unwrap();
        assert_eq!(
            t.poll_transmit().unwrap(),
            [5, 1, 0, 1, 10, 0, 0, 2, 0x22, 0xb3]
        );
        // A reply with a bound domain name, all at once.
        t.handle_read(&[5, 0, 0, 3, 1, b'x', 0, 1]).unwrap();
        assert!(t.is_open());
        // IPv6 brokers go as such.
        let mut t = Tunnel::new(&proxy("socks5://h"), "::1", 1).unwrap();
        let _ = t.poll_transmit();
        t.handle_read(&[5, 0]).unwrap();
        assert_eq!(t.poll_transmit().unwrap()[3], 4);
    }

    #[test]
    fn socks5_refusals_are_typed() {
        let refusal = |url: &str, replies: &[&[u8]]| {
            let mut t = Tunnel::new(&proxy(url), "b", 1).unwrap();
            replies
                .iter()
                .try_for_each(|r| t.handle_read(r))
                .unwrap_err()
        };
        assert_eq!(
            refusal("socks5://h", &[&[5, 0xff]]),
            ProxyError::NoAcceptableMethod("none")
        );
        assert_eq!(
            refusal("socks5://u:p@h", &[&[5, 2], &[1, 1]]),
            ProxyError::AuthenticationFailed
        );
        assert_eq!(
            refusal("socks5://h", &[&[5, 0], &[5, 5, 0, 1]]),
            ProxyError::Unreachable {
                code: 5,
                meaning: "connection refused"
            }
        );
        assert!(matches!(
            refusal("socks5://h", &[&[4, 0]]),
            ProxyError::Malformed(_)
        ));
        assert!(matches!(
            refusal("socks5://h", &[&[5, 2]]),
            ProxyError::Malformed(_)
        ));
        let long = "x".repeat(256);
        assert_eq!(
            Tunnel::new(&proxy("socks5://h"), &long, 1).unwrap_err(),
            ProxyError::TooLong
        );
    }

    #[test]
    fn the_environment_picks_the_proxy_by_scheme_and_no_proxy_skips_it() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let broker = |s: &str| Address::parse(s).unwrap();
        let vars = env(&[
            ("HTTPS_PROXY", "http://secure:1"),
            ("all_proxy", "socks5://any:2"),
            (
                "NO_PROXY",
                "localhost, .internal.example,10.0.0.0/8,[::1]:1883,plain:1884",
            ),
        ]);
        let pick = |b: &str| from_variables(&broker(b), vars).unwrap().map(|p| p.host);
        assert_eq!(pick("mqtts://b.example").as_deref(), Some("secure"));
        assert_eq!(pick("mqtt://b.example").as_deref(), Some("any"));
        assert_eq!(pick("mqtt://localhost"), None);
        assert_eq!(pick("mqtt://a.internal.example"), None);
        assert_eq!(pick("mqtt://internal.example"), None);
        assert_eq!(pick("mqtt://xinternal.example").as_deref(), Some("any"));
        assert_eq!(pick("mqtt://10.2.3.4"), None);
        assert_eq!(pick("mqtt://11.2.3.4").as_deref(), Some("any"));
        assert_eq!(pick("mqtt://[::1]:1883"), None);
        assert_eq!(pick("mqtt://[::1]:1884").as_deref(), Some("any"));
        assert_eq!(pick("mqtt://plain:1884"), None);
        assert_eq!(pick("mqtt://plain:1883").as_deref(), Some("any"));
        assert_eq!(pick("unix:///s"), None);
        let everything = env(&[("ALL_PROXY", "http://p:3"), ("no_proxy", "*")]);
        assert_eq!(
            from_variables(&broker("mqtt://b"), everything).unwrap(),
            None
        );
        let bad = env(&[("ALL_PROXY", "ftp://p")]);
        assert!(matches!(
            from_variables(&broker("mqtt://b"), bad),
            Err(Error::InvalidProxy {
                reason: AddressError::UnknownProxyScheme(_),
                ..
            })
        ));
        assert_eq!(from_variables(&broker("mqtt://b"), env(&[])).unwrap(), None);
    }
}
