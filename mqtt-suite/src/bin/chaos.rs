//! The fault-injection runs of `mqtt_suite::chaos`, with figures.
//!
//! ```text
//! chaos all [--short] [--seed S] [--qos2-runs N]   every adapter, each run in a child process;
//!                                                  prints a table (Markdown)
//! chaos run ADAPTER qos1|qos2 MESSAGES CUTS RESTARTS SEED   one run; prints its report (JSON)
//! chaos stall ADAPTER MESSAGES SEED                          one stalled-consumer run (JSON)
//! chaos takeover ADAPTER SECONDS 4|5   two clients sharing an identifier, default policy:
//!                                      takeovers in each minute
//! chaos crash [--short] [--seed S] [--runs N]   processes killed with SIGKILL and restarted on
//!                                      their session stores; prints a table (Markdown)
//! chaos crash-run MESSAGES KILLS LIFE_MS SEED   one crash run; prints its report (JSON)
//! chaos crash-publisher URL DIR MESSAGES 3.1.1|5   the children of a crash run
//! chaos crash-subscriber URL DIR 3.1.1|5
//! ```
//! ADAPTER is `tokio`, `async-std`, `smol` or `blocking`.

use std::process::{Command, ExitCode};

use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_suite::Adapter;
use mqtt_suite::adapters::{AsyncStd, Blocking, Smol, Tokio};
use mqtt_suite::chaos::{self, Plan, Report};
use mqtt_suite::crash::{self, CrashPlan, CrashReport};
use serde_json::json;

const ADAPTERS: [&str; 4] = [Tokio::NAME, AsyncStd::NAME, Smol::NAME, Blocking::NAME];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["run", adapter, scenario, messages, cuts, restarts, seed] => {
            let qos = match *scenario {
                "qos1" => QoS::AtLeastOnce,
                "qos2" => QoS::ExactlyOnce,
                other => return usage(&format!("unknown scenario {other}")),
            };
            let (Ok(messages), Ok(cuts), Ok(restarts), Ok(seed)) = (
                messages.parse(),
                cuts.parse(),
                restarts.parse(),
                seed.parse(),
            ) else {
                return usage("MESSAGES, CUTS, RESTARTS and SEED are numbers");
            };
            let plan = Plan {
                qos,
                messages,
                cuts,
                restarts,
                seed,
                version: version_for(seed),
            };
            let Some(report) = for_adapter(adapter, |a| a.run(&plan)) else {
                return usage(&format!("unknown adapter {adapter}"));
            };
            println!("{}", to_json(&report));
            ExitCode::SUCCESS
        }
        ["stall", adapter, messages, seed] => {
            let (Ok(messages), Ok(seed)) = (messages.parse(), seed.parse()) else {
                return usage("MESSAGES and SEED are numbers");
            };
            let Some(report) = for_adapter(adapter, |a| a.stall(messages, seed)) else {
                return usage(&format!("unknown adapter {adapter}"));
            };
            println!("{}", to_json(&report));
            ExitCode::SUCCESS
        }
        ["takeover", adapter, seconds, version] => {
            let Ok(seconds) = seconds.parse() else {
                return usage("SECONDS is a number");
            };
            let version = match *version {
                "4" => ProtocolVersion::V3_1_1,
                "5" => ProtocolVersion::V5,
                _ => return usage("VERSION is 4 or 5"),
            };
            let per_minute = match *adapter {
                "tokio" => chaos::takeover::<Tokio>(seconds, version),
                "async-std" => chaos::takeover::<AsyncStd>(seconds, version),
                "smol" => chaos::takeover::<Smol>(seconds, version),
                "blocking" => chaos::takeover::<Blocking>(seconds, version),
                other => return usage(&format!("unknown adapter {other}")),
            };
            println!(
                "{}",
                json!({"adapter": adapter, "takeovers_per_minute": per_minute})
            );
            ExitCode::SUCCESS
        }
        ["all", rest @ ..] => all(rest),
        ["crash", rest @ ..] => crash_all(rest),
        [mode, rest @ ..] if mode.starts_with("crash-") => crash_child(mode, rest),
        _ => usage("expected all, run or stall"),
    }
}

/// What a run needs to know of its adapter, without generics at the call site.
enum Which {
    Tokio,
    AsyncStd,
    Smol,
    Blocking,
}

impl Which {
    fn run(&self, plan: &Plan) -> Report {
        match self {
            Self::Tokio => chaos::run::<Tokio>(plan),
            Self::AsyncStd => chaos::run::<AsyncStd>(plan),
            Self::Smol => chaos::run::<Smol>(plan),
            Self::Blocking => chaos::run::<Blocking>(plan),
        }
    }

    fn stall(&self, messages: u32, seed: u64) -> Report {
        match self {
            Self::Tokio => chaos::stall::<Tokio>(messages, seed),
            Self::AsyncStd => chaos::stall::<AsyncStd>(messages, seed),
            Self::Smol => chaos::stall::<Smol>(messages, seed),
            Self::Blocking => chaos::stall::<Blocking>(messages, seed),
        }
    }
}

fn for_adapter(name: &str, f: impl FnOnce(Which) -> Report) -> Option<Report> {
    let which = match name {
        "tokio" => Which::Tokio,
        "async-std" => Which::AsyncStd,
        "smol" => Which::Smol,
        "blocking" => Which::Blocking,
        _ => return None,
    };
    Some(f(which))
}

fn usage(why: &str) -> ExitCode {
    eprintln!("chaos: {why}\nusage: chaos all [--short] [--seed S] [--qos2-runs N]");
    eprintln!("       chaos run ADAPTER qos1|qos2 MESSAGES CUTS RESTARTS SEED");
    eprintln!("       chaos stall ADAPTER MESSAGES SEED");
    eprintln!("       chaos takeover ADAPTER SECONDS 4|5");
    eprintln!("       chaos crash [--short] [--seed S] [--runs N]");
    eprintln!("       chaos crash-run MESSAGES KILLS LIFE_MS SEED");
    ExitCode::from(2)
}

fn to_json(r: &Report) -> serde_json::Value {
    json!({
        "adapter": r.adapter, "scenario": r.scenario, "seed": r.seed, "sent": r.sent,
        "acknowledged": r.acknowledged, "received": r.received, "lost": r.lost,
        "duplicated": r.duplicated, "duplicated_dup": r.duplicated_dup, "suppressed": r.suppressed, "cuts": r.cuts,
        "restarts": r.restarts, "reconnects": r.reconnects, "qos0_received": r.qos0_received,
        "millis": r.millis, "peak_rss_kib": r.peak_rss_kib, "error": r.error,
    })
}

/// Every adapter: QoS 1 once, QoS 2 `qos2_runs` times (new seeds), the stalled consumer once;
/// each run a child process of this binary, so that its peak memory is its own.
fn all(args: &[&str]) -> ExitCode {
    let (short, seed, qos2_runs) = match run_options(args, "--qos2-runs", 10) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let (messages, cuts, restarts, stalled) = if short {
        (5_000, 10, 2, 100_000)
    } else {
        (100_000, 50, 5, 1_000_000)
    };
    let me = std::env::current_exe().expect("the binary's path");
    let mut reports = Vec::new();
    let mut failed = false;
    for adapter in ADAPTERS {
        let mut runs: Vec<Vec<String>> = vec![vec![
            "run".into(),
            adapter.into(),
            "qos1".into(),
            messages.to_string(),
            cuts.to_string(),
            restarts.to_string(),
            seed.to_string(),
        ]];
        for k in 0..qos2_runs {
            runs.push(vec![
                "run".into(),
                adapter.into(),
                "qos2".into(),
                messages.to_string(),
                cuts.to_string(),
                restarts.to_string(),
                (seed + k).to_string(),
            ]);
        }
        runs.push(vec![
            "stall".into(),
            adapter.into(),
            stalled.to_string(),
            seed.to_string(),
        ]);
        for run in runs {
            eprintln!("chaos {}", run.join(" "));
            let output = Command::new(&me).args(&run).output().expect("a child run");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let Ok(report) = serde_json::from_str::<serde_json::Value>(stdout.trim()) else {
                eprintln!(
                    "chaos {} failed: {}\n{}",
                    run.join(" "),
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                );
                failed = true;
                continue;
            };
            eprintln!("{report}");
            let bad = report["lost"] != 0
                || !report["error"].is_null()
                || (report["scenario"] == "qos2" && report["duplicated"] != 0);
            failed |= bad;
            reports.push(report);
        }
    }
    print_table(&reports);
    if failed {
        eprintln!("chaos: a run lost or duplicated messages, or failed");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_table(reports: &[serde_json::Value]) {
    println!(
        "| adapter | run | seed | sent | acknowledged | received | lost | duplicated | of which DUP | suppressed | cuts | restarts | reconnects | time (s) | peak RSS (MiB) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in reports {
        let received = if r["scenario"] == "stall" {
            format!(
                "{} (QoS 0: {})",
                r["received"].as_u64().unwrap_or(0) - r["qos0_received"].as_u64().unwrap_or(0),
                r["qos0_received"]
            )
        } else {
            r["received"].to_string()
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.1} |",
            r["adapter"].as_str().unwrap_or_default(),
            r["scenario"].as_str().unwrap_or_default(),
            r["seed"],
            r["sent"],
            r["acknowledged"],
            received,
            r["lost"],
            r["duplicated"],
            r["duplicated_dup"],
            r["suppressed"],
            r["cuts"],
            r["restarts"],
            r["reconnects"],
            r["millis"].as_f64().unwrap_or(0.0) / 1000.0,
            r["peak_rss_kib"].as_f64().unwrap_or(0.0) / 1024.0,
        );
    }
}

/// The crash modes a crash run's orchestrator and children use.
fn crash_child(mode: &str, args: &[&str]) -> ExitCode {
    match (mode, args) {
        ("crash-run", [messages, kills, life_ms, seed]) => {
            let (Ok(messages), Ok(kills), Ok(life_ms), Ok(seed)) = (
                messages.parse(),
                kills.parse(),
                life_ms.parse(),
                seed.parse(),
            ) else {
                return usage("MESSAGES, KILLS, LIFE_MS and SEED are numbers");
            };
            let plan = CrashPlan {
                messages,
                kills,
                life_ms,
                seed,
                version: version_for(seed),
                program: std::env::current_exe().expect("the binary's path"),
            };
            println!("{}", crash_json(&crash::run(&plan)));
            ExitCode::SUCCESS
        }
        ("crash-publisher", [url, dir, messages, version]) => {
            let (Ok(messages), Some(version)) = (messages.parse(), version_of(version)) else {
                return usage("MESSAGES is a number, the version 3.1.1 or 5");
            };
            crash::publisher(url, std::path::Path::new(dir), messages, version);
            ExitCode::SUCCESS
        }
        ("crash-subscriber", [url, dir, version]) => {
            let Some(version) = version_of(version) else {
                return usage("the version is 3.1.1 or 5");
            };
            crash::subscriber(url, std::path::Path::new(dir), version);
            ExitCode::SUCCESS
        }
        _ => usage(&format!("unknown mode {mode} or its arguments")),
    }
}

/// `--short`, `--seed S` and `count_flag N` (how many runs, `runs` by default): the options of
/// `all` and `crash`.
fn run_options(args: &[&str], count_flag: &str, runs: u64) -> Result<(bool, u64, u64), ExitCode> {
    let (mut short, mut seed, mut runs) = (false, 1_u64, runs);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |what: &mut u64| match args.next().and_then(|s| s.parse().ok()) {
            Some(n) => {
                *what = n;
                Ok(())
            }
            None => Err(usage(&format!("{arg} takes a number"))),
        };
        match *arg {
            "--short" => short = true,
            "--seed" => number(&mut seed)?,
            flag if flag == count_flag => number(&mut runs)?,
            other => return Err(usage(&format!("unknown option {other}"))),
        }
    }
    Ok((short, seed, runs))
}

/// The protocol version of a run: 5.0 for even seeds, 3.1.1 for odd ones.
fn version_for(seed: u64) -> ProtocolVersion {
    if seed % 2 == 0 {
        ProtocolVersion::V5
    } else {
        ProtocolVersion::V3_1_1
    }
}

fn version_of(name: &str) -> Option<ProtocolVersion> {
    match name {
        "3.1.1" => Some(ProtocolVersion::V3_1_1),
        "5" => Some(ProtocolVersion::V5),
        _ => None,
    }
}

fn crash_json(r: &CrashReport) -> serde_json::Value {
    json!({
        "seed": r.seed, "accepted": r.accepted, "received": r.received, "lost": r.lost,
        "duplicated_qos1": r.duplicated_qos1, "duplicated_qos2": r.duplicated_qos2,
        "redelivered_unacknowledged": r.redelivered_unacknowledged,
        "publisher_kills": r.publisher_kills, "subscriber_kills": r.subscriber_kills,
        "millis": r.millis, "error": r.error,
    })
}

/// Crash runs with new seeds, each a child process of this binary: 50,000 messages, the
/// publisher killed 30 times and the subscriber 15 (`--short`: 5,000 messages, 10 and 5).
fn crash_all(args: &[&str]) -> ExitCode {
    let (short, seed, runs) = match run_options(args, "--runs", 2) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let (messages, kills, life_ms) = if short {
        (5_000, 10, 300)
    } else {
        (50_000, 30, 600)
    };
    let me = std::env::current_exe().expect("the binary's path");
    let mut failed = false;
    println!(
        "| seed | version | accepted | received | lost | QoS 1 duplicated | QoS 2 duplicated | redelivered unacknowledged | publisher kills | subscriber kills | time (s) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for k in 0..runs {
        let run = [
            "crash-run".to_owned(),
            messages.to_string(),
            kills.to_string(),
            life_ms.to_string(),
            (seed + k).to_string(),
        ];
        eprintln!("chaos {}", run.join(" "));
        let output = Command::new(&me).args(&run).output().expect("a child run");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let Ok(r) = serde_json::from_str::<serde_json::Value>(stdout.trim()) else {
            eprintln!("chaos {} failed: {}", run.join(" "), output.status);
            failed = true;
            continue;
        };
        eprintln!("{r}");
        failed |= r["lost"] != 0 || r["duplicated_qos2"] != 0 || !r["error"].is_null();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            r["seed"],
            if (seed + k) % 2 == 0 { "5.0" } else { "3.1.1" },
            r["accepted"],
            r["received"],
            r["lost"],
            r["duplicated_qos1"],
            r["duplicated_qos2"],
            r["redelivered_unacknowledged"],
            r["publisher_kills"],
            r["subscriber_kills"],
            r["millis"].as_f64().unwrap_or(0.0) / 1000.0,
        );
    }
    if failed {
        eprintln!("chaos crash: a run lost or duplicated messages, or failed");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
