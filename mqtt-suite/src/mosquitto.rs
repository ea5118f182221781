//! Mosquitto brokers started for one test on a free loopback port (plain, TLS with
//! certificates made at test time, user name and password), stopped when dropped.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A Mosquitto process of one test.
pub struct Mosquitto {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

fn binary() -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let path = PathBuf::from(dir).join("mosquitto");
        if path.exists() {
            return path;
        }
    }
    panic!(
        "mosquitto is not installed: run the tests with `scripts/test`, which installs it, or \
         install it yourself (`sudo apt-get install mosquitto`)"
    );
}

/// The brokers this process started, to name their directories.
static STARTS: AtomicUsize = AtomicUsize::new(0);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Mosquitto {
    /// Anonymous access, no persistence.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Anonymous access, with persistence in this broker's directory: sessions and messages
    /// survive a restart ([`stop`](Self::stop) saves them, as SIGTERM does); no limit on the
    /// messages queued per client.
    pub fn persistent() -> Self {
        let broker = Self::start_with(None);
        // Started as root, Mosquitto drops to its own user, which must be able to write the
        // persistence file here.
        let _ = std::fs::set_permissions(&broker.dir, std::fs::Permissions::from_mode(0o777));
        let conf = broker.dir.join("mosquitto.conf");
        let config = std::fs::read_to_string(&conf).unwrap().replace(
            "persistence false\n",
            &format!(
                // No limit on the messages queued for a client: Mosquitto drops what passes its
                // default of 1,000 without a word, which no client can make up for.
                "persistence true\npersistence_location {}/\nmax_queued_messages 0\n",
                broker.dir.display()
            ),
        );
        std::fs::write(&conf, config).unwrap();
        let mut broker = broker;
        broker.restart();
        broker
    }

    /// Only `user` with `password` may connect.
    pub fn with_password(user: &str, password: &str) -> Self {
        Self::start_with(Some((user, password)))
    }

    /// A TLS listener with a server certificate for `localhost` and 127.0.0.1 issued by a CA
    /// made for this broker; `ca_path()` is the CA's PEM file.
    pub fn with_tls() -> Self {
        Self::launch(|port, dir| {
            let pki = Pki::new("test CA");
            let (cert, key) = pki.issue(&["localhost", "127.0.0.1"]);
            std::fs::write(dir.join("ca.pem"), pki.ca_pem()).unwrap();
            std::fs::write(dir.join("server.pem"), cert).unwrap();
            std::fs::write(dir.join("server.key"), key).unwrap();
            format!(
                "listener {port} 127.0.0.1\npersistence false\nlog_dest stderr\nallow_anonymous true\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n",
                ca = dir.join("ca.pem").display(),
                cert = dir.join("server.pem").display(),
                key = dir.join("server.key").display(),
            )
        })
    }

    /// A TLS listener as [`with_tls`](Self::with_tls)'s that also requires a client
    /// certificate issued by its CA: `client.pem` and `client.key` in [`dir`](Self::dir) are
    /// one, for the name `cli-client`.
    pub fn with_client_certificates() -> Self {
        Self::launch(|port, dir| {
            let pki = Pki::new("test CA");
            let (cert, key) = pki.issue(&["localhost", "127.0.0.1"]);
            let (client_cert, client_key) = pki.issue(&["cli-client"]);
            std::fs::write(dir.join("ca.pem"), pki.ca_pem()).unwrap();
            std::fs::write(dir.join("server.pem"), cert).unwrap();
            std::fs::write(dir.join("server.key"), key).unwrap();
            std::fs::write(dir.join("client.pem"), client_cert).unwrap();
            std::fs::write(dir.join("client.key"), client_key).unwrap();
            format!(
                "listener {port} 127.0.0.1\npersistence false\nlog_dest stderr\nallow_anonymous true\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\nrequire_certificate true\n",
                ca = dir.join("ca.pem").display(),
                cert = dir.join("server.pem").display(),
                key = dir.join("server.key").display(),
            )
        })
    }

    /// Anonymous access on a Unix domain socket too ([`unix_socket`](Self::unix_socket)).
    pub fn with_unix_socket() -> Self {
        let broker = Self::start_with(None);
        // Mosquitto, started as root, drops to its own user, which must create the socket here.
        let _ = std::fs::set_permissions(&broker.dir, std::fs::Permissions::from_mode(0o777));
        let conf = broker.dir.join("mosquitto.conf");
        let mut config = std::fs::read_to_string(&conf).unwrap();
        // Port 0 and a path: a Unix socket listener (Mosquitto 2.0).
        writeln!(config, "listener 0 {}", broker.unix_socket().display()).unwrap();
        std::fs::write(&conf, config).unwrap();
        let mut broker = broker;
        broker.restart();
        broker
    }

    /// The path of the Unix socket of [`with_unix_socket`](Self::with_unix_socket).
    pub fn unix_socket(&self) -> PathBuf {
        self.dir.join("mqtt.sock")
    }

    /// The CA file of a TLS broker.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A directory of this broker's for test files.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Anonymous access, with `extra` lines of configuration.
    pub fn with_config(extra: &str) -> Self {
        let broker = Self::start_with(None);
        let conf = broker.dir.join("mosquitto.conf");
        let mut config = std::fs::read_to_string(&conf).unwrap();
        config += extra;
        config.push('\n');
        std::fs::write(&conf, config).unwrap();
        let mut broker = broker;
        broker.restart();
        broker
    }

    fn start_with(credentials: Option<(&str, &str)>) -> Self {
        Self::launch(|port, dir| {
            let mut config =
                format!("listener {port} 127.0.0.1\npersistence false\nlog_dest stderr\n");
            if std::env::var_os("MQTT_SUITE_LOG_DIR").is_some() {
                config += "log_type all\n";
            }
            match credentials {
                Some((user, password)) => {
                    let file = dir.join("passwords");
                    let status = Command::new(binary().with_file_name("mosquitto_passwd"))
                        .args(["-c", "-b"])
                        .arg(&file)
                        .args([user, password])
                        .status();
                    let status = status.or_else(|_| {
                        Command::new("mosquitto_passwd")
                            .args(["-c", "-b"])
                            .arg(&file)
                            .args([user, password])
                            .status()
                    });
                    assert!(status.unwrap().success(), "mosquitto_passwd failed");
                    writeln!(
                        config,
                        "allow_anonymous false\npassword_file {}",
                        file.display()
                    )
                    .unwrap();
                }
                None => config += "allow_anonymous true\n",
            }
            config
        })
    }

    /// Starts a broker on a free port with the configuration `config` writes for that port
    /// into its directory. The port is free when chosen but may be taken before Mosquitto binds
    /// it (by another test's broker or a client's ephemeral port): then Mosquitto exits and
    /// the start is tried again on another port.
    fn launch(config: impl Fn(u16, &std::path::Path) -> String) -> Self {
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            // A directory of its own even when two tests were given the same port.
            let dir = std::env::temp_dir().join(format!(
                "mqtt-suite-mosquitto-{}-{}",
                std::process::id(),
                STARTS.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let text = config(port, &dir);
            std::fs::File::create(dir.join("mosquitto.conf"))
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            let mut broker = Self {
                child: None,
                port,
                dir,
            };
            match broker.try_spawn() {
                Ok(()) => return broker,
                Err(why) => last = why,
            }
        }
        panic!("mosquitto did not start: {last}");
    }

    fn spawn(&mut self) {
        if let Err(why) = self.try_spawn() {
            panic!("mosquitto did not start again: {why}");
        }
    }

    /// Starts Mosquitto and waits until it is this process that listens on the port: its log
    /// says it runs. (A connection would not tell: it could reach another broker that holds the
    /// port, or meet the connecting socket itself, and the broker would count it.)
    fn try_spawn(&mut self) -> Result<(), String> {
        let runs_before = self.log().matches(" running").count();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("mosquitto.log"))
            .unwrap();
        let child = Command::new(binary())
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("mosquitto starts");
        // Mosquitto says it runs once its listener is open, and connections wait in the
        // listener's backlog until its loop takes them.
        self.child = Some(wait_until_ready(child, self.port, &|| self.log(), &|| {
            self.log().matches(" running").count() > runs_before
        })?);
        Ok(())
    }

    /// What the broker logged so far (its standard error).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("mosquitto.log")).unwrap_or_default()
    }

    /// How many connections the broker accepted, by its log (the harness makes none).
    pub fn connections(&self) -> usize {
        self.log().matches("New connection from").count()
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Kills the broker (SIGKILL): connections break without DISCONNECT.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the broker as an operator would (SIGTERM): it closes the connections and, with
    /// persistence, saves its state; waits until it has exited.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// Starts a stopped (or killed) broker again on the same port, with the same
    /// configuration and persistence file.
    pub fn start_again(&mut self) {
        if self.child.is_none() {
            self.spawn();
        }
    }

    /// Freezes the broker (SIGSTOP): connections stay open but nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws a paused broker (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success());
    }

    /// Starts the broker again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
        // For a look at what the broker did: MQTT_SUITE_LOG_DIR keeps every broker's log.
        if let Some(dir) = std::env::var_os("MQTT_SUITE_LOG_DIR") {
            let to = PathBuf::from(dir).join(format!("mosquitto-{}.log", self.port));
            let _ = std::fs::copy(self.dir.join("mosquitto.log"), to);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits until `ready` says the server `child` (on `port`) serves, at most 10 s; the child, or
/// why it did not start (with what `log` says), killed then.
pub(crate) fn wait_until_ready(
    mut child: Child,
    port: u16,
    log: &dyn Fn() -> String,
    ready: &dyn Fn() -> bool,
) -> Result<Child, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("it exited ({status}) on port {port}: {}", log()));
        }
        if ready() {
            return Ok(child);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("it did not listen on {port}: {}", log()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A certificate authority made at test time.
pub struct Pki {
    key: rcgen::KeyPair,
    cert: rcgen::Certificate,
}

impl Pki {
    pub fn new(name: &str) -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let cert = params.self_signed(&key).unwrap();
        Self { key, cert }
    }

    pub fn ca_pem(&self) -> String {
        self.cert.pem()
    }

    /// A certificate for the common name `cn` (and the name itself) and its private key, as
    /// PEM.
    pub fn issue_to(&self, cn: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![cn.to_owned()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// A PEM private key (PKCS#8) encrypted with `password` (PBES2: PBKDF2-SHA256, AES-256-CBC).
    pub fn encrypt_key(key_pem: &str, password: &str) -> String {
        use pkcs8::der::{Decode as _, pem::LineEnding};
        let (_, document) = pkcs8::SecretDocument::from_pem(key_pem).unwrap();
        let info = pkcs8::PrivateKeyInfo::from_der(document.as_bytes()).unwrap();
        let params =
            pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, b"suite salt", &[7; 16])
                .unwrap();
        let encrypted = info.encrypt_with_params(params, password).unwrap();
        encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .unwrap()
            .to_string()
    }

    /// A certificate for `names` and its private key, as PEM.
    pub fn issue(&self, names: &[&str]) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let params = rcgen::CertificateParams::new(names).unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}
