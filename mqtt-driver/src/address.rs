//! Broker addresses: every form [`Options`](crate::Options) takes, parsed once, with a typed
//! error for each way an address can be wrong.

use core::fmt;
use std::path::PathBuf;

/// Where a broker listens, and how to speak to it.
///
/// | Form | Transport | Default port | Needs |
/// |---|---|---|---|
/// | `mqtt://host[:port]`, `tcp://…` | TCP | 1883 | |
/// | `mqtts://host[:port]`, `tls://…`, `ssl://…` | TLS over TCP (rustls) | 8883 | |
/// | `ws://host[:port][/path]` | WebSocket | 80 | feature `websocket` |
/// | `wss://host[:port][/path]` | WebSocket over TLS | 443 | feature `websocket` |
/// | `unix:///path/to/socket` | Unix domain socket | | a Unix platform |
///
/// A WebSocket address without a path asks for `/mqtt`. A user name and password in the
/// address (`mqtt://user:secret@host`) become the session's credentials
/// ([`Options::new`](crate::Options::new)).
///
/// ```
/// use mqtt_driver::{Address, AddressError};
///
/// let address = Address::parse("mqtts://broker.example:8884").unwrap();
/// assert_eq!(address.host(), Some("broker.example"));
/// assert_eq!(address.port(), Some(8884));
/// assert!(address.is_tls());
/// assert_eq!(Address::parse("tcp://[::1]").unwrap().to_string(), "mqtt://[::1]:1883");
/// assert_eq!(Address::parse("mqtt://broker.example:99999"), Err(AddressError::BadPort("99999".into())));
/// assert_eq!(Address::parse("unix://relative.sock"), Err(AddressError::UnixPath));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// MQTT over TCP.
    Tcp {
        /// A name or an IP address (IPv6 without brackets).
        host: String,
        /// The port.
        port: u16,
    },
    /// MQTT over TLS over TCP.
    Tls {
        /// A name or an IP address; the name verified in the certificate unless
        /// [`TlsOptions::server_name`](crate::TlsOptions::server_name) says otherwise.
        host: String,
        /// The port.
        port: u16,
    },
    /// MQTT over WebSocket, over TCP or TLS (MQTT 5.0 section 6).
    WebSocket {
        /// A name or an IP address.
        host: String,
        /// The port.
        port: u16,
        /// The HTTP path and query of the upgrade request, `/mqtt` by default.
        path: String,
        /// `wss://`: TLS under the WebSocket.
        tls: bool,
    },
    /// MQTT over a Unix domain socket.
    Unix {
        /// The socket's absolute path.
        path: PathBuf,
    },
}

/// What is wrong with an address ([`Address::parse`], [`Proxy::parse`](crate::Proxy::parse)).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Not a URL at all.
    #[error("not a URL ({0}); expected scheme://host[:port]")]
    Malformed(String),
    /// A scheme this client does not know.
    #[error("unknown scheme {0:?}; use mqtt, tcp, mqtts, tls, ssl, ws, wss or unix")]
    UnknownScheme(String),
    /// A scheme this build was compiled without.
    #[error("{scheme}:// needs the crate feature {feature:?}")]
    FeatureDisabled {
        /// The scheme.
        scheme: &'static str,
        /// The feature to turn on.
        feature: &'static str,
    },
    /// The address names no host.
    #[error("no host; expected mqtt://host[:port] (or mqtts://, ws://, wss://, unix:///path)")]
    MissingHost,
    /// The host is not a valid name or IP address.
    #[error("invalid host ({0})")]
    BadHost(String),
    /// The port is not a number from 1 to 65535.
    #[error("port {0:?} is not a number from 1 to 65535")]
    BadPort(String),
    /// A `unix://` address whose path is not absolute.
    #[error("a unix address takes an absolute path: unix:///run/mosquitto/mqtt.sock")]
    UnixPath,
    /// A path, query or fragment on an address whose transport has no use for one.
    #[error("{0:?} has no meaning here: only ws:// and wss:// addresses take a path")]
    UnexpectedPath(String),
    /// A list of brokers without any.
    #[error("no broker address given")]
    Empty,
    /// A proxy scheme this client does not speak.
    #[error("unknown proxy scheme {0:?}; use http, socks5 or socks5h")]
    UnknownProxyScheme(String),
}

impl Address {
    /// Parses `address` (the forms of the table above).
    ///
    /// # Errors
    /// The [`AddressError`] that says what is wrong.
    pub fn parse(address: &str) -> Result<Self, AddressError> {
        Ok(parse_url(address)?.0)
    }

    /// The host, for every form but `unix://`.
    #[must_use]
    pub fn host(&self) -> Option<&str> {
        match self {
            Self::Tcp { host, .. } | Self::Tls { host, .. } | Self::WebSocket { host, .. } => {
                Some(host)
            }
            Self::Unix { .. } => None,
        }
    }

    /// The port, for every form but `unix://`.
    #[must_use]
    pub const fn port(&self) -> Option<u16> {
        match self {
            Self::Tcp { port, .. } | Self::Tls { port, .. } | Self::WebSocket { port, .. } => {
                Some(*port)
            }
            Self::Unix { .. } => None,
        }
    }

    /// Whether TLS runs under MQTT (`mqtts://`, `wss://`).
    #[must_use]
    pub const fn is_tls(&self) -> bool {
        matches!(self, Self::Tls { .. } | Self::WebSocket { tls: true, .. })
    }
}

impl Address {
    /// Where an MQTT 5.0 Server Reference (a redirection, 0x9C or 0x9D) sends a client
    /// connected to this address: the first of its space-separated references, `host`,
    /// `host:port`, `[IPv6]:port`, with this address's transport, path and port unless it
    /// says otherwise; or a whole address (`mqtts://host:8883`).
    ///
    /// ```
    /// use mqtt_driver::Address;
    ///
    /// let from = Address::parse("mqtts://a.example:8884").unwrap();
    /// assert_eq!(from.redirected("b.example").unwrap().to_string(), "mqtts://b.example:8884");
    /// assert_eq!(from.redirected("[::1]:9000 c.example").unwrap().to_string(), "mqtts://[::1]:9000");
    /// assert_eq!(from.redirected("mqtt://d.example").unwrap().to_string(), "mqtt://d.example:1883");
    /// ```
    ///
    /// # Errors
    /// The [`AddressError`] of a reference that is not a host, a host and port, or an
    /// address; [`AddressError::UnixPath`] for a redirection from a Unix socket, which has no
    /// host to replace.
    pub fn redirected(&self, reference: &str) -> Result<Self, AddressError> {
        let first = reference
            .split_whitespace()
            .next()
            .ok_or(AddressError::MissingHost)?;
        if first.contains("://") {
            return Self::parse(first);
        }
        let (host, port) = if let Some(rest) = first.strip_prefix('[') {
            let (ip, rest) = rest
                .split_once(']')
                .ok_or_else(|| AddressError::BadHost(first.to_owned()))?;
            (ip, rest.strip_prefix(':'))
        } else {
            match first.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => (host, Some(port)),
                _ => (first, None),
            }
        };
        let port = match port {
            Some(text) => match text.parse::<u16>() {
                Ok(0) | Err(_) => return Err(AddressError::BadPort(text.to_owned())),
                Ok(port) => Some(port),
            },
            None => None,
        };
        if host.contains(['/', '?', '#', '@']) {
            return Err(AddressError::BadHost(first.to_owned()));
        }
        // The host through the URL parser: a name or an address, nothing else.
        let url = url::Url::parse(&format!(
            "mqtt://{}",
            if host.contains(':') {
                format!("[{host}]")
            } else {
                host.to_owned()
            }
        ))
        .map_err(|e| url_error(first, e))?;
        let host = host_of(&url)?;
        let mut to = self.clone();
        match &mut to {
            Self::Tcp { host: h, port: p }
            | Self::Tls { host: h, port: p }
            | Self::WebSocket {
                host: h, port: p, ..
            } => {
                *h = host;
                *p = port.unwrap_or(*p);
            }
            Self::Unix { .. } => return Err(AddressError::UnixPath),
        }
        Ok(to)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let authority = |f: &mut fmt::Formatter<'_>, scheme: &str, host: &str, port: u16| {
            if host.contains(':') {
                write!(f, "{scheme}://[{host}]:{port}")
            } else {
                write!(f, "{scheme}://{host}:{port}")
            }
        };
        match self {
            Self::Tcp { host, port } => authority(f, "mqtt", host, *port),
            Self::Tls { host, port } => authority(f, "mqtts", host, *port),
            Self::WebSocket {
                host,
                port,
                path,
                tls,
            } => {
                authority(f, if *tls { "wss" } else { "ws" }, host, *port)?;
                f.write_str(path)
            }
            Self::Unix { path } => write!(f, "unix://{}", path.display()),
        }
    }
}

impl core::str::FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The credentials of an address's user information, percent-decoded.
pub(crate) type UserInfo = Option<(String, Option<String>)>;

/// Parses a broker address, with the user name and password it carries.
pub(crate) fn parse_url(address: &str) -> Result<(Address, UserInfo), AddressError> {
    match parse_plain(address) {
        Some(plain) => Ok((plain, None)),
        None => parse_with_url(address),
    }
}

/// Parses a broker address of any form through the URL parser.
fn parse_with_url(address: &str) -> Result<(Address, UserInfo), AddressError> {
    let url = url::Url::parse(address).map_err(|e| url_error(address, e))?;
    let scheme = url.scheme();
    if scheme == "unix" {
        if url.host_str().is_some_and(|h| !h.is_empty()) || !url.path().starts_with('/') {
            return Err(AddressError::UnixPath);
        }
        let path = percent_encoding::percent_decode_str(url.path())
            .decode_utf8()
            .map_err(|_| AddressError::UnixPath)?;
        return Ok((
            Address::Unix {
                path: PathBuf::from(path.as_ref()),
            },
            None,
        ));
    }
    if !matches!(
        scheme,
        "mqtt" | "tcp" | "mqtts" | "tls" | "ssl" | "ws" | "wss"
    ) {
        return Err(AddressError::UnknownScheme(scheme.to_owned()));
    }
    let host = host_of(&url)?;
    let port = |default: u16| match url.port_or_known_default() {
        Some(0) => Err(AddressError::BadPort("0".into())),
        Some(port) => Ok(port),
        None => Ok(default),
    };
    let address = match scheme {
        "mqtt" | "tcp" => Address::Tcp {
            host,
            port: port(1883)?,
        },
        "mqtts" | "tls" | "ssl" => Address::Tls {
            host,
            port: port(8883)?,
        },
        "ws" | "wss" => websocket(address, &url, host, scheme == "wss")?,
        other => return Err(AddressError::UnknownScheme(other.to_owned())),
    };
    if !matches!(address, Address::WebSocket { .. })
        && (url.path() != "/" && !url.path().is_empty() || url.query().is_some())
    {
        let rest = &url[url::Position::BeforePath..];
        return Err(AddressError::UnexpectedPath(rest.to_owned()));
    }
    Ok((address, user_info(&url)))
}

/// `scheme://host[:port][/]` for the TCP and TLS schemes, with a host of ASCII letters,
/// digits, `.`, `-` and `_` and a port of one to five digits: the form nearly every address
/// takes, read without the URL parser, whose code and host tables (about 128 KiB, with IDNA) a
/// program would otherwise run through only to read `mqtt://broker:1883`. `None` for every other
/// text, which the URL parser reads; where both read an address, they agree (the tests
/// `plain_addresses_parse_as_the_url_parser_reads_them` and
/// `the_plain_path_agrees_with_the_url_parser`). The URL parser takes these schemes'
/// hosts as they are written (no IPv4 or IDNA processing for a scheme it does not know), so
/// the text is the host.
fn parse_plain(address: &str) -> Option<Address> {
    let (scheme, rest) = address.split_once("://")?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match authority.split_once(':') {
        Some((host, digits)) => {
            if !(1..=5).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Out of range or 0: the URL parser's path gives the error.
            (host, digits.parse::<u16>().ok().filter(|&p| p != 0)?)
        }
        None => (authority, 0),
    };
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return None;
    }
    let port = |default| if port == 0 { default } else { port };
    let host = host.to_owned();
    match scheme {
        "mqtt" | "tcp" => Some(Address::Tcp {
            host,
            port: port(1883),
        }),
        "mqtts" | "tls" | "ssl" => Some(Address::Tls {
            host,
            port: port(8883),
        }),
        _ => None,
    }
}

#[cfg(feature = "websocket")]
#[expect(
    clippy::unnecessary_wraps,
    reason = "the same signature as without the feature, where it fails"
)]
fn websocket(
    address: &str,
    url: &url::Url,
    host: String,
    tls: bool,
) -> Result<Address, AddressError> {
    // `ws://host` and `ws://host/` parse alike: only the text tells whether a path was given.
    let after_scheme = address.split_once("://").map_or("", |(_, rest)| rest);
    let given = after_scheme.contains('/');
    let path = if given {
        url[url::Position::BeforePath..url::Position::AfterQuery].to_owned()
    } else {
        "/mqtt".to_owned()
    };
    Ok(Address::WebSocket {
        host,
        port: url
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 }),
        path,
        tls,
    })
}

#[cfg(not(feature = "websocket"))]
fn websocket(
    _address: &str,
    _url: &url::Url,
    _host: String,
    tls: bool,
) -> Result<Address, AddressError> {
    Err(AddressError::FeatureDisabled {
        scheme: if tls { "wss" } else { "ws" },
        feature: "websocket",
    })
}

/// The host of a URL, without IPv6 brackets.
pub(crate) fn host_of(url: &url::Url) -> Result<String, AddressError> {
    match url.host() {
        Some(url::Host::Domain(name)) if !name.is_empty() => Ok(name.to_owned()),
        Some(url::Host::Ipv4(ip)) => Ok(ip.to_string()),
        Some(url::Host::Ipv6(ip)) => Ok(ip.to_string()),
        _ => Err(AddressError::MissingHost),
    }
}

/// The user name and password of a URL, percent-decoded.
pub(crate) fn user_info(url: &url::Url) -> UserInfo {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    if url.username().is_empty() {
        return None;
    }
    Some((decode(url.username()), url.password().map(decode)))
}

/// What a URL parse error means for an address.
pub(crate) fn url_error(address: &str, error: url::ParseError) -> AddressError {
    match error {
        url::ParseError::EmptyHost => AddressError::MissingHost,
        url::ParseError::InvalidPort => {
            // The text after the authority's last colon, up to the path.
            let authority = address
                .split_once("://")
                .map_or(address, |(_, rest)| rest)
                .split(['/', '?', '#'])
                .next()
                .unwrap_or_default();
            let port = authority.rsplit_once(':').map_or("", |(_, port)| port);
            AddressError::BadPort(port.to_owned())
        }
        url::ParseError::InvalidIpv4Address
        | url::ParseError::InvalidIpv6Address
        | url::ParseError::InvalidDomainCharacter
        | url::ParseError::IdnaError => AddressError::BadHost(error.to_string()),
        other => AddressError::Malformed(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> Address {
        Address::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn every_form_parses_with_its_default_port() {
        assert_eq!(Address::parse("mqtt://b").unwrap(), tcp("b", 1883));
        assert_eq!(Address::parse("tcp://b:1884").unwrap(), tcp("b", 1884));
        assert_eq!(Address::parse("mqtt://b/").unwrap(), tcp("b", 1883));
        for tls in ["mqtts://b", "tls://b", "ssl://b"] {
            assert_eq!(
                Address::parse(tls).unwrap(),
                Address::Tls {
                    host: "b".into(),
                    port: 8883
                }
            );
        }
        assert_eq!(Address::parse("mqtt://[::1]").unwrap(), tcp("::1", 1883));
        assert_eq!(
            Address::parse("mqtt://127.0.0.1:7").unwrap(),
            tcp("127.0.0.1", 7)
        );
        assert_eq!(
            Address::parse("unix:///run/mosquitto/mqtt.sock").unwrap(),
            Address::Unix {
                path: "/run/mosquitto/mqtt.sock".into()
            }
        );
    }

    #[cfg(feature = "websocket")]
    #[test]
    fn websocket_addresses_keep_their_path_and_query() {
        let ws = |s: &str| Address::parse(s).unwrap();
        assert_eq!(ws("ws://b").to_string(), "ws://b:80/mqtt");
        assert_eq!(ws("ws://b/").to_string(), "ws://b:80/");
        assert_eq!(ws("wss://b").to_string(), "wss://b:443/mqtt");
        assert_eq!(
            ws("wss://b:8443/x/y?token=1").to_string(),
            "wss://b:8443/x/y?token=1"
        );
        assert!(ws("wss://b").is_tls());
        assert!(!ws("ws://b").is_tls());
    }

    #[cfg(not(feature = "websocket"))]
    #[test]
    fn websocket_addresses_name_the_feature_they_need() {
        assert_eq!(
            Address::parse("ws://b"),
            Err(AddressError::FeatureDisabled {
                scheme: "ws",
                feature: "websocket"
            })
        );
    }

    #[test]
    fn each_mistake_has_its_error() {
        let e = |s: &str| Address::parse(s).unwrap_err();
        assert_eq!(e("ftp://b"), AddressError::UnknownScheme("ftp".into()));
        assert_eq!(e("mqtt://"), AddressError::MissingHost);
        assert_eq!(e("mqtt://:1883"), AddressError::MissingHost);
        assert_eq!(e("mqtt://b:99999"), AddressError::BadPort("99999".into()));
        assert_eq!(e("mqtt://b:x"), AddressError::BadPort("x".into()));
        assert_eq!(e("mqtt://b:0"), AddressError::BadPort("0".into()));
        assert!(matches!(e("mqtt://[::1"), AddressError::BadHost(_)));
        assert!(matches!(e("broker:1883"), AddressError::UnknownScheme(_)));
        assert!(matches!(e("localhost"), AddressError::Malformed(_)));
        assert_eq!(e("unix://sock"), AddressError::UnixPath);
        assert_eq!(
            e("mqtt://b/topic"),
            AddressError::UnexpectedPath("/topic".into())
        );
        assert_eq!(
            e("mqtts://b?x=1"),
            AddressError::UnexpectedPath("?x=1".into())
        );
    }

    #[test]
    fn plain_addresses_parse_as_the_url_parser_reads_them() {
        for plain in [
            "mqtt://b",
            "mqtt://b/",
            "tcp://Broker.Example:1884",
            "mqtts://127.0.0.1:8884/",
            "tls://a_b-c.d:65535",
            "ssl://0:00001",
            "mqtt://1.2.3",
        ] {
            assert_eq!(
                parse_plain(plain).map(|a| (a, None)),
                Some(parse_with_url(plain).unwrap()),
                "{plain}"
            );
        }
        for other in [
            "mqtt://b:0",
            "mqtt://b:65536",
            "mqtt://b:",
            "mqtt://b:018830",
            "mqtt://u@b",
            "mqtt://[::1]",
            "mqtt://b//",
            "mqtt://b/x",
            "mqtt://b?x",
            "mqtt://b%41",
            "mqtt://bé",
            "MQTT://b",
            "ws://b",
            "mqtt://",
        ] {
            assert_eq!(parse_plain(other), None, "{other}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_plain_path_agrees_with_the_url_parser(
            address in "(mqtt|tcp|mqtts|tls|ssl|ws|unix|MQTT|x)://[a-zA-Z0-9._-]{0,8}(:[0-9]{0,7})?/?[a-zA-Z0-9._~%@:/?#\\[\\]-]{0,3}"
        ) {
            if let Some(plain) = parse_plain(&address) {
                proptest::prop_assert_eq!(Ok((plain, None)), parse_with_url(&address));
            }
        }
    }

    #[test]
    fn credentials_come_percent_decoded() {
        let (_, user) = parse_url("mqtt://us%40er:p%3Ass@b").unwrap();
        assert_eq!(user, Some(("us@er".into(), Some("p:ss".into()))));
        let (_, user) = parse_url("mqtt://user@b").unwrap();
        assert_eq!(user, Some(("user".into(), None)));
        assert_eq!(parse_url("mqtt://b").unwrap().1, None);
    }

    #[test]
    fn redirections_keep_the_transport_unless_they_name_one() {
        let from = Address::parse("mqtt://a:1884").unwrap();
        let to = |r: &str| from.redirected(r).map(|a| a.to_string());
        assert_eq!(to("b").unwrap(), "mqtt://b:1884");
        assert_eq!(to("b:1900").unwrap(), "mqtt://b:1900");
        assert_eq!(to("  10.0.0.1:7   b:8").unwrap(), "mqtt://10.0.0.1:7");
        assert_eq!(to("[fe80::1]").unwrap(), "mqtt://[fe80::1]:1884");
        assert_eq!(to("fe80::1").unwrap(), "mqtt://[fe80::1]:1884");
        assert_eq!(to("mqtts://c").unwrap(), "mqtts://c:8883");
        assert_eq!(to(""), Err(AddressError::MissingHost));
        assert_eq!(to("b:x"), Err(AddressError::BadPort("x".into())));
        assert_eq!(to("b:0"), Err(AddressError::BadPort("0".into())));
        assert!(matches!(to("[::1"), Err(AddressError::BadHost(_))));
        assert!(to("b c/d").is_ok(), "only the first reference counts");
        assert!(to("ba d").is_ok());
        assert!(to("b/d").is_err(), "a path is not a host");
        let unix = Address::parse("unix:///s").unwrap();
        assert_eq!(unix.redirected("b"), Err(AddressError::UnixPath));
    }

    #[test]
    fn display_parses_back() {
        for s in [
            "mqtt://b:1",
            "mqtts://[::1]:8883",
            "unix:///tmp/a b",
            "mqtt://10.0.0.1:1883",
        ] {
            let a = Address::parse(s).unwrap();
            assert_eq!(Address::parse(&a.to_string()).unwrap(), a, "{s}");
        }
    }
}
