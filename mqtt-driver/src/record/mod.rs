//! Recording a session to a file ([`Options::record`](crate::Options::record)) and replaying
//! the file into the sans-IO core ([`Recording::replay`]): a misbehaving connection becomes a
//! file to attach to a bug report, which replays on any machine, without a broker or a network,
//! to the same bytes.
//!
//! # The file
//!
//! Big-endian integers throughout. It starts with the 8 bytes `MQTTREC` and `0x01` (the format
//! version), the wall-clock time the recording started (u64, nanoseconds since the Unix
//! epoch), and then holds records of one kind byte, a u32 length and that many bytes of body:
//!
//! | kind | record | body |
//! |---|---|---|
//! | `0x01` | the configuration | protocol level (u8), u32 length and the CONNECT it sends (password as `*`), then keep alive, CONNACK timeout (ms, u64), ping timeout (u8 present, u64 ms), Receive Maximum (u8, u16), Maximum Packet Size (u8, u32), Topic Alias Maximum (u16), max in flight (u16), max pending (u64), manual acks (u8), in doubt (u8: 0 requeue, 1 fail), duplicate guard (u64), automatic topic aliases (u8) |
//! | `0x10` … `0x17` | transport open, read (`handle_read`), read into the caller's buffer (`handle_read_buf`), transport closed, timeout, write progress, read paused, read resumed | the instant (u64, ns since the driver started), then the bytes read |
//! | `0x18` | a `poll_transmit` | the instant, then the bytes handed over (none when there were none); a CONNECT's password as `*` |
//! | `0x20` | `publish` | the topic (u16 length, bytes), then the message as an MQTT 5.0 PUBLISH (its topic `-`, its packet identifier 65,535) |
//! | `0x21` | a `publish` the session refused before it changed anything | none |
//! | `0x22` | `subscribe` | an MQTT 5.0 SUBSCRIBE (packet identifier 65,535) |
//! | `0x23` | `unsubscribe` | an MQTT 5.0 UNSUBSCRIBE |
//! | `0x24` | `ack` | the packet identifier (u16) |
//! | `0x25` | `auth` | an MQTT 5.0 AUTH |
//! | `0x26` | `reauthenticate` | none |
//! | `0x27` | `disconnect` | an MQTT 5.0 DISCONNECT |
//! | `0x28` | new credentials | flags (u8: 1 user name, 2 password), the user name (u16 length, bytes), the password as `*` (u32 length, bytes) |
//! | `0x29` | a session restored from a store | the messages (u32 count; each: released u8, u32 length, the MQTT 5.0 PUBLISH with its packet identifier), then the inbound QoS 2 identifiers (u16 count, u16 each) |
//! | `0x2a` | the protocol version from the next connection on (a version fallback) | the protocol level (u8: 4 for 3.1.1, 5 for 5.0) |
//! | `0x30` | an event the driver took | its `Debug` form, UTF-8 |
//!
//! A subscribe or unsubscribe the session refused for its form (an empty list) is recorded as
//! `0x21` too. A recording cut short (the process was killed) ends with a torn record, which a
//! reader leaves out and reports ([`Recording::torn_tail`]). What a recording cannot carry: an
//! authenticator's answers (application code), so a session with one replays up to its first
//! AUTH.

mod config;
mod entries;

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use bytes::{Buf, Bytes};
use mqtt_sansio::{Config, Divergence, Entry, Replayed};

use config::{decode_config, encode_config};
use entries::{REFUSED, Redaction, decode_entry};

/// The first bytes of every recording: the name and the format version.
const MAGIC: &[u8; 7] = b"MQTTREC";
const FORMAT: u8 = 1;

/// The kind of the configuration's record.
const CONFIG: u8 = 0x01;
/// What is wrong with a recording file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordingError {
    /// The file could not be created, written or read.
    #[error("recording {path:?}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not start as a recording does.
    #[error("{path:?} is not a recording of this client (it does not start with MQTTREC)")]
    NotARecording {
        /// The file.
        path: PathBuf,
    },
    /// A recording in a format newer than this build reads.
    #[error("{path:?} is a recording of format {found}; this build reads format {FORMAT}")]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: u8,
    },
    /// A record in the middle of the file cannot be read.
    #[error("{path:?}: the record at byte {offset} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where the record starts.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
}

/// Writes the journal of a session to a file, as the session goes.
pub(crate) struct Recorder {
    file: BufWriter<File>,
    path: PathBuf,
    /// What the file hides.
    redaction: Redaction,
    /// The first write error, reported once.
    failed: bool,
}

impl Recorder {
    /// Creates `path` and writes the header and `config`.
    pub(crate) fn create(path: &Path, config: &Config) -> Result<Self, RecordingError> {
        let io = |source| RecordingError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = BufWriter::new(File::create(path).map_err(io)?);
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        let mut header = Vec::with_capacity(16);
        header.extend_from_slice(MAGIC);
        header.push(FORMAT);
        header.extend_from_slice(&started.to_be_bytes());
        file.write_all(&header).map_err(io)?;
        let mut recorder = Self {
            file,
            path: path.to_owned(),
            redaction: Redaction::new(config.password.clone()),
            failed: false,
        };
        let body = encode_config(config);
        recorder.record(CONFIG, &body).map_err(io)?;
        recorder.file.flush().map_err(io)?;
        Ok(recorder)
    }

    /// Writes `entry`; a failure to write ends the recording (reported once, through
    /// tracing), never the connection.
    pub(crate) fn write(&mut self, entry: &Entry) {
        if self.failed {
            return;
        }
        let (kind, body) = entries::encode(entry, &mut self.redaction);
        if let Err(e) = self.record(kind, &body) {
            self.failed = true;
            crate::trace::recording_failed(&self.path, &e);
        }
    }

    /// Flushes what was written.
    pub(crate) fn flush(&mut self) {
        if !self.failed && self.file.flush().is_err() {
            self.failed = true;
        }
    }

    fn record(&mut self, kind: u8, body: &[u8]) -> std::io::Result<()> {
        let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
        self.file.write_all(&[kind])?;
        self.file.write_all(&len.to_be_bytes())?;
        self.file.write_all(body)
    }
}

/// A recording read back: the configuration of the session and its journal.
#[derive(Debug)]
pub struct Recording {
    /// The session's configuration, passwords as `*`.
    pub config: Config,
    /// The journal.
    pub entries: Vec<Entry>,
    /// When the recording started, in nanoseconds since the Unix epoch.
    pub started: u64,
    /// Whether the file ended with a record cut short (the recording process was killed):
    /// the entries are those before it.
    pub torn_tail: bool,
}

impl Recording {
    /// Reads the recording at `path`.
    ///
    /// # Errors
    /// [`RecordingError`]: the file cannot be read, is not a recording, is of a newer format,
    /// or has a record that cannot be read before its end.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RecordingError> {
        let path = path.as_ref();
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|source| RecordingError::Io {
                path: path.to_owned(),
                source,
            })?;
        parse(path, &bytes)
    }

    /// Feeds the journal to a new session of the recorded configuration, on the recorded
    /// clock, and checks that every `poll_transmit` hands over the recorded bytes and every
    /// event is the recorded one ([`mqtt_sansio::replay`]).
    ///
    /// # Errors
    /// The first [`Divergence`].
    pub fn replay(&self) -> Result<Replayed, Box<Divergence>> {
        mqtt_sansio::replay(self.config.clone(), &self.entries)
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Recording, RecordingError> {
    let corrupt = |offset: usize, reason: &str| RecordingError::Corrupt {
        path: path.to_owned(),
        offset: offset as u64,
        reason: reason.to_owned(),
    };
    if bytes.len() < MAGIC.len() || !bytes.starts_with(MAGIC) {
        return Err(RecordingError::NotARecording {
            path: path.to_owned(),
        });
    }
    let mut r = &bytes[MAGIC.len()..];
    let format = r
        .first()
        .copied()
        .ok_or_else(|| RecordingError::NotARecording {
            path: path.to_owned(),
        })?;
    if format > FORMAT {
        return Err(RecordingError::NewerFormat {
            path: path.to_owned(),
            found: format,
        });
    }
    r.advance(1);
    if r.len() < 8 {
        return Err(corrupt(MAGIC.len() + 1, "no start time"));
    }
    let started = r.get_u64();
    let mut config = None;
    let mut entries = Vec::new();
    let mut torn_tail = false;
    while !r.is_empty() {
        let offset = bytes.len() - r.len();
        if r.len() < 5 {
            torn_tail = true;
            break;
        }
        let kind = r.get_u8();
        let len = r.get_u32() as usize;
        if r.len() < len {
            torn_tail = true;
            break;
        }
        let body = Bytes::copy_from_slice(&r[..len]);
        r.advance(len);
        if kind == CONFIG {
            config = Some(decode_config(body).map_err(|why| corrupt(offset, &why))?);
            continue;
        }
        if config.is_none() {
            return Err(corrupt(offset, "a record before the configuration"));
        }
        if kind == REFUSED {
            continue;
        }
        entries.push(decode_entry(kind, body).map_err(|why| corrupt(offset, &why))?);
    }
    let config = config.ok_or_else(|| corrupt(MAGIC.len() + 9, "no configuration"))?;
    Ok(Recording {
        config,
        entries,
        started,
        torn_tail,
    })
}
