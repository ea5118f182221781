//! The session store: the file store's log against redb doing the same work, one commit per
//! batch of the session's changes, as the driver commits them.
//!
//! Each iteration is one batch: 64 accepted QoS 1 messages kept, the 64 of the batch before
//! done, one commit. Run with `cargo bench -p mqtt-benches --bench store`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mqtt_driver::store::{Durability, FileStore, Store};
use mqtt_proto::{PacketId, Publish, QoS, QosPid, TopicName};
use mqtt_sansio::{Durable, encode_message};
use redb::TableDefinition;

const BATCH: u16 = 64;
const MESSAGES: TableDefinition<u16, &[u8]> = TableDefinition::new("messages");

fn message(id: u16, payload: &[u8]) -> Publish {
    let id = PacketId::new(id).unwrap_or(PacketId::MIN);
    Publish::new(
        TopicName::new("bench/store").unwrap(),
        QosPid::new(QoS::AtLeastOnce, id),
        payload.to_vec(),
    )
}

/// The packet identifiers of batch `n`, going round 1..=65,535 without 0.
fn ids(n: u64) -> impl Iterator<Item = u16> {
    let base = (n % 1000) as u16 * BATCH;
    (1..=BATCH).map(move |i| base + i)
}

/// One benchmark per payload size of a store: `open` makes it in a directory, `batch` does
/// batch `n` (64 messages kept with `payload`, the 64 of batch `n - 1` done, one commit).
fn bench_store<S>(
    c: &mut Criterion,
    name: &str,
    open: impl Fn(&std::path::Path) -> S,
    mut batch: impl FnMut(&mut S, u64, &[u8]),
) {
    let mut group = c.benchmark_group("session store");
    group.sample_size(20);
    for size in [16_usize, 1024] {
        let payload = vec![7_u8; size];
        group.throughput(Throughput::Elements(u64::from(BATCH)));
        group.bench_function(BenchmarkId::new(name, size), |b| {
            let dir = tempfile::tempdir().unwrap();
            let mut store = open(dir.path());
            let mut n = 0_u64;
            b.iter(|| {
                batch(&mut store, n, &payload);
                n += 1;
            });
            black_box(&store);
        });
    }
    group.finish();
}

fn file_store(c: &mut Criterion, name: &str, durability: Durability) {
    bench_store(
        c,
        name,
        |dir| FileStore::open(dir.join("s"), durability).unwrap(),
        |store, n, payload| {
            for id in ids(n) {
                store
                    .apply(&Durable::Message(message(id, payload)))
                    .unwrap();
            }
            if n > 0 {
                for id in ids(n - 1) {
                    store
                        .apply(&Durable::Done(PacketId::new(id).unwrap()))
                        .unwrap();
                }
            }
            store.commit().unwrap();
        },
    );
}

fn redb_store(c: &mut Criterion, name: &str, durability: redb::Durability) {
    let mut encoded = Vec::new();
    bench_store(
        c,
        name,
        |dir| redb::Database::create(dir.join("s.redb")).unwrap(),
        |db, n, payload| {
            let mut tx = db.begin_write().unwrap();
            tx.set_durability(durability).unwrap();
            {
                let mut table = tx.open_table(MESSAGES).unwrap();
                for id in ids(n) {
                    encoded.clear();
                    encode_message(&message(id, payload), &mut encoded).unwrap();
                    table.insert(id, encoded.as_slice()).unwrap();
                }
                if n > 0 {
                    for id in ids(n - 1) {
                        table.remove(id).unwrap();
                    }
                }
            }
            tx.commit().unwrap();
        },
    );
}

fn benches(c: &mut Criterion) {
    file_store(c, "log, synced per batch", Durability::Batched);
    redb_store(c, "redb, synced per batch", redb::Durability::Immediate);
    file_store(c, "log, OS-buffered", Durability::OsBuffered);
    redb_store(c, "redb, not synced", redb::Durability::None);
}

criterion_group!(store, benches);
criterion_main!(store);
