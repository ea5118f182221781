//! Peak resident memory and binary size of a publisher as a new user writes it: mqtt-tokio and
//! rumqttc, each with its default features and nothing else (`benches/footprint`, a workspace
//! of its own outside the project's, one package for each client, built one at a time so that
//! neither's features reach the other's), built with `cargo build --release`, each publishing
//! 200,000 QoS 1 messages of 16 bytes to Mosquitto (started on a free loopback port) on tokio's
//! current-thread runtime.
//!
//! Run: `cargo bench -p mqtt-benches --bench footprint` (the first run builds the two programs,
//! about two minutes). `FOOTPRINT_REPS` runs of each, alternating (5 unless set); the peak
//! resident set of each run is the kernel's (`wait4`), as `/usr/bin/time -v` reports it, with
//! the program's file read just before, so that all of it is in the page cache.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The programs: the package of `benches/footprint` that builds each, and the binary's name.
const PROGRAMS: [(&str, &str); 2] = [("footprint-ours", "ours"), ("footprint-rumqttc", "rumqttc")];

fn main() {
    let reps: usize = std::env::var("FOOTPRINT_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("footprint");
    // Beside the workspace's own builds, in its target directory.
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/footprint");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for (package, _) in PROGRAMS {
        // One package at a time: built together, the two would share one set of features.
        let status = Command::new(&cargo)
            .args([
                "build",
                "--release",
                "--package",
                package,
                "--manifest-path",
            ])
            .arg(crate_dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "{package} builds");
    }
    let broker = mqtt_suite::Mosquitto::start();
    let mut peaks: Vec<Vec<f64>> = vec![Vec::new(); PROGRAMS.len()];
    let mut walls: Vec<Vec<Duration>> = vec![Vec::new(); PROGRAMS.len()];
    for _ in 0..reps {
        for (n, (_, program)) in PROGRAMS.iter().enumerate() {
            let (peak, wall) = run(&target.join("release").join(program), broker.port);
            peaks[n].push(f64::from(u32::try_from(peak).unwrap_or(u32::MAX)));
            walls[n].push(wall);
        }
    }
    println!(
        "\n| program | binary, KiB | peak RSS, KiB (median of {reps}) | runs | seconds (median) |"
    );
    println!("| --- | ---: | ---: | --- | ---: |");
    for (n, (_, program)) in PROGRAMS.iter().enumerate() {
        let size = std::fs::metadata(target.join("release").join(program))
            .map(|m| m.len() / 1024)
            .unwrap_or_default();
        let runs: Vec<String> = peaks[n].iter().map(f64::to_string).collect();
        let mut sorted = walls[n].clone();
        sorted.sort();
        let wall = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        println!(
            "| {program} | {size} | {} | {} | {:.2} |",
            mqtt_benches::median(peaks[n].clone()),
            runs.join(", "),
            wall.as_secs_f64()
        );
    }
    // A child's peak counts this process's until `exec`: only figures above it are the programs'.
    let own = mqtt_suite::chaos::peak_rss_kib();
    let least = peaks.iter().flatten().fold(f64::MAX, |a, &b| a.min(b));
    assert!(
        f64::from(u32::try_from(own).unwrap_or(u32::MAX)) < least,
        "this process's peak ({own} KiB) is not below the programs' ({least} KiB)"
    );
    let ratio = mqtt_benches::median(peaks[0].clone()) / mqtt_benches::median(peaks[1].clone());
    println!("\npeak RSS, mqtt-tokio ÷ rumqttc: {ratio:.2}");
}

/// Runs `program` against the broker on `port`: its peak resident set in KiB and its time.
#[expect(
    clippy::zombie_processes,
    reason = "the child is waited for by wait4, which the standard library does not offer"
)]
fn run(program: &Path, port: u16) -> (u64, Duration) {
    // The whole file in the page cache, as just after a build: the kernel maps the cached pages
    // around each page a program touches (fault-around), so what is cached decides how much of
    // the binary becomes resident, and a run after another program evicted some of it would
    // measure less. Read through a small buffer: a child's peak counts its parent's until it runs the program
    // (the child shares the parent's memory until `exec`), so this process must stay small.
    let mut file = std::fs::File::open(program).expect("the program is readable");
    std::io::copy(&mut file, &mut std::io::sink()).expect("the program is readable");
    let start = Instant::now();
    let child = Command::new(program)
        .env("PORT", port.to_string())
        .spawn()
        .expect("the program starts");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `wait4` writes the child's status and a `rusage` into the pointers it is given,
    // which point at an `i32` and a `rusage`; the child is ours and not waited for elsewhere.
    #[expect(
        unsafe_code,
        reason = "wait4 is the only source of a child's own peak resident set"
    )]
    let usage = unsafe {
        let waited = libc::wait4(pid, &raw mut status, 0, usage.as_mut_ptr());
        assert_eq!(waited, pid, "the program is waited for");
        usage.assume_init()
    };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{} ends well",
        program.display()
    );
    (usage.ru_maxrss.unsigned_abs(), start.elapsed())
}
