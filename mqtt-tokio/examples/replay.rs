//! Replays a recording ([`Options::record`](mqtt_tokio::Options)) into the sans-IO core and
//! says whether the session behaves as recorded, or where it goes apart:
//!
//! ```sh
//! cargo run -p mqtt-tokio --example replay -- session.mqttrec
//! ```

use std::process::ExitCode;

use mqtt_tokio::record::Recording;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: replay <recording>");
        return ExitCode::from(2);
    };
    let recording = match Recording::open(&path) {
        Ok(recording) => recording,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "{path}: {} entries, client {:?}, MQTT level {}{}",
        recording.entries.len(),
        recording.config.client_id.as_str(),
        recording.config.version.level(),
        if recording.torn_tail {
            " (cut short: the entries before the cut)"
        } else {
            ""
        }
    );
    match recording.replay() {
        Ok(replayed) => {
            println!(
                "replayed as recorded: {} connections, {} bytes in, {} bytes out, {} events",
                replayed.connections, replayed.bytes_in, replayed.bytes_out, replayed.events
            );
            ExitCode::SUCCESS
        }
        Err(divergence) => {
            println!("went apart at entry {}:", divergence.entry);
            println!("  recorded: {:?}", divergence.recorded);
            println!("  replayed: {:?}", divergence.replayed);
            ExitCode::FAILURE
        }
    }
}
