//! The journal of a session: every input a driver gave the [`Client`](crate::Client), with its
//! instant, and every output it took (the bytes of each `poll_transmit`, each event), in order.
//!
//! The client is deterministic: a new client with the same configuration, given the same
//! inputs in the same order, gives the same outputs. A driver that keeps the journal
//! ([`Client::set_journal`](crate::Client::set_journal)) can write it to a file; [`replay`]
//! feeds it to a new client on a virtual clock and checks, output by output, that it behaves
//! the same: a recorded bug replays on any machine, with no broker and no network.
//!
//! What a journal cannot carry: an [`Authenticator`](crate::Authenticator) (application code;
//! its answers are not replayed, so a session with one replays up to its first AUTH).

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    AuthProperties, DisconnectProperties, MqttString, PacketId, ReasonCode, SubscribeProperties,
    Subscription, TopicFilter, UnsubscribeProperties,
};

use crate::Client;
use crate::client::Message;
use crate::config::Config;
use crate::event::Event;
use crate::time::Instant;

/// One entry of the journal: an input with what it carried, or an output the driver took.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Entry {
    /// [`Client::handle_transport_open`](crate::Client::handle_transport_open).
    TransportOpen(Instant),
    /// [`Client::handle_read`](crate::Client::handle_read), with the bytes.
    Read(Instant, Bytes),
    /// [`Client::handle_read_buf`](crate::Client::handle_read_buf), with what the buffer held.
    ReadBuf(Instant, Bytes),
    /// [`Client::handle_transport_closed`](crate::Client::handle_transport_closed).
    TransportClosed(Instant),
    /// [`Client::handle_timeout`](crate::Client::handle_timeout).
    Timeout(Instant),
    /// [`Client::handle_write_progress`](crate::Client::handle_write_progress).
    WriteProgress(Instant),
    /// [`Client::handle_read_paused`](crate::Client::handle_read_paused).
    ReadPaused(Instant),
    /// [`Client::handle_read_resumed`](crate::Client::handle_read_resumed).
    ReadResumed(Instant),
    /// A `poll_transmit` (or `poll_transmit_chunks`) and the bytes it handed over: none when
    /// it had nothing.
    Transmit(Instant, Bytes),
    /// [`Client::publish`](crate::Client::publish).
    Publish(Message),
    /// [`Client::subscribe`](crate::Client::subscribe).
    Subscribe(Vec<Subscription>, SubscribeProperties),
    /// [`Client::unsubscribe`](crate::Client::unsubscribe).
    Unsubscribe(Vec<TopicFilter>, UnsubscribeProperties),
    /// [`Client::ack`](crate::Client::ack).
    Ack(PacketId),
    /// [`Client::auth`](crate::Client::auth).
    Auth(ReasonCode, AuthProperties),
    /// [`Client::reauthenticate`](crate::Client::reauthenticate).
    Reauthenticate,
    /// [`Client::disconnect_with`](crate::Client::disconnect_with).
    Disconnect(ReasonCode, DisconnectProperties),
    /// [`Client::set_credentials`](crate::Client::set_credentials).
    Credentials(Option<MqttString>, Option<Bytes>),
    /// [`Client::restore`](crate::Client::restore), with the session taken back.
    Restore(crate::store::Stored),
    /// [`Client::set_version`](crate::Client::set_version).
    Version(mqtt_proto::ProtocolVersion),
    /// An event the driver took ([`Client::poll_event`](crate::Client::poll_event)).
    Event(Event),
    /// An event as its `Debug` form shows it: how a recording file keeps events, and how a
    /// replay compares them.
    EventDebug(String),
}

/// How a replay went apart from its journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The index of the entry, from 0.
    pub entry: usize,
    /// What the journal says came out.
    pub recorded: Entry,
    /// What came out of the replay instead; `None` for nothing (no event, say).
    pub replayed: Option<Entry>,
}

/// What a replay that went as recorded did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Entries replayed.
    pub entries: usize,
    /// Transports opened.
    pub connections: usize,
    /// Bytes the replayed client handed over, all equal to the recorded ones.
    pub bytes_out: usize,
    /// Bytes given to the replayed client.
    pub bytes_in: usize,
    /// Events, all equal to the recorded ones.
    pub events: usize,
}

/// Feeds `entries` to a new client of `config`, and checks each output against the recorded
/// one: the bytes of every `poll_transmit`, every event. The first difference is the error.
///
/// ```
/// use mqtt_proto::{MqttString, QoS, TopicName};
/// use mqtt_sansio::{Client, Config, Entry, Instant, Message, replay};
///
/// let config = Config::new(MqttString::from_static("journaled"));
/// let mut client = Client::new(config.clone());
/// client.set_journal(true);
/// client.handle_transport_open(Instant::ZERO);
/// let mut wire = bytes::BytesMut::new();
/// let _ = client.poll_transmit(Instant::ZERO, &mut wire);
/// client.handle_read(Instant::ZERO, &[0x20, 0x02, 0x00, 0x00]);
/// client.publish(Message::new(TopicName::new("t").unwrap(), QoS::AtMostOnce, "x")).unwrap();
/// let _ = client.poll_transmit(Instant::ZERO, &mut wire);
/// while client.poll_event().is_some() {}
/// let journal: Vec<Entry> = std::iter::from_fn(|| client.poll_journal()).collect();
///
/// let replayed = replay(config, &journal).unwrap();
/// assert_eq!(replayed.bytes_out, wire.len());
/// assert_eq!(replayed.events, 1); // Connected
/// ```
///
/// # Errors
/// The first [`Divergence`] (boxed: it holds two entries).
pub fn replay<'a>(
    config: Config,
    entries: impl IntoIterator<Item = &'a Entry>,
) -> Result<Replayed, Box<Divergence>> {
    let mut client = Client::new(config);
    let mut done = Replayed::default();
    for (index, entry) in entries.into_iter().enumerate() {
        let diverged = |replayed: Option<Entry>| {
            Box::new(Divergence {
                entry: index,
                recorded: entry.clone(),
                replayed,
            })
        };
        match entry {
            Entry::TransportOpen(at) => {
                done.connections += 1;
                client.handle_transport_open(*at);
            }
            Entry::Read(at, bytes) => {
                done.bytes_in += bytes.len();
                client.handle_read(*at, bytes);
            }
            Entry::ReadBuf(at, bytes) => {
                done.bytes_in += bytes.len();
                client.handle_read_buf(*at, &mut BytesMut::from(&bytes[..]));
            }
            Entry::TransportClosed(at) => client.handle_transport_closed(*at),
            Entry::Timeout(at) => client.handle_timeout(*at),
            Entry::WriteProgress(at) => client.handle_write_progress(*at),
            Entry::ReadPaused(at) => client.handle_read_paused(*at),
            Entry::ReadResumed(at) => client.handle_read_resumed(*at),
            Entry::Transmit(at, recorded) => {
                let mut out = BytesMut::new();
                let _ = client.poll_transmit(*at, &mut out);
                if out[..] != recorded[..] {
                    return Err(diverged(Some(Entry::Transmit(*at, out.freeze()))));
                }
                done.bytes_out += out.len();
            }
            Entry::Publish(message) => {
                let _ = client.publish(message.clone());
            }
            Entry::Subscribe(subscriptions, properties) => {
                let _ = client.subscribe(subscriptions.clone(), properties.clone());
            }
            Entry::Unsubscribe(filters, properties) => {
                let _ = client.unsubscribe(filters.clone(), properties.clone());
            }
            Entry::Ack(id) => {
                let _ = client.ack(*id);
            }
            Entry::Auth(code, properties) => {
                let _ = client.auth(*code, properties.clone());
            }
            Entry::Reauthenticate => {
                let _ = client.reauthenticate();
            }
            Entry::Disconnect(code, properties) => {
                let _ = client.disconnect_with(*code, properties.clone());
            }
            Entry::Credentials(username, password) => {
                client.set_credentials(username.clone(), password.clone());
            }
            Entry::Restore(stored) => {
                let _ = client.restore(stored.clone());
            }
            Entry::Version(version) => {
                let _ = client.set_version(*version);
            }
            Entry::Event(recorded) => match client.poll_event() {
                Some(event) if &event == recorded => done.events += 1,
                other => return Err(diverged(other.map(Entry::Event))),
            },
            Entry::EventDebug(recorded) => match client.poll_event().map(|e| format!("{e:?}")) {
                Some(event) if &event == recorded => done.events += 1,
                other => return Err(diverged(other.map(Entry::EventDebug))),
            },
        }
        done.entries += 1;
    }
    Ok(done)
}

/// The journal a client keeps while it is on.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: Option<alloc::collections::VecDeque<Entry>>,
}

impl Journal {
    pub(crate) fn set(&mut self, on: bool) {
        match (on, self.entries.is_some()) {
            (true, false) => self.entries = Some(alloc::collections::VecDeque::new()),
            (false, true) => self.entries = None,
            _ => {}
        }
    }

    #[inline]
    pub(crate) fn is_on(&self) -> bool {
        self.entries.is_some()
    }

    /// Keeps `entry`, made only when the journal is on (the unlikely case: out of line).
    #[inline]
    pub(crate) fn keep(&mut self, entry: impl FnOnce() -> Entry) {
        if self.entries.is_some() {
            self.push(entry());
        }
    }

    #[cold]
    #[inline(never)]
    fn push(&mut self, entry: Entry) {
        if let Some(entries) = self.entries.as_mut() {
            entries.push_back(entry);
        }
    }

    pub(crate) fn poll(&mut self) -> Option<Entry> {
        self.entries.as_mut()?.pop_front()
    }
}

/// A password as a journal shows it: as many `*` as it has bytes, so that a recording can go in
/// a bug report and still replay byte for byte (the CONNECT it replays carries the stars).
#[must_use]
pub fn redacted(password: &[u8]) -> Bytes {
    Bytes::from(alloc::vec![b'*'; password.len()])
}
