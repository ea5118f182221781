//! Sessions that survive the process: the [`Store`] a driver keeps the session's durable changes
//! in, and [`FileStore`], the crash-consistent one of the adapters.
//!
//! The session says what must be durable ([`mqtt_sansio::store`]: an outbound QoS 1 or 2
//! message from the moment it is accepted, its release, an inbound QoS 2 receipt, and their
//! end); the driver applies those changes to its store and commits them before it writes the
//! bytes that follow them. A client opened again on the same store and client identifier takes
//! the session back: what was not acknowledged goes again (DUP set), released QoS 2 messages
//! are completed with PUBREL, inbound QoS 2 messages received before are not delivered twice.
//!
//! When a message is in the store: before any byte of it is written, and before its `publish`
//! can resolve. `mqtt-blocking`'s `send` and `publish` return only once it is (the command is
//! applied, and the store committed, in the calling thread); the async adapters' `send` returns
//! once the connection task has the command, which it applies and commits in its next turn: a
//! process killed in between loses what it `send`s, so an application that must know awaits
//! `publish`, or `flush`.
//!
//! A message that is in the store survives a crash of the process; how much else is a matter
//! of [`Durability`]. `mqtt-suite`'s crash runs (`scripts/chaos --crash`) kill a publisher and
//! a subscriber with SIGKILL dozens of times and count: `RELIABILITY.md` has the figures.
//!
//! ```
//! use mqtt_driver::store::{Durability, FileStore, Store};
//!
//! let dir = std::env::temp_dir().join(format!("mqtt-store-doc-{}", std::process::id()));
//! let path = dir.join("sensor-7.session");
//! let mut store = FileStore::open(&path, Durability::Batched).unwrap();
//! assert!(store.load().unwrap().is_empty());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod file;
mod format;

use std::path::PathBuf;

use mqtt_sansio::{Durable, Stored};

pub use file::FileStore;

/// Where a driver keeps the session's durable state. [`FileStore`] is the one
/// [`Options::store`](crate::Options::store) opens.
///
/// The driver calls [`load`](Self::load) once, before the first connection, then, each time
/// the session has changes, [`apply`](Self::apply) for each in order and
/// [`commit`](Self::commit) before it writes the bytes that depend on them.
pub trait Store: Send + 'static {
    /// The state kept: right after opening, as the previous process left it at its last
    /// commit.
    ///
    /// # Errors
    /// A [`StoreError`] when what is kept cannot be read: the driver does not start empty over
    /// it.
    fn load(&mut self) -> Result<Stored, StoreError>;

    /// Takes one change, durable at the next [`commit`](Self::commit) at the latest.
    ///
    /// # Errors
    /// A [`StoreError`] when the change cannot be kept; the driver then stops the client.
    fn apply(&mut self, change: &Durable) -> Result<(), StoreError>;

    /// Makes every change applied so far as durable as the store promises.
    ///
    /// # Errors
    /// A [`StoreError`] when it cannot; the driver then stops the client.
    fn commit(&mut self) -> Result<(), StoreError>;
}

/// How durable a commit is: what survives which crash, for what it costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// Each change is written and synced to the disk (`fdatasync`) on its own: survives a power
    /// loss; the slowest.
    EveryChange,
    /// The changes of one turn of the driver are written together and synced once before the
    /// bytes that depend on them go out (group commit): survives a power loss, at one sync per
    /// batch.
    #[default]
    Batched,
    /// Written to the operating system at each commit, never synced: survives the process being
    /// killed, not a power loss or a crash of the machine.
    OsBuffered,
}

/// Why a store cannot keep or give back the session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file could not be opened, read, written or synced.
    #[error("session store {path:?}: {operation} failed: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        operation: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not start as a session store does: another program's file.
    #[error("{path:?} is not a session store (it does not start with the store's signature)")]
    NotAStore {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by a newer version of the store.
    #[error(
        "session store {path:?} has format version {version}; this build reads versions up to {supported}"
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its format version.
        version: u16,
        /// The newest version this build reads.
        supported: u16,
    },
    /// Damage before the end of the file: not a write cut short by a crash, which is found and
    /// dropped, but bytes changed after they were written.
    #[error("session store {path:?} is damaged at byte {offset}: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where the damaged record starts.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// The stored session does not fit the client it is given to.
    #[error("the stored session cannot be restored: {0}")]
    Restore(#[from] mqtt_sansio::RestoreError),
}
