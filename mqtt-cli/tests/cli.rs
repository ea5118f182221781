//! `mqtt pub` and `mqtt sub` against Mosquitto, one test per group of options: every option
//! of the two commands is used here and its effect checked.
//!
//! A subscriber that must not miss a message first makes a persistent session (`sub -c -i ID
//! -q 1 -E`), so that what is published next waits for it at the broker (which queues QoS 0
//! messages too): no test depends on how fast a process starts.

use std::io::{Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use mqtt_suite::Mosquitto;

/// How long any one command may take.
const WAIT: Duration = Duration::from_secs(20);

fn broker() -> Mosquitto {
    Mosquitto::with_config("queue_qos0_messages true\n")
}

fn mqtt() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mqtt"))
}

/// Waits for `child` at most [`WAIT`]; kills it and fails otherwise.
fn finish(mut child: Child, what: &str) -> Output {
    let deadline = Instant::now() + WAIT;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{what} did not finish: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `mqtt` with `args` (and `stdin`) to its end.
fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = mqtt()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    finish(child, &args.join(" "))
}

/// Runs `mqtt` with `args`, which must succeed; its standard output.
fn ok(args: &[&str]) -> String {
    let output = run(args, None);
    assert!(
        output.status.success(),
        "mqtt {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `args` (a command first) with the broker's host and port after the command.
fn at<'a>(port: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec![args[0], "-h", "127.0.0.1", "-p", port];
    all.extend_from_slice(&args[1..]);
    all
}

/// `sub` for the persistent session of `id` on `filter` at QoS 1, then `last` and `extra`.
fn session<'a>(
    port: &'a str,
    id: &'a str,
    filter: &'a str,
    last: &[&'a str],
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = at(port, &["sub", "-c", "-i", id, "-q", "1", "-t", filter]);
    args.extend_from_slice(last);
    args.extend_from_slice(extra);
    args
}

/// A persistent session of `id` subscribed to `filter` (with `extra` options), so that what is
/// published from now on waits for it.
fn subscribed(port: &str, id: &str, filter: &str, extra: &[&str]) {
    ok(&session(port, id, filter, &["-E"], extra));
}

/// What the persistent session of `id` receives, `count` messages, with `extra` options.
fn received(port: &str, id: &str, filter: &str, count: &str, extra: &[&str]) -> String {
    ok(&session(port, id, filter, &["-C", count], extra))
}

#[test]
fn host_port_topic_message_qos_and_verbose() {
    let broker = broker();
    let port = broker.port.to_string();
    subscribed(&port, "s1", "rt/#", &[]);
    for (qos, text) in [("0", "zero"), ("1", "one"), ("2", "two")] {
        ok(&at(
            &port,
            &["pub", "-t", &format!("rt/{qos}"), "-m", text, "-q", qos],
        ));
    }
    assert_eq!(
        received(&port, "s1", "rt/#", "3", &["-v"]),
        "rt/0 zero\nrt/1 one\nrt/2 two\n"
    );
    ok(&at(&port, &["pub", "-t", "rt/plain", "-m", "payload only"]));
    assert_eq!(received(&port, "s1", "rt/#", "1", &[]), "payload only\n");
}

#[test]
fn the_url_carries_broker_credentials_and_topic_and_u_p_do_too() {
    let broker = Mosquitto::with_password("cli-user", "cli-secret");
    let port = broker.port;
    let sub_url = format!("mqtt://cli-user:cli-secret@127.0.0.1:{port}/url/%23");
    let p = port.to_string();
    subscribed(&p, "s2", "url/#", &["-u", "cli-user", "-P", "cli-secret"]);
    let pub_url = format!("mqtt://cli-user:cli-secret@127.0.0.1:{port}/url/a");
    // This broker does not queue QoS 0 messages for the absent: QoS 1.
    ok(&["pub", "-L", &pub_url, "-m", "by url", "-q", "1"]);
    ok(&at(
        &p,
        &[
            "pub",
            "-u",
            "cli-user",
            "-P",
            "cli-secret",
            "-t",
            "url/b",
            "-m",
            "by flags",
            "-q",
            "1",
        ],
    ));
    let out = ok(&[
        "sub", "-L", &sub_url, "-c", "-i", "s2", "-q", "1", "-C", "2", "-v",
    ]);
    assert_eq!(out, "url/a by url\nurl/b by flags\n");
    // A wrong password: refused, said so, exit status 1.
    let refused = run(
        &at(
            &p,
            &["pub", "-u", "cli-user", "-P", "wrong", "-t", "x", "-m", "x"],
        ),
        None,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("refused"),
        "{refused:?}"
    );
}

#[test]
fn messages_from_a_file_standard_input_its_lines_or_nothing() {
    let broker = broker();
    let port = broker.port.to_string();
    subscribed(&port, "s3", "src/#", &[]);
    let file = broker.dir().join("message.bin");
    std::fs::write(&file, b"from a file").unwrap();
    ok(&at(
        &port,
        &["pub", "-t", "src/f", "-f", file.to_str().unwrap()],
    ));
    let whole = run(
        &at(&port, &["pub", "-t", "src/s", "-s"]),
        Some(b"all of\nstdin"),
    );
    assert!(whole.status.success());
    let lines = run(
        &at(&port, &["pub", "-t", "src/l", "-l"]),
        Some(b"line 1\nline 2\n"),
    );
    assert!(lines.status.success());
    ok(&at(&port, &["pub", "-t", "src/n", "-n"]));
    let out = received(&port, "s3", "src/#", "5", &["-F", "%t:%l:%p\\n"]);
    assert_eq!(
        out,
        "src/f:11:from a file\nsrc/s:12:all of\nstdin\nsrc/l:6:line 1\nsrc/l:6:line 2\nsrc/n:0:\n"
    );
}

#[test]
fn retained_messages_and_what_sub_does_with_them() {
    let broker = broker();
    let port = broker.port.to_string();
    ok(&at(
        &port,
        &["pub", "-t", "ret/a", "-m", "kept", "-r", "-q", "1"],
    ));
    // --retained-only prints the retained message, and ends at the first one that is not.
    let only = mqtt()
        .args(at(
            &port,
            &["sub", "-t", "ret/#", "--retained-only", "-F", "%t %p %r\\n"],
        ))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // -R leaves retained messages out.
    let fresh = mqtt()
        .args(at(
            &port,
            &["sub", "-t", "ret/#", "-R", "-C", "1", "-q", "1"],
        ))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Both have subscribed once the retained message reached the first.
    let deadline = Instant::now() + WAIT;
    while broker.connections() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    ok(&at(
        &port,
        &["pub", "-t", "ret/b", "-m", "fresh", "-q", "1"],
    ));
    let only = finish(only, "--retained-only");
    assert!(only.status.success());
    assert_eq!(String::from_utf8(only.stdout).unwrap(), "ret/a kept 1\n");
    let fresh = finish(fresh, "-R");
    assert_eq!(String::from_utf8(fresh.stdout).unwrap(), "fresh\n");
}

#[test]
fn client_id_clean_session_and_session_expiry_keep_a_session() {
    let broker = broker();
    let port = broker.port.to_string();
    // MQTT 5.0: Clean Start 0 keeps the session only with a Session Expiry Interval, given
    // with -x or as a CONNECT property.
    subscribed(&port, "s5", "sess/#", &["-V", "5", "-x", "300"]);
    ok(&at(
        &port,
        &["pub", "-t", "sess/a", "-m", "while away", "-V", "5"],
    ));
    assert_eq!(
        received(&port, "s5", "sess/#", "1", &["-V", "5", "-x", "300"]),
        "while away\n"
    );
    subscribed(
        &port,
        "s6",
        "sess/#",
        &["-V", "5", "-D", "connect", "session-expiry-interval", "300"],
    );
    ok(&at(&port, &["pub", "-t", "sess/b", "-m", "kept too"]));
    assert_eq!(
        received(&port, "s6", "sess/#", "1", &["-V", "5", "-x", "300"]),
        "kept too\n"
    );
    // Without -c the session starts afresh: nothing waits.
    ok(&at(&port, &["sub", "-i", "s7", "-t", "sess/#", "-E"]));
    ok(&at(&port, &["pub", "-t", "sess/c", "-m", "lost"]));
    let none = run(
        &at(&port, &["sub", "-i", "s7", "-t", "sess/#", "-W", "0.5"]),
        None,
    );
    assert_eq!(none.status.code(), Some(27));
    assert!(none.stdout.is_empty());
}

#[test]
fn every_protocol_version() {
    let broker = broker();
    let port = broker.port.to_string();
    for version in ["31", "311", "5", "mqttv31", "mqttv311", "mqttv5"] {
        let id = format!("v{version}");
        subscribed(&port, &id, "ver/#", &["-V", version, "-x", "60"]);
        ok(&at(
            &port,
            &["pub", "-V", version, "-t", "ver/x", "-m", version],
        ));
        assert_eq!(
            received(&port, &id, "ver/#", "1", &["-V", version, "-x", "60"]),
            format!("{version}\n")
        );
    }
    let wrong = run(&at(&port, &["pub", "-V", "4", "-t", "x", "-m", "x"]), None);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("-V 4"));
}

#[test]
fn mqtt_5_properties_of_publish_subscribe_and_connect() {
    let broker = broker();
    let port = broker.port.to_string();
    subscribed(
        &port,
        "s8",
        "props/#",
        &[
            "-V",
            "5",
            "-x",
            "300",
            "-D",
            "subscribe",
            "subscription-identifier",
            "7",
        ],
    );
    ok(&at(
        &port,
        &[
            "pub",
            "-V",
            "5",
            "-t",
            "props/a",
            "-m",
            "{}",
            "-D",
            "publish",
            "user-property",
            "trace",
            "abc",
            "-D",
            "publish",
            "content-type",
            "application/json",
            "-D",
            "publish",
            "response-topic",
            "replies/here",
            "-D",
            "publish",
            "correlation-data",
            "req-1",
            "-D",
            "publish",
            "message-expiry-interval",
            "3600",
            "-D",
            "publish",
            "payload-format-indicator",
            "1",
            "-D",
            "connect",
            "user-property",
            "who",
            "cli",
            "-D",
            "connect",
            "receive-maximum",
            "10",
        ],
    ));
    let out = received(
        &port,
        "s8",
        "props/#",
        "1",
        &["-V", "5", "-x", "300", "-F", "%P|%C|%R|%D|%E|%F|%S\\n"],
    );
    // The broker counts the expiry down while the message waits: 3600 or a little less.
    let fields: Vec<&str> = out.trim_end().split('|').collect();
    assert_eq!(
        fields[..4],
        ["trace:abc", "application/json", "replies/here", "req-1"]
    );
    assert!(fields[4].parse::<u32>().unwrap() > 3500, "{out}");
    assert_eq!(fields[5..], ["1", "7"]);
}

#[test]
fn properties_need_mqtt_5_and_known_names() {
    let broker = broker();
    let port = broker.port.to_string();
    let old = run(
        &at(
            &port,
            &[
                "pub",
                "-t",
                "x",
                "-m",
                "x",
                "-D",
                "publish",
                "content-type",
                "t",
            ],
        ),
        None,
    );
    assert!(String::from_utf8_lossy(&old.stderr).contains("MQTT 5.0"));
    let unknown = run(
        &at(
            &port,
            &[
                "pub", "-V", "5", "-t", "x", "-m", "x", "-D", "publish", "colour", "red",
            ],
        ),
        None,
    );
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not a PUBLISH property"));
}

#[test]
fn tls_with_a_ca_file_and_with_a_client_certificate() {
    let broker = Mosquitto::with_tls();
    let port = broker.port.to_string();
    let ca = broker.ca_path();
    let ca = ca.to_str().unwrap();
    subscribed(&port, "s9", "tls/#", &["--cafile", ca]);
    ok(&at(
        &port,
        &[
            "pub", "--cafile", ca, "-t", "tls/a", "-m", "private", "-q", "1",
        ],
    ));
    assert_eq!(
        received(&port, "s9", "tls/#", "1", &["--cafile", ca]),
        "private\n"
    );

    let broker = Mosquitto::with_client_certificates();
    let port = broker.port.to_string();
    let file = |name: &str| broker.dir().join(name).to_str().unwrap().to_owned();
    let (ca, cert, key) = (file("ca.pem"), file("client.pem"), file("client.key"));
    let tls = [
        "--cafile",
        ca.as_str(),
        "--cert",
        cert.as_str(),
        "--key",
        key.as_str(),
    ];
    subscribed(&port, "s10", "mtls/#", &tls);
    let mut args = at(&port, &["pub", "-t", "mtls/a", "-m", "mutual", "-q", "1"]);
    args.extend_from_slice(&tls);
    ok(&args);
    assert_eq!(received(&port, "s10", "mtls/#", "1", &tls), "mutual\n");
    let without = run(
        &at(
            &port,
            &["pub", "--cafile", ca.as_str(), "-t", "x", "-m", "x"],
        ),
        None,
    );
    assert_eq!(without.status.code(), Some(1), "{without:?}");
    let half = run(
        &at(
            &port,
            &[
                "pub",
                "--cafile",
                ca.as_str(),
                "--cert",
                cert.as_str(),
                "-t",
                "x",
                "-m",
                "x",
            ],
        ),
        None,
    );
    assert!(String::from_utf8_lossy(&half.stderr).contains("--cert and --key"));
}

/// The system's trust store (TLS without `--cafile`) is rustls-native-certs', which honours
/// the `SSL_CERT_FILE` convention: the test CA in it makes the broker trusted; without it the
/// connection fails on the certificate.
#[test]
fn the_system_trust_store_honours_ssl_cert_file() {
    let broker = Mosquitto::with_tls();
    let url = format!("mqtts://localhost:{}/sys/tls", broker.port);
    let publish = |ssl_cert_file: Option<&std::path::Path>| {
        let mut command = mqtt();
        command.args(["pub", "-L", url.as_str(), "-m", "trusted", "-q", "1"]);
        command
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR");
        if let Some(file) = ssl_cert_file {
            command.env("SSL_CERT_FILE", file);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        finish(child, "mqtt pub -L mqtts://…")
    };
    let trusted = publish(Some(&broker.ca_path()));
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    let untrusted = publish(None);
    assert_eq!(untrusted.status.code(), Some(1), "{untrusted:?}");
    let why = String::from_utf8_lossy(&untrusted.stderr);
    assert!(why.contains("TLS") || why.contains("certificate"), "{why}");
}

/// The proxy of the environment (`ALL_PROXY`), skipped for the hosts of `NO_PROXY`; `--proxy`
/// names one, `--proxy none` none.
#[test]
fn proxies_come_from_the_environment_or_the_command_line() {
    let broker = broker();
    let port = broker.port.to_string();
    let http = mqtt_suite::ProxyServer::http(None);
    let socks = mqtt_suite::ProxyServer::socks5(Some(("bob", "pw")));
    let tunnels = || http.log().matches("): CONNECT ").count();
    let publish = |env: &[(&str, &str)], extra: &[&str]| {
        let mut command = mqtt();
        command.args(at(&port, &["pub", "-t", "proxied", "-m", "x", "-q", "1"]));
        command.args(extra);
        for name in [
            "ALL_PROXY",
            "all_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            command.env_remove(name);
        }
        command.envs(env.iter().copied());
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = finish(child, "mqtt pub through a proxy");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let proxy = http.url();
    publish(&[("ALL_PROXY", proxy.as_str())], &[]);
    assert_eq!(
        tunnels(),
        1,
        "through the environment's proxy: {}",
        http.log()
    );
    publish(
        &[
            ("ALL_PROXY", proxy.as_str()),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
        &[],
    );
    assert_eq!(tunnels(), 1, "NO_PROXY skips it");
    publish(&[("ALL_PROXY", proxy.as_str())], &["--proxy", "none"]);
    assert_eq!(tunnels(), 1, "--proxy none skips it");
    publish(&[], &["--proxy", socks.url().as_str()]);
    let refused = run(
        &at(&port, &["pub", "-t", "x", "-m", "x", "--proxy", "ftp://p"]),
        None,
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown proxy scheme"));
}

#[test]
fn keep_alive_reaches_the_broker() {
    let broker = broker();
    let port = broker.port.to_string();
    ok(&at(
        &port,
        &["pub", "-i", "keeper", "-k", "17", "-t", "k", "-m", "x"],
    ));
    let log = broker.log();
    let line = log
        .lines()
        .find(|l| l.contains(" as keeper "))
        .expect("the connection in the log");
    assert!(line.contains("k17"), "{line}");
}

#[test]
fn timeouts_filters_newlines_counts_and_exit_after_subscribe() {
    let broker = broker();
    let port = broker.port.to_string();
    // -W: nothing came; exit status 27.
    let started = Instant::now();
    let timed_out = run(&at(&port, &["sub", "-t", "quiet", "-W", "0.5"]), None);
    assert_eq!(timed_out.status.code(), Some(27));
    assert!(String::from_utf8_lossy(&timed_out.stderr).contains("Timed out"));
    assert!(started.elapsed() >= Duration::from_millis(500));
    // -T leaves a topic out; -N prints no newline; -C stops at the count.
    subscribed(&port, "s11", "fl/#", &[]);
    for (topic, text) in [
        ("fl/skip", "no"),
        ("fl/a", "a"),
        ("fl/b", "b"),
        ("fl/c", "c"),
    ] {
        ok(&at(&port, &["pub", "-t", topic, "-m", text]));
    }
    let out = received(&port, "s11", "fl/#", "2", &["-T", "fl/skip", "-N"]);
    assert_eq!(out, "ab");
    // -E: subscribed, then gone at once.
    let started = Instant::now();
    ok(&at(&port, &["sub", "-t", "fl/#", "-E"]));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn repeat_with_a_delay() {
    let broker = broker();
    let port = broker.port.to_string();
    subscribed(&port, "s12", "rep/#", &[]);
    let started = Instant::now();
    ok(&at(
        &port,
        &[
            "pub",
            "-t",
            "rep/x",
            "-m",
            "again",
            "--repeat",
            "3",
            "--repeat-delay",
            "0.2",
        ],
    ));
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(
        received(&port, "s12", "rep/#", "3", &[]),
        "again\nagain\nagain\n"
    );
}

#[test]
fn a_will_is_published_when_the_client_dies() {
    let broker = broker();
    let port = broker.port.to_string();
    subscribed(&port, "s13", "wills/#", &[]);
    let mut doomed = mqtt()
        .args(at(
            &port,
            &[
                "sub",
                "-i",
                "doomed",
                "-t",
                "nothing",
                "-k",
                "5",
                "--will-topic",
                "wills/doomed",
                "--will-payload",
                "gone",
                "--will-qos",
                "1",
                "--will-retain",
            ],
        ))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while !broker.log().contains(" as doomed ") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    assert_eq!(
        received(&port, "s13", "wills/#", "1", &["-F", "%t %p %r\\n"]),
        "wills/doomed gone 0\n"
    );
    // Retained: a new subscriber gets it.
    assert_eq!(
        ok(&at(
            &port,
            &["sub", "-t", "wills/#", "-C", "1", "-F", "%p %r\\n"]
        )),
        "gone 1\n"
    );
}

#[test]
fn debug_prints_every_packet_but_no_password_and_format_codes() {
    let broker = broker();
    let port = broker.port.to_string();
    let output = run(
        &at(
            &port,
            &[
                "pub",
                "-d",
                "-u",
                "someone",
                "-P",
                "hush-hush",
                "-t",
                "dbg",
                "-m",
                "payload-x",
                "-q",
                "1",
            ],
        ),
        None,
    );
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for packet in [
        "packet=Connect",
        "packet=ConnAck",
        "packet=Publish",
        "packet=PubAck",
        "packet=Disconnect",
    ] {
        assert!(stderr.contains(packet), "no {packet} in {stderr}");
    }
    assert!(
        !stderr.contains("hush-hush") && !stderr.contains("payload-x"),
        "{stderr}"
    );

    subscribed(&port, "s14", "fmt/#", &[]);
    ok(&at(&port, &["pub", "-t", "fmt/a", "-m", "hi", "-q", "2"]));
    let out = received(
        &port,
        "s14",
        "fmt/#",
        "1",
        &["-F", "%t|%p|%x|%l|%q|%r|%m|100%%\\t."],
    );
    let fields: Vec<&str> = out.split('|').collect();
    assert_eq!(fields[..6], ["fmt/a", "hi", "6869", "2", "1", "0"]);
    assert!(fields[6].parse::<u16>().unwrap() > 0, "{out}");
    assert_eq!(fields[7], "100%\t.");
}

#[test]
fn usage_errors_say_what_is_missing() {
    let no_topic = run(&["pub", "-m", "x"], None);
    assert_eq!(no_topic.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_topic.stderr).contains("a topic"));
    let no_message = run(&["pub", "-t", "x"], None);
    assert!(String::from_utf8_lossy(&no_message.stderr).contains("a message"));
    let two_sources = run(&["pub", "-t", "x", "-m", "a", "-n"], None);
    assert_eq!(two_sources.status.code(), Some(2), "clap's usage error");
    let mut help = String::new();
    mqtt()
        .args(["sub", "--help"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut help)
        .unwrap();
    assert!(help.contains("--retained-only") && help.contains("-h, --host"));
}
