//! The duplicate guard: inbound QoS 2 messages completed recently, so that a server that
//! forgot their completion (a broker restarted from a stale persistence file) and sends them
//! again with DUP set does not get them delivered twice.

use alloc::collections::VecDeque;

use mqtt_proto::{PacketId, Publish};

use crate::id_map::IdMap;

/// A digest of a message's topic name and payload (XXH3, 64 bits): what tells a resent
/// message from a new one that reuses its packet identifier.
pub(super) fn digest(publish: &Publish) -> u64 {
    let topic = xxhash_rust::xxh3::xxh3_64(publish.topic_bytes());
    xxhash_rust::xxh3::xxh3_64_with_seed(publish.payload(), topic)
}

/// The last `capacity` completed inbound QoS 2 messages, by packet identifier, with the digest
/// of each. An identifier completed again replaces its older entry.
pub(super) struct Completed {
    capacity: usize,
    /// Digest and completion stamp per identifier.
    entries: IdMap<(u64, u32)>,
    /// Identifiers with their stamps, oldest first; a place whose stamp is not its
    /// identifier's current one is stale.
    order: VecDeque<(u16, u32)>,
    stamp: u32,
}

impl Completed {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: IdMap::new(),
            order: VecDeque::new(),
            stamp: 0,
        }
    }

    pub(super) fn is_on(&self) -> bool {
        self.capacity > 0
    }

    /// The message `id` with `digest` was completed (PUBCOMP sent).
    pub(super) fn remember(&mut self, id: PacketId, digest: u64) {
        if !self.is_on() {
            return;
        }
        self.stamp = self.stamp.wrapping_add(1);
        self.entries.insert(id.get(), (digest, self.stamp));
        if self.capacity >= usize::from(u16::MAX) {
            // One entry per identifier at most: never more than the capacity, no order needed.
            return;
        }
        self.order.push_back((id.get(), self.stamp));
        while self.entries.len() > self.capacity {
            let Some((oldest, stamp)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(oldest).is_some_and(|&(_, s)| s == stamp) {
                self.entries.remove(oldest);
            }
        }
        if self.order.len() > 2 * self.entries.len() + 16 {
            // Drop the stale places, so that the order stays as small as the entries.
            let entries = &self.entries;
            self.order
                .retain(|&(id, stamp)| entries.get(id).is_some_and(|&(_, s)| s == stamp));
        }
    }

    /// Whether a PUBLISH with DUP set, `id` and `digest` is a message completed already.
    pub(super) fn suppress(&self, id: PacketId, digest: u64) -> bool {
        self.entries
            .get(id.get())
            .is_some_and(|&(d, _)| d == digest)
    }

    /// The server lost the session: what it completed belongs to the old one.
    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }

    /// How many completions are remembered.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::Completed;
    use mqtt_proto::PacketId;

    fn id(n: u16) -> PacketId {
        PacketId::new(n).unwrap_or(PacketId::MIN)
    }

    #[test]
    fn keeps_the_last_completions_up_to_its_capacity() {
        let mut c = Completed::new(3);
        for n in 1..=4 {
            c.remember(id(n), u64::from(n) * 10);
        }
        assert_eq!(c.len(), 3);
        assert!(!c.suppress(id(1), 10), "the oldest went");
        assert!(c.suppress(id(4), 40));
        assert!(
            !c.suppress(id(4), 41),
            "another message under that identifier"
        );
        // Completed again: the newer entry stays when the older place comes up.
        c.remember(id(2), 21);
        c.remember(id(5), 50);
        assert!(c.suppress(id(2), 21) && !c.suppress(id(2), 20));
        assert!(!c.suppress(id(3), 30), "the oldest live entry went");
    }

    #[test]
    fn stale_places_do_not_pile_up() {
        let mut c = Completed::new(100);
        let mut longest = 0;
        for round in 0..1000_u64 {
            c.remember(id(u16::try_from(round % 3).unwrap_or(0) + 1), round);
            longest = longest.max(c.order.len());
        }
        assert_eq!(c.len(), 3);
        // Dropped as soon as they pass twice the entries and a margin, not sooner.
        assert_eq!(longest, 2 * 3 + 16);
        assert!(c.suppress(id(1), 999));
    }

    #[test]
    fn after_dropping_stale_places_the_oldest_entries_still_go_first() {
        let mut c = Completed::new(3);
        for round in 0..30_u64 {
            for n in 1..=3 {
                c.remember(id(n), round);
            }
        }
        for n in 4..=6 {
            c.remember(id(n), 0);
        }
        assert_eq!(c.len(), 3);
        assert!((1..=3).all(|n| !c.suppress(id(n), 29)));
        assert!((4..=6).all(|n| c.suppress(id(n), 0)));
    }

    #[test]
    fn off_remembers_nothing() {
        let mut c = Completed::new(0);
        c.remember(id(1), 1);
        assert!(!c.suppress(id(1), 1));
        c.clear();
        assert_eq!(c.len(), 0);
    }
}
