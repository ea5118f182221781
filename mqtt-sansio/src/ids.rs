//! Packet identifiers: one allocator for PUBLISH, SUBSCRIBE and UNSUBSCRIBE.

use alloc::boxed::Box;

use mqtt_proto::PacketId;

/// The packet identifiers this client has in use. An identifier is taken when a packet that needs
/// one is accepted and given back when its exchange ends, so a live identifier is never reused
/// (\[MQTT-2.2.1-3\]). Allocation goes round from the last one given, so a freed identifier rests
/// as long as possible before it comes back.
pub(crate) struct PacketIds {
    /// One bit per identifier 0..=65,535; bit 0 (identifier 0) is never used.
    used: Box<[u64; 1024]>,
    /// Where the next search starts.
    next: u16,
    in_use: u32,
}

impl PacketIds {
    pub(crate) fn new() -> Self {
        Self {
            used: Box::new([0; 1024]),
            next: 1,
            in_use: 0,
        }
    }

    /// How many identifiers are in use.
    pub(crate) fn in_use(&self) -> u32 {
        self.in_use
    }

    /// Takes a free identifier; `None` when all 65,535 are in use.
    pub(crate) fn allocate(&mut self) -> Option<PacketId> {
        if self.in_use >= u32::from(u16::MAX) {
            return None;
        }
        let mut candidate = PacketId::new(self.next).unwrap_or(PacketId::MIN);
        loop {
            let (word, bit) = split(candidate.get());
            let slot = self.used.get_mut(word)?;
            if *slot == u64::MAX {
                // A full word: jump to the start of the next one.
                let next_word_start = ((word as u32 + 1) * 64) as u16;
                candidate = PacketId::new(next_word_start).unwrap_or(PacketId::MIN);
                continue;
            }
            if *slot & bit == 0 {
                *slot |= bit;
                self.in_use += 1;
                self.next = candidate.next_wrapping().get();
                return Some(candidate);
            }
            candidate = candidate.next_wrapping();
        }
    }

    /// Takes `id` itself, as a restored session does; `false` if it was in use.
    pub(crate) fn reserve(&mut self, id: PacketId) -> bool {
        let (word, bit) = split(id.get());
        match self.used.get_mut(word) {
            Some(slot) if *slot & bit == 0 => {
                *slot |= bit;
                self.in_use += 1;
                self.next = id.next_wrapping().get();
                true
            }
            _ => false,
        }
    }

    /// Gives `id` back; `false` if it was not in use.
    pub(crate) fn release(&mut self, id: PacketId) -> bool {
        let (word, bit) = split(id.get());
        match self.used.get_mut(word) {
            Some(slot) if *slot & bit != 0 => {
                *slot &= !bit;
                self.in_use -= 1;
                true
            }
            _ => false,
        }
    }
}

fn split(id: u16) -> (usize, u64) {
    (usize::from(id / 64), 1 << (id % 64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_round_robin_and_never_a_live_id() {
        let mut ids = PacketIds::new();
        let a = ids.allocate().unwrap();
        let b = ids.allocate().unwrap();
        assert_eq!((a.get(), b.get()), (1, 2));
        assert!(ids.release(a));
        assert!(!ids.release(a));
        // 1 is free again but the search goes on from 3.
        assert_eq!(ids.allocate().unwrap().get(), 3);
    }

    #[test]
    fn exhaustion_and_wrap() {
        let mut ids = PacketIds::new();
        for expected in 1..=u16::MAX {
            assert_eq!(ids.allocate().map(PacketId::get), Some(expected));
        }
        assert_eq!(ids.allocate(), None);
        assert_eq!(ids.in_use(), 65_535);
        let id = PacketId::new(40_000).unwrap();
        assert!(ids.release(id));
        assert_eq!(ids.allocate(), Some(id));
        assert_eq!(ids.allocate(), None);
    }
}
