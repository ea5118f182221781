//! `mqtt pub` and `mqtt sub`: MQTT 3.1, 3.1.1 and 5.0 from the command line, with the options of
//! `mosquitto_pub` and `mosquitto_sub` (`-h` is the host, as there; help is `--help`).
//!
//! ```text
//! mqtt sub -h broker.example -t 'sensors/#' -v
//! mqtt pub -h broker.example -t sensors/7 -m 21.5 -q 1
//! mqtt pub -L mqtts://user:secret@broker.example/sensors/7 --cafile ca.pem -l < readings.txt
//! mqtt sub -V 5 -t 'jobs/#' -F '%t %p (%P)' -D subscribe subscription-identifier 7
//! ```
//!
//! Exit status: 0 when done, 1 for an error (said on standard error), 2 for a usage error, 27
//! when `sub -W` timed out.

mod args;
mod connect;
mod format;
mod properties;
mod publish;
mod subscribe;

use std::process::ExitCode;

use args::{Cli, Command};

/// What `mosquitto_sub -W` exits with on a timeout.
const TIMED_OUT: u8 = 27;

fn main() -> ExitCode {
    let cli = Cli::read();
    let debug = match &cli.command {
        Command::Pub(args) => args.common.debug,
        Command::Sub(args) => args.common.debug,
    };
    if debug {
        // Every packet, never a payload or a password: the client's own tracing.
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .init();
    }
    let outcome = match cli.command {
        Command::Pub(args) => publish::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Sub(args) => subscribe::run(&args).map(|ended| match ended {
            subscribe::Ended::Done => ExitCode::SUCCESS,
            subscribe::Ended::TimedOut => {
                eprintln!("Timed out");
                ExitCode::from(TIMED_OUT)
            }
        }),
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("mqtt: {error}");
        ExitCode::FAILURE
    })
}
