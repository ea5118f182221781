//! The short version of the fault-injection runs (`scripts/chaos` runs the full one): for every
//! adapter, QoS 1 and QoS 2 through a proxy that cuts the connections mid-frame while the broker
//! restarts, and a stalled consumer. Nothing lost; at QoS 2 nothing twice.

use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_suite::Adapter;
use mqtt_suite::adapters::{AsyncStd, Blocking, Smol, Tokio};
use mqtt_suite::chaos::{self, Plan, Report};

fn check(report: &Report, cuts: u64, restarts: u64) {
    eprintln!("{report:?}");
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(report.acknowledged, report.sent, "{report:?}");
    assert_eq!(report.lost, 0, "{report:?}");
    assert!(report.cuts >= cuts, "{report:?}");
    assert_eq!(report.restarts, restarts, "{report:?}");
    if report.scenario == "qos2" {
        assert_eq!(report.duplicated, 0, "{report:?}");
    }
}

fn short<A: Adapter>() {
    for (qos, version, seed) in [
        (QoS::AtLeastOnce, ProtocolVersion::V3_1_1, 1),
        (QoS::ExactlyOnce, ProtocolVersion::V5, 2),
    ] {
        let plan = Plan {
            qos,
            messages: 5000,
            cuts: 12,
            restarts: 2,
            seed,
            version,
        };
        check(&chaos::run::<A>(&plan), 12, 2);
    }
    let stalled = chaos::stall::<A>(50_000, 3);
    check(&stalled, 0, 0);
}

#[test]
fn tokio() {
    short::<Tokio>();
}

#[test]
fn async_std() {
    short::<AsyncStd>();
}

#[test]
fn smol() {
    short::<Smol>();
}

#[test]
fn blocking() {
    short::<Blocking>();
}
