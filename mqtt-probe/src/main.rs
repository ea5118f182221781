//! `mqtt-probe`: a scriptable MQTT client for conformance and interoperability testing.
//!
//! Agent mode (no argument) reads one JSON command per line on standard input and writes one
//! JSON event per line on standard output, flushed after each. `--session-loop` reads lines
//! `PORT VERSION CLEAN [COMMAND-JSON]` and for each connects, runs the command, and stays
//! connected until the peer closes. The commands and events are in the README of this crate.
//!
//! Exit status: 0 when every command succeeded, 1 when a `wait` timed out or a command failed
//! unexpectedly, 2 for usage errors.

mod commands;
mod json;
mod probe;

use std::process::ExitCode;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::commands::Outcome;
use crate::probe::Probe;

const USAGE: &str = "usage: mqtt-probe [--session-loop]
  Agent mode: JSON commands on stdin, one per line; JSON events on stdout.
  --session-loop: lines `PORT VERSION CLEAN [COMMAND-JSON]` on stdin.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let session_loop = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => false,
        ["--session-loop"] => true,
        ["--help" | "-h"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mqtt-probe: {e}");
            return ExitCode::FAILURE;
        }
    };
    let status = runtime.block_on(async {
        if session_loop {
            session_loop_mode().await
        } else {
            agent().await
        }
    });
    ExitCode::from(status)
}

/// Agent mode: runs the script on stdin; returns the exit status.
async fn agent() -> u8 {
    let mut probe = Probe::new();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut failed = false;
    // The kind of the last local failure, until an `expect_error` takes it.
    let mut unexpected: Option<&'static str> = None;
    loop {
        // The connection is driven while the next command is awaited.
        let line = tokio::select! {
            line = lines.next_line() => line,
            wake = probe.wake(None) => {
                probe.handle(wake).await;
                continue;
            }
        };
        let Ok(Some(line)) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let cmd: Value = match serde_json::from_str(&line) {
            Ok(cmd @ Value::Object(_)) => cmd,
            Ok(_) | Err(_) => return usage(&mut probe, "", &format!("not a JSON object: {line}")),
        };
        let Some(name) = cmd["cmd"].as_str().map(str::to_owned) else {
            return usage(&mut probe, "", "no \"cmd\" field");
        };
        if name == "expect_error" {
            let Some(kind) = cmd["kind"].as_str() else {
                return usage(&mut probe, &name, "kind: missing");
            };
            match unexpected.take() {
                Some(actual) if actual == kind => {}
                actual => {
                    failed = true;
                    let detail = match actual {
                        Some(actual) => {
                            format!("the previous command failed with {actual}, not {kind}")
                        }
                        None => format!("the previous command did not fail (expected {kind})"),
                    };
                    probe.emit(json!({"event": "error", "cmd": name, "kind": "expectation", "detail": detail}));
                }
            }
            continue;
        }
        failed |= unexpected.take().is_some();
        match probe.run(&name, &cmd).await {
            Ok(()) => {}
            Err(Outcome::Failed(failure)) => {
                probe.emit(json!({"event": "error", "cmd": name, "kind": failure.kind,
                    "detail": failure.detail}));
                unexpected = Some(failure.kind);
            }
            Err(Outcome::Usage(detail)) => return usage(&mut probe, &name, &detail),
        }
    }
    failed |= unexpected.is_some();
    // End of the script: stay until the peer closes what is still open.
    probe.linger().await;
    u8::from(failed)
}

fn usage(probe: &mut Probe, cmd: &str, detail: &str) -> u8 {
    probe.emit(json!({"event": "error", "cmd": cmd, "kind": "usage", "detail": detail}));
    2
}

/// Session-loop mode: one connection per line; returns the exit status.
async fn session_loop_mode() -> u8 {
    let mut probe = Probe::new();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut parts = line.trim().splitn(4, ' ');
        let (Some(port), Some(version), Some(clean)) = (parts.next(), parts.next(), parts.next())
        else {
            if line.trim().is_empty() {
                continue;
            }
            return usage(
                &mut probe,
                "",
                &format!("expected PORT VERSION CLEAN: {line}"),
            );
        };
        let (Ok(port), Ok(version)) = (port.parse::<u16>(), version.parse::<u16>()) else {
            return usage(
                &mut probe,
                "",
                &format!("expected PORT VERSION CLEAN: {line}"),
            );
        };
        let clean = matches!(clean, "1" | "true");
        let command = match parts.next().map(str::trim).filter(|c| !c.is_empty()) {
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(cmd @ Value::Object(_)) => Some(cmd),
                _ => return usage(&mut probe, "", &format!("not a JSON object: {text}")),
            },
            None => None,
        };
        // Each line is a scenario of its own: a fresh client, so that nothing of the line
        // before (identifiers, messages in flight, commands) reaches this connection.
        probe.forget_session();
        if let Err(outcome) = probe.connect_fuzzish(port, version, clean).await {
            report(&mut probe, "connect", outcome);
            continue;
        }
        if let Some(cmd) = command {
            let name = cmd["cmd"].as_str().unwrap_or_default().to_owned();
            if let Err(outcome) = probe.run(&name, &cmd).await {
                report(&mut probe, &name, outcome);
            }
        }
        probe.linger().await;
    }
    0
}

fn report(probe: &mut Probe, cmd: &str, outcome: Outcome) {
    let (kind, detail) = match outcome {
        Outcome::Failed(f) => (f.kind, f.detail),
        Outcome::Usage(detail) => ("usage", detail),
    };
    probe.emit(json!({"event": "error", "cmd": cmd, "kind": kind, "detail": detail}));
}
