//! The crash-consistent file store: an append-only log of checksummed frames, compacted by
//! writing a new file and renaming it over the old one.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::BytesMut;
use mqtt_sansio::{Durable, Stored};

use super::format::{self, HEADER, MAGIC, Stop, VERSION};
use super::{Durability, Store, StoreError};

/// The log is compacted once it is this long and more than [`SLACK`] times what it holds.
const COMPACT_FROM: u64 = 1 << 20;
/// How much longer than the state it keeps the log may grow.
const SLACK: u64 = 4;

/// A session store in one file: an append-only log of the session's changes, one checksummed
/// frame per commit, so that a crash at any instant leaves a file that opens again with every
/// committed change (a frame the crash cut short is found and dropped). When the log has grown
/// well past the state it holds, it is compacted: the state is written to a new file, synced,
/// and renamed over the log, so that a crash during compaction leaves the old log or the new
/// one, both whole.
///
/// Why a log of its own rather than an embedded database: the session's changes are an
/// append-mostly queue (a message in, its end a little later) that needs one write and one
/// sync per batch, and reads only at start. `BENCHMARKS.md` ("The session store") measures it
/// against redb doing the same work.
///
/// The format is documented in the source (`store/format.rs`) and versioned; a file that is
/// not a store, that a newer version wrote, or that was damaged before its last frame is
/// refused with a [`StoreError`] naming the file: the client never starts empty over a session
/// it could not read.
///
/// The store is opened by the driver with [`Options::store`](crate::Options::store); one file
/// per client identifier, and one process at a time.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    file: File,
    durability: Durability,
    /// The state as the log says it, kept to compact it.
    state: Stored,
    /// Changes applied and not yet written: the body of the next frame.
    body: BytesMut,
    /// Frames to write.
    out: Vec<u8>,
    /// The log's length.
    len: u64,
    /// The length at which compaction is considered next.
    next_check: u64,
}

impl FileStore {
    /// Opens the store at `path`, creating it (and its directory) if it does not exist. A frame
    /// a crash cut short at the end is dropped.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the file cannot be created, read or written;
    /// [`StoreError::NotAStore`], [`StoreError::NewerFormat`], [`StoreError::Corrupt`] for a
    /// file that cannot be read as a store.
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let io = |operation| {
            let path = path.clone();
            move |source| StoreError::Io {
                path,
                operation,
                source,
            }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io("creating its directory"))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io("opening"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io("reading"))?;
        let mut state = Stored::default();
        // A file shorter than the header that starts as it does: a crash cut the creation
        // short, before anything was committed.
        let new = bytes.len() < HEADER && format::header().starts_with(&bytes);
        let len = if new {
            file.set_len(0).map_err(io("truncating"))?;
            file.seek(SeekFrom::Start(0)).map_err(io("seeking"))?;
            file.write_all(&format::header()).map_err(io("writing"))?;
            file.sync_all().map_err(io("syncing"))?;
            sync_dir(&path).map_err(io("syncing its directory"))?;
            HEADER as u64
        } else {
            check_header(&path, &bytes)?;
            let stop = format::read_frames(&bytes, |change| state.apply(&change)).map_err(
                |(offset, what)| StoreError::Corrupt {
                    path: path.clone(),
                    offset: offset as u64,
                    what,
                },
            )?;
            match stop {
                Stop::End => bytes.len() as u64,
                Stop::Torn(at) => {
                    // A commit the crash cut short: it was never acknowledged as durable.
                    file.set_len(at as u64)
                        .map_err(io("truncating a torn tail"))?;
                    file.sync_all().map_err(io("syncing"))?;
                    at as u64
                }
            }
        };
        file.seek(SeekFrom::Start(len)).map_err(io("seeking"))?;
        Ok(Self {
            path,
            file,
            durability,
            state,
            body: BytesMut::new(),
            out: Vec::new(),
            len,
            next_check: COMPACT_FROM.max(len * 2),
        })
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The log's length in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the log holds no frame.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len <= HEADER as u64
    }

    fn io(&self, operation: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = self.path.clone();
        move |source| StoreError::Io {
            path,
            operation,
            source,
        }
    }

    /// Writes the pending body as one frame.
    fn write_frame(&mut self, sync: bool) -> Result<(), StoreError> {
        if self.body.is_empty() {
            return Ok(());
        }
        self.out.clear();
        format::frame(&self.body, &mut self.out);
        self.body.clear();
        self.file.write_all(&self.out).map_err(self.io("writing"))?;
        self.len += self.out.len() as u64;
        if sync {
            self.file.sync_data().map_err(self.io("syncing"))?;
        }
        Ok(())
    }

    /// Compacts the log when it has grown well past the state it holds.
    fn maybe_compact(&mut self) -> Result<(), StoreError> {
        if self.len < self.next_check {
            return Ok(());
        }
        let mut body = BytesMut::new();
        for change in self.state.changes() {
            format::encode_change(&change, &mut body);
        }
        let live = (HEADER + body.len()) as u64;
        if self.len <= live * SLACK {
            self.next_check = self.len + COMPACT_FROM.max(self.len / 2);
            return Ok(());
        }
        let mut bytes = format::header().to_vec();
        if !body.is_empty() {
            format::frame(&body, &mut bytes);
        }
        let tmp = self.path.with_extension("compacting");
        let mut file = File::create(&tmp).map_err(self.io("creating the compacted file"))?;
        file.write_all(&bytes)
            .map_err(self.io("writing the compacted file"))?;
        file.sync_all()
            .map_err(self.io("syncing the compacted file"))?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(self.io("renaming the compacted file"))?;
        sync_dir(&self.path).map_err(self.io("syncing its directory"))?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(self.io("opening the compacted file"))?;
        file.seek(SeekFrom::End(0)).map_err(self.io("seeking"))?;
        self.file = file;
        self.len = bytes.len() as u64;
        self.next_check = COMPACT_FROM.max(self.len * 2);
        Ok(())
    }
}

impl Store for FileStore {
    fn load(&mut self) -> Result<Stored, StoreError> {
        Ok(self.state.clone())
    }

    fn apply(&mut self, change: &Durable) -> Result<(), StoreError> {
        format::encode_change(change, &mut self.body);
        self.state.apply(change);
        if self.durability == Durability::EveryChange {
            self.write_frame(true)?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        let sync = self.durability != Durability::OsBuffered;
        self.write_frame(sync)?;
        self.maybe_compact()
    }
}

fn check_header(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let not_ours = || StoreError::NotAStore {
        path: path.to_path_buf(),
    };
    let magic = bytes.get(..MAGIC.len()).ok_or_else(not_ours)?;
    if magic != MAGIC {
        return Err(not_ours());
    }
    let version = bytes
        .get(MAGIC.len()..MAGIC.len() + 2)
        .map_or(0, |v| u16::from_le_bytes([v[0], v[1]]));
    if version > VERSION {
        return Err(StoreError::NewerFormat {
            path: path.to_path_buf(),
            version,
            supported: VERSION,
        });
    }
    Ok(())
}

/// Makes a file's creation or renaming durable: its directory's entry.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_proto::{PacketId, Publish, QoS, QosPid, TopicName};

    fn pid(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    fn message(id: u16, size: usize) -> Durable {
        Durable::Message(Publish::new(
            TopicName::new("t/1").unwrap(),
            QosPid::new(QoS::ExactlyOnce, pid(id)),
            vec![u8::try_from(id % 251).unwrap(); size],
        ))
    }

    fn reopened(path: &Path) -> Stored {
        FileStore::open(path, Durability::Batched)
            .unwrap()
            .load()
            .unwrap()
    }

    #[test]
    fn committed_changes_come_back_after_a_restart() {
        for durability in [
            Durability::EveryChange,
            Durability::Batched,
            Durability::OsBuffered,
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("deep/er/c.session");
            let mut store = FileStore::open(&path, durability).unwrap();
            assert!(store.load().unwrap().is_empty());
            let mut expected = Stored::default();
            let changes = [
                message(1, 10),
                message(2, 10),
                Durable::Released(pid(2)),
                message(3, 10),
                Durable::Done(pid(1)),
                Durable::InboundReceived(pid(40)),
            ];
            for change in &changes {
                store.apply(change).unwrap();
                expected.apply(change);
            }
            store.commit().unwrap();
            drop(store);
            let back = reopened(&path);
            assert_eq!(back, expected, "{durability:?}");
            assert_eq!(back.messages.len(), 2);
            assert!(back.messages[0].released);
        }
    }

    #[test]
    fn changes_not_committed_are_not_written_when_batched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.session");
        let mut store = FileStore::open(&path, Durability::Batched).unwrap();
        store.apply(&message(1, 10)).unwrap();
        assert!(store.is_empty());
        store.commit().unwrap();
        assert!(!store.is_empty());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), store.len());
    }

    #[test]
    fn a_commit_cut_short_by_a_crash_is_dropped_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.session");
        let mut store = FileStore::open(&path, Durability::Batched).unwrap();
        store.apply(&message(1, 100)).unwrap();
        store.commit().unwrap();
        let good = store.len();
        store.apply(&message(2, 100)).unwrap();
        store.commit().unwrap();
        let whole = store.len();
        drop(store);
        let bytes = std::fs::read(&path).unwrap();
        for cut in (good + 1..whole).step_by(7) {
            std::fs::write(&path, &bytes[..usize::try_from(cut).unwrap()]).unwrap();
            let mut store = FileStore::open(&path, Durability::Batched).unwrap();
            let back = store.load().unwrap();
            assert_eq!(back.messages.len(), 1, "cut at {cut}");
            // The torn tail is gone: what is appended next follows the last whole frame.
            assert_eq!(std::fs::metadata(&path).unwrap().len(), good);
            store.apply(&message(3, 1)).unwrap();
            store.commit().unwrap();
            drop(store);
            assert_eq!(reopened(&path).messages.len(), 2, "cut at {cut}");
        }
    }

    #[test]
    fn a_file_cut_short_while_it_was_created_is_new() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.session");
        std::fs::write(&path, &format::header()[..5]).unwrap();
        let mut store = FileStore::open(&path, Durability::Batched).unwrap();
        assert!(store.load().unwrap().is_empty());
        assert_eq!(std::fs::read(&path).unwrap(), format::header());
    }

    #[test]
    fn files_that_cannot_be_read_are_refused_with_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.session");

        std::fs::write(&path, b"{\"not\": \"a store\"}").unwrap();
        let e = FileStore::open(&path, Durability::Batched).unwrap_err();
        assert!(
            matches!(&e, StoreError::NotAStore { path: p } if *p == path),
            "{e}"
        );
        assert!(e.to_string().contains("c.session"), "{e}");

        let mut newer = format::header();
        newer[8] = 2;
        std::fs::write(&path, newer).unwrap();
        let e = FileStore::open(&path, Durability::Batched).unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::NewerFormat {
                    version: 2,
                    supported: 1,
                    ..
                }
            ),
            "{e}"
        );

        std::fs::remove_file(&path).unwrap();
        let mut store = FileStore::open(&path, Durability::Batched).unwrap();
        for id in 1..=3 {
            store.apply(&message(id, 50)).unwrap();
            store.commit().unwrap();
        }
        drop(store);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[HEADER + 40] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        let e = FileStore::open(&path, Durability::Batched).unwrap_err();
        assert!(
            matches!(e, StoreError::Corrupt { offset, .. } if offset == HEADER as u64),
            "{e}"
        );
        assert!(e.to_string().contains("damaged at byte 16"), "{e}");
        // Nothing was changed in the damaged file.
        assert_eq!(std::fs::read(&path).unwrap(), bytes);

        let dir_path = dir.path().join("a-directory");
        std::fs::create_dir(&dir_path).unwrap();
        let e = FileStore::open(&dir_path, Durability::Batched).unwrap_err();
        assert!(matches!(e, StoreError::Io { .. }), "{e}");
    }

    #[test]
    fn the_log_is_compacted_without_losing_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.session");
        let mut store = FileStore::open(&path, Durability::OsBuffered).unwrap();
        let mut expected = Stored::default();
        let mut longest = 0;
        // 1,000-byte messages, each done two messages later: the log outgrows the state.
        for n in 1..=5_000_u16 {
            let mut changes = vec![message(n, 1_000)];
            if n > 2 {
                changes.push(Durable::Done(pid(n - 2)));
            }
            if n % 100 == 0 {
                changes.push(Durable::InboundReceived(pid(n)));
            }
            for change in &changes {
                store.apply(change).unwrap();
                expected.apply(change);
            }
            store.commit().unwrap();
            longest = longest.max(store.len());
        }
        assert!(
            longest < 3 * COMPACT_FROM,
            "the log reached {longest} bytes"
        );
        assert!(store.len() < COMPACT_FROM * 2);
        drop(store);
        let back = reopened(&path);
        assert_eq!(back, expected);
        assert_eq!(back.messages.len(), 2);
        assert_eq!(back.inbound.len(), 50);
        assert!(!path.with_extension("compacting").exists());
    }
}
