//! The brokers of the matrix: processes on free loopback ports, stopped on drop.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Broker {
    Mosquitto,
    Rumqttd,
    Aedes,
    Amqtt,
}

impl Broker {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Mosquitto => "mosquitto",
            Self::Rumqttd => "rumqttd",
            Self::Aedes => "aedes",
            Self::Amqtt => "amqtt",
        }
    }
}

/// A broker process, killed on drop.
/// A broker process, stopped on drop: Mosquitto through the workspace's harness, the others
/// here.
pub(crate) enum Running {
    Mosquitto(mqtt_suite::Mosquitto),
    Process {
        child: Child,
        port: u16,
        dir: PathBuf,
    },
}

impl Running {
    pub(crate) fn port(&self) -> u16 {
        match self {
            Self::Mosquitto(m) => m.port,
            Self::Process { port, .. } => *port,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Self::Process { child, dir, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `target/` of this build (the test runs from `target/<profile>/deps/`).
pub(crate) fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

pub(crate) fn run(command: &mut Command, what: &str) {
    let status = command.status().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(status.success(), "{what} failed");
}

pub(crate) fn rumqttd(port: u16) -> Command {
    let binary = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/rumqttd");
    assert!(
        binary.exists(),
        "{} is missing: cargo test builds it (or cargo build -p mqtt-probe --examples)",
        binary.display()
    );
    let mut c = Command::new(binary);
    c.arg(port.to_string());
    c
}

pub(crate) fn aedes(port: u16) -> Command {
    let home = target_dir().join("interop/aedes");
    if !home.join("node_modules/aedes").exists() {
        std::fs::create_dir_all(&home).unwrap();
        run(
            Command::new("npm")
                .args(["install", "--silent", "--no-audit", "--no-fund", "aedes@1"])
                .arg("--prefix")
                .arg(&home),
            "npm install aedes",
        );
    }
    let script = home.join("server.mjs");
    std::fs::write(
        &script,
        "import { Aedes } from 'aedes';\n\
         import { createServer } from 'node:net';\n\
         const broker = await Aedes.createBroker();\n\
         createServer(broker.handle).listen(Number(process.argv[2]), '127.0.0.1');\n",
    )
    .unwrap();
    let mut c = Command::new("node");
    c.arg(script).arg(port.to_string()).current_dir(&home);
    c
}

pub(crate) fn amqtt(port: u16, dir: &Path) -> Command {
    let home = target_dir().join("interop/amqtt");
    let bin = home.join("venv/bin");
    if !bin.join("amqtt").exists() {
        std::fs::create_dir_all(&home).unwrap();
        run(
            Command::new("python3")
                .args(["-m", "venv"])
                .arg(home.join("venv")),
            "python3 -m venv",
        );
        run(
            Command::new(bin.join("pip")).args(["install", "--quiet", "amqtt"]),
            "pip install amqtt",
        );
    }
    std::fs::create_dir_all(dir).unwrap();
    let conf = dir.join("amqtt.yaml");
    std::fs::write(
        &conf,
        format!(
            "listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:{port}\n\
             plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n"
        ),
    )
    .unwrap();
    let mut c = Command::new(bin.join("amqtt"));
    c.arg("-c").arg(conf);
    c
}

pub(crate) fn start(broker: Broker) -> Running {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!(
        "mqtt-interop-{}-{}-{port}",
        broker.name(),
        std::process::id()
    ));
    let mut command = match broker {
        Broker::Mosquitto => return Running::Mosquitto(mqtt_suite::Mosquitto::start()),
        Broker::Rumqttd => rumqttd(port),
        Broker::Aedes => aedes(port),
        Broker::Amqtt => amqtt(port, &dir),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let child = command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("broker.log")).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", broker.name()));
    let running = Running::Process { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{} did not listen on {port}",
            broker.name()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    running
}
