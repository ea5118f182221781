//! The event queue between a driver and the application: never blocking the driver, never
//! losing an event without a count.

use std::time::{Duration, Instant};

use mqtt_driver::{Numbered, event_queue};
use mqtt_sansio::ConnectionEvent;

fn reconnecting(attempt: u32) -> Numbered<ConnectionEvent> {
    let event = ConnectionEvent::Reconnecting {
        attempt,
        delay: Duration::ZERO,
        broker: 0,
    };
    Numbered::new(u64::from(attempt), event)
}

/// Whatever the capacity and however many events, the count and the events kept add up, and
/// the kept ones are the newest, in order.
#[test]
fn counts_add_up_and_the_newest_stay() {
    for capacity in [2, 3, 16, 64] {
        for sent in [0_u32, 1, 2, 3, 15, 16, 17, 100, 1000] {
            let (sink, events) = event_queue(capacity);
            for n in 1..=sent {
                sink.send(reconnecting(n));
            }
            drop(sink);
            let mut missed = 0;
            let mut kept = Vec::new();
            while let Some(event) = events.recv_blocking() {
                match event.item {
                    ConnectionEvent::Lagged { missed: m } => {
                        assert!(kept.is_empty(), "the count comes first");
                        missed += m;
                    }
                    ConnectionEvent::Reconnecting { attempt, .. } => kept.push(attempt),
                    other => panic!("{other:?}"),
                }
            }
            assert!(kept.len() + usize::from(missed > 0) <= capacity.max(2));
            assert_eq!(
                missed + kept.len() as u64,
                u64::from(sent),
                "{capacity} {sent}"
            );
            let newest: Vec<u32> = (u32::try_from(missed).unwrap() + 1..=sent).collect();
            assert_eq!(kept, newest);
        }
    }
}

#[test]
fn a_waiting_reader_wakes_for_an_event_and_for_the_end() {
    let (sink, events) = event_queue(4);
    let reader = std::thread::spawn(move || {
        let first = futures_lite::future::block_on(events.recv());
        let second = events.recv_blocking();
        (first, second)
    });
    std::thread::sleep(Duration::from_millis(50));
    sink.send(Numbered::new(1, ConnectionEvent::Stopped));
    std::thread::sleep(Duration::from_millis(50));
    drop(sink);
    let (first, second) = reader.join().unwrap();
    assert_eq!(first, Some(Numbered::new(1, ConnectionEvent::Stopped)));
    assert_eq!(second, None);
}

#[test]
fn recv_timeout_gives_up_in_time() {
    let (_sink, events) = event_queue(4);
    let start = Instant::now();
    assert_eq!(events.recv_timeout(Duration::from_millis(100)), None);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(100) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    assert_eq!(events.try_recv(), None);
}
