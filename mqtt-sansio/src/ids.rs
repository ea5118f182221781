//! Packet identifiers: one allocator for PUBLISH, SUBSCRIBE and UNSUBSCRIBE.

use alloc::boxed::Box;

use mqtt_proto::PacketId;

/// Identifiers per page of the bitmap: 64 words of 64 bits, 512 bytes.
const PAGE_IDS: usize = 4096;
/// Words per page.
const PAGE_WORDS: usize = PAGE_IDS / 64;
/// Pages for identifiers 0..=65,535.
const PAGES: usize = 16;

/// One page of the bitmap.
type Page = Box<[u64; PAGE_WORDS]>;

/// The packet identifiers this client has in use. An identifier is taken when a packet that needs
/// one is accepted and given back when its exchange ends, so a live identifier is never reused
/// (\[MQTT-2.2.1-3\]). Allocation goes round from the last one given, so a freed identifier rests
/// as long as possible before it comes back.
///
/// One bit per identifier, in pages of 4,096 taken only while one of theirs is in use: a client
/// with a window of a few hundred holds one or two pages (512 bytes each) rather than the whole
/// 8 KiB, which matters to a process with thousands of connections. A page given back is kept
/// for the next one, so going round the identifiers allocates nothing.
pub(crate) struct PacketIds {
    /// The pages; bit 0 of page 0 (identifier 0) is never used.
    pages: [Option<Page>; PAGES],
    /// Identifiers in use per page.
    counts: [u16; PAGES],
    /// A page no longer in use, zeroed, for the next one needed.
    spare: Option<Page>,
    /// Where the next search starts.
    next: u16,
    in_use: u32,
}

impl PacketIds {
    pub(crate) fn new() -> Self {
        Self {
            pages: Default::default(),
            counts: [0; PAGES],
            spare: None,
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
            let (page, word, bit) = split(candidate.get());
            let slot = self.word(page, word)?;
            if *slot == u64::MAX {
                // A full word: jump to the start of the next one.
                let next_word_start = (u32::from(candidate.get() / 64) + 1) * 64;
                candidate = PacketId::new(next_word_start as u16).unwrap_or(PacketId::MIN);
                continue;
            }
            if *slot & bit == 0 {
                *slot |= bit;
                self.taken(page);
                self.next = candidate.next_wrapping().get();
                return Some(candidate);
            }
            candidate = candidate.next_wrapping();
        }
    }

    /// Takes `id` itself, as a restored session does; `false` if it was in use.
    pub(crate) fn reserve(&mut self, id: PacketId) -> bool {
        let (page, word, bit) = split(id.get());
        match self.word(page, word) {
            Some(slot) if *slot & bit == 0 => {
                *slot |= bit;
                self.taken(page);
                self.next = id.next_wrapping().get();
                true
            }
            _ => false,
        }
    }

    /// Gives `id` back; `false` if it was not in use.
    pub(crate) fn release(&mut self, id: PacketId) -> bool {
        let (page, word, bit) = split(id.get());
        let Some(Some(words)) = self.pages.get_mut(page) else {
            return false;
        };
        match words.get_mut(word) {
            Some(slot) if *slot & bit != 0 => {
                *slot &= !bit;
                self.in_use -= 1;
                if let Some(count) = self.counts.get_mut(page) {
                    *count -= 1;
                    if *count == 0 {
                        // All zero again: kept for the next page needed, if none is.
                        let emptied = self.pages.get_mut(page).and_then(Option::take);
                        if self.spare.is_none() {
                            self.spare = emptied;
                        }
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// The word `word` of page `page`, the page taken (the spare, or a new one) if need be.
    fn word(&mut self, page: usize, word: usize) -> Option<&mut u64> {
        let spare = &mut self.spare;
        self.pages
            .get_mut(page)?
            .get_or_insert_with(|| spare.take().unwrap_or_else(|| Box::new([0; PAGE_WORDS])))
            .get_mut(word)
    }

    /// One more identifier of page `page` is in use.
    fn taken(&mut self, page: usize) {
        self.in_use += 1;
        if let Some(count) = self.counts.get_mut(page) {
            *count += 1;
        }
    }
}

/// The page, the word in it and the bit of `id`.
fn split(id: u16) -> (usize, usize, u64) {
    let id = usize::from(id);
    (id / PAGE_IDS, id % PAGE_IDS / 64, 1 << (id % 64))
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

    /// Pages are taken while one of their identifiers is in use, and one given back is kept for
    /// the next: going round the identifiers with a small window holds two pages at most.
    #[test]
    fn pages_come_and_go_with_the_identifiers() {
        let mut ids = PacketIds::new();
        assert!(ids.pages.iter().all(Option::is_none));
        let mut window = alloc::collections::VecDeque::new();
        for _ in 0..200_000 {
            window.push_back(ids.allocate().unwrap());
            if window.len() > 100 {
                assert!(ids.release(window.pop_front().unwrap()));
            }
            assert!(ids.pages.iter().filter(|p| p.is_some()).count() <= 2);
        }
        assert_eq!(ids.in_use(), 100);
        while let Some(id) = window.pop_front() {
            assert!(ids.release(id));
        }
        assert!(ids.pages.iter().all(Option::is_none));
        assert!(ids.spare.is_some());
        assert_eq!(ids.counts, [0; PAGES]);
        // A page taken again starts empty.
        let id = PacketId::new(5000).unwrap();
        assert!(ids.reserve(id));
        assert!(!ids.reserve(id));
        assert!(!ids.release(PacketId::new(5001).unwrap()));
        assert!(!ids.release(PacketId::new(60_000).unwrap()));
        assert!(ids.release(id));
    }
}
