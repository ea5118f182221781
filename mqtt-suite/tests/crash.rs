//! The short version of the crash runs (`scripts/chaos --crash` runs the full one): a publisher
//! and a subscriber with session stores, each killed with SIGKILL and started again, against
//! Mosquitto with persistence. Nothing accepted is lost; nothing acknowledged at QoS 2 comes
//! twice.

use mqtt_proto::ProtocolVersion;
use mqtt_suite::crash::{self, CrashPlan};

#[test]
fn killed_processes_resume_from_their_stores() {
    for (seed, version) in [(1, ProtocolVersion::V3_1_1), (2, ProtocolVersion::V5)] {
        let plan = CrashPlan {
            messages: 5_000,
            kills: 10,
            life_ms: 300,
            seed,
            version,
            program: env!("CARGO_BIN_EXE_chaos").into(),
        };
        let report = crash::run(&plan);
        eprintln!("{report:?}");
        assert_eq!(report.error, None, "{report:?}");
        assert!(report.accepted >= 4_900, "{report:?}");
        assert_eq!(report.lost, 0, "{report:?}");
        assert_eq!(report.duplicated_qos2, 0, "{report:?}");
        assert!(
            report.publisher_kills >= 5 && report.subscriber_kills == 5,
            "{report:?}"
        );
    }
}
