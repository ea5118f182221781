//! Chunking is pseudo-random from the seed: the same seed gives the same chunks, and every seed
//! gives the same bytes.

use core::time::Duration;

use bytes::Bytes;
use mqtt_test::{Link, LinkConfig};

fn chunks(seed: u64, max_chunk: usize) -> Vec<Bytes> {
    let mut link = Link::new(
        LinkConfig::new(Duration::from_millis(1))
            .with_seed(seed)
            .with_max_chunk(max_chunk),
    );
    let data: Vec<u8> = (0..=255).collect();
    for part in data.chunks(37) {
        link.send(Duration::ZERO, part);
    }
    let mut out = Vec::new();
    while let Some(chunk) = link.poll_deliver(Duration::from_millis(1)) {
        out.push(chunk);
    }
    out
}

#[test]
fn the_same_seed_gives_the_same_chunks() {
    assert_eq!(chunks(42, 7), chunks(42, 7));
    assert_ne!(chunks(42, 7), chunks(43, 7));
}

#[test]
fn every_seed_gives_the_same_bytes_in_bounded_chunks() {
    let expected: Vec<u8> = (0..=255).collect();
    for seed in 0..50 {
        for max_chunk in [1, 2, 5, 64, usize::MAX] {
            let chunks = chunks(seed, max_chunk);
            assert!(chunks.iter().all(|c| (1..=max_chunk).contains(&c.len())));
            assert_eq!(
                chunks.concat(),
                expected,
                "seed {seed}, max_chunk {max_chunk}"
            );
        }
    }
}

#[test]
fn max_chunk_zero_means_one_byte() {
    assert!(chunks(1, 0).iter().all(|c| c.len() == 1));
}
