//! Real proxy servers started for one test on a free loopback port, stopped when dropped:
//! tinyproxy (HTTP `CONNECT`, with basic authentication) and microsocks (SOCKS5, with a user
//! name and password), both Debian packages that `scripts/test` installs.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The proxies this process started, to name their directories.
static STARTS: AtomicUsize = AtomicUsize::new(0);

/// Which proxy server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// tinyproxy: HTTP `CONNECT`.
    Http,
    /// microsocks: SOCKS5.
    Socks5,
}

/// A proxy process of one test.
pub struct ProxyServer {
    kind: Kind,
    pub port: u16,
    dir: PathBuf,
    credentials: Option<(String, String)>,
    /// The only ports `CONNECT` may reach (tinyproxy's `ConnectPort`); all when empty.
    connect_ports: Vec<u16>,
    child: Option<Child>,
}

fn binary(name: &str, package: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] {
        let path = PathBuf::from(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!(
        "{name} is not installed: run the tests with `scripts/test`, which installs it, or \
         install it yourself (`sudo apt-get install {package}`)"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl ProxyServer {
    /// An HTTP proxy; with `credentials`, only for that user name and password.
    pub fn http(credentials: Option<(&str, &str)>) -> Self {
        Self::start(Kind::Http, credentials, &[])
    }

    /// An HTTP proxy that opens tunnels to `ports` only, and refuses the others (403).
    pub fn http_to_ports(ports: &[u16]) -> Self {
        Self::start(Kind::Http, None, ports)
    }

    /// A SOCKS5 proxy; with `credentials`, only for that user name and password.
    pub fn socks5(credentials: Option<(&str, &str)>) -> Self {
        Self::start(Kind::Socks5, credentials, &[])
    }

    fn start(kind: Kind, credentials: Option<(&str, &str)>, connect_ports: &[u16]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mqtt-suite-proxy-{}-{}",
            std::process::id(),
            STARTS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut proxy = Self {
            kind,
            port: 0,
            dir,
            credentials: credentials.map(|(u, p)| (u.to_owned(), p.to_owned())),
            connect_ports: connect_ports.to_vec(),
            child: None,
        };
        let mut last = String::new();
        for _ in 0..5 {
            proxy.port = free_port();
            match proxy.try_spawn() {
                Ok(()) => return proxy,
                Err(why) => last = why,
            }
        }
        panic!("the {kind:?} proxy did not start: {last}");
    }

    /// The proxy's URL, with its credentials.
    pub fn url(&self) -> String {
        let scheme = match self.kind {
            Kind::Http => "http",
            Kind::Socks5 => "socks5",
        };
        match &self.credentials {
            Some((user, password)) => {
                format!("{scheme}://{user}:{password}@127.0.0.1:{}", self.port)
            }
            None => format!("{scheme}://127.0.0.1:{}", self.port),
        }
    }

    /// The proxy's URL with other credentials.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        let scheme = match self.kind {
            Kind::Http => "http",
            Kind::Socks5 => "socks5",
        };
        format!("{scheme}://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// What the proxy logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("proxy.log")).unwrap_or_default()
    }

    /// Kills the proxy: every tunnel through it drops.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the proxy again on its port.
    pub fn start_again(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.try_spawn() {
                Ok(()) => return,
                Err(why) if Instant::now() > deadline => {
                    panic!("the proxy did not start again: {why}")
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn try_spawn(&mut self) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("proxy.log"))
            .unwrap();
        let mut command = match self.kind {
            Kind::Http => {
                let mut config = format!(
                    "Port {}\nListen 127.0.0.1\nTimeout 600\nLogLevel Connect\nMaxClients 200\nAllow 127.0.0.1\n",
                    self.port
                );
                if let Some((user, password)) = &self.credentials {
                    writeln!(config, "BasicAuth {user} {password}").unwrap();
                }
                for port in &self.connect_ports {
                    writeln!(config, "ConnectPort {port}").unwrap();
                }
                let path = self.dir.join("tinyproxy.conf");
                std::fs::File::create(&path)
                    .unwrap()
                    .write_all(config.as_bytes())
                    .unwrap();
                let mut command = Command::new(binary("tinyproxy", "tinyproxy"));
                command.arg("-d").arg("-c").arg(path);
                command
            }
            Kind::Socks5 => {
                let mut command = Command::new(binary("microsocks", "microsocks"));
                command
                    .args(["-i", "127.0.0.1", "-p"])
                    .arg(self.port.to_string());
                if let Some((user, password)) = &self.credentials {
                    command.args(["-u", user, "-P", password]);
                }
                command
            }
        };
        let child = command
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let port = self.port;
        self.child = Some(crate::mosquitto::wait_until_ready(
            child,
            port,
            &|| self.log(),
            &|| TcpStream::connect(("127.0.0.1", port)).is_ok(),
        )?);
        Ok(())
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
