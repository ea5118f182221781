//! The connection's read buffer, sized by the traffic: it starts small, doubles while reads
//! fill it, halves once reads leave most of it unused, and gives its memory back when it is
//! empty and larger than the traffic needs. Thousands of idle or quiet connections then hold a
//! few KiB each; a busy one reads up to [`MAX`] at a time.

use bytes::BytesMut;

/// The room a read starts with, and the least it keeps.
pub(crate) const MIN: usize = 8 * 1024;

/// The least room a read is given: less, and the buffer is reclaimed or replaced.
const MIN_ROOM: usize = 1024;

/// The most room a read of small packets gets: hundreds of them per read.
pub(crate) const MAX: usize = 64 * 1024;

/// The room taken for the rest of a packet larger than the current size: several such packets
/// per read, and one allocation shared by their payloads.
const LARGE: usize = 256 * 1024;

/// How many reads in a row must use under a quarter of their room before the size halves: the
/// traffic has slowed for a while, not for a moment.
const SMALL_READS: u8 = 32;

/// The read buffer and its size.
#[derive(Debug)]
pub(crate) struct ReadBuffer {
    buf: BytesMut,
    /// The room reads of small packets get.
    size: usize,
    /// The capacity of the last allocation made here.
    allocated: usize,
    /// Reads in a row that used under a quarter of their room.
    small: u8,
    /// The traffic slowed since the last allocation: one larger than it needs may go.
    quiet: bool,
    /// The room the last read was offered (0: the rest of a large packet, which says nothing
    /// about the traffic).
    offered: usize,
}

impl ReadBuffer {
    pub(crate) fn new() -> Self {
        Self {
            buf: BytesMut::new(),
            size: MIN,
            allocated: 0,
            small: 0,
            quiet: false,
            offered: 0,
        }
    }

    /// The bytes read and not yet taken.
    pub(crate) fn bytes(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// The room reads of small packets get now.
    #[cfg(test)]
    pub(crate) const fn size(&self) -> usize {
        self.size
    }

    /// Makes room for the next read and returns the buffer to read into. `rest` is what the
    /// packet at the front still lacks (0 when none is partial).
    pub(crate) fn prepare(&mut self, rest: usize) -> &mut BytesMut {
        let packet = self.buf.len() + rest;
        if rest > self.buf.capacity() - self.buf.len() {
            // The rest of the packet at the front gets room for all of it, and for the packets
            // after it in the same read: a large packet takes a large allocation, shared by the
            // payloads of several (the session has checked the size against its limit already;
            // the cap is for the memory taken before the bytes arrive).
            let want = rest.min(LARGE * 16);
            let room = if packet > MAX / 4 {
                want.max(LARGE)
            } else {
                want + self.size
            };
            // Reclaims the buffer's memory when the messages taken from it are gone; otherwise
            // takes new memory, which those messages' payloads keep.
            self.buf.reserve(room);
            self.allocated = self.buf.capacity();
            self.quiet = false;
        }
        if rest > self.size {
            // A large packet says nothing about the pace of the traffic.
            self.offered = 0;
            return &mut self.buf;
        }
        if self.buf.is_empty() && self.quiet && self.allocated >= 2 * self.size {
            // Larger than the traffic needs now: the memory goes back (once the payloads taken
            // from it are gone).
            self.renew(self.size);
        } else if self.buf.capacity() - self.buf.len() < MIN_ROOM
            && !self.buf.try_reclaim(self.size)
        {
            self.renew(self.size.max(self.buf.len() + MIN_ROOM));
        }
        self.offered = self.buf.capacity() - self.buf.len();
        &mut self.buf
    }

    /// A new allocation of `capacity`, holding the partial packet the old one had.
    fn renew(&mut self, capacity: usize) {
        let mut fresh = BytesMut::with_capacity(capacity);
        fresh.extend_from_slice(&self.buf);
        self.buf = fresh;
        self.allocated = self.buf.capacity();
        self.quiet = false;
    }

    /// Adapts the size to a read of `n` bytes into the room [`prepare`](Self::prepare) made.
    pub(crate) fn record(&mut self, n: usize) {
        if self.offered == 0 {
            return;
        }
        if n >= self.offered && self.offered >= self.size / 2 {
            // The read filled its room: more was waiting, most likely.
            self.size = (self.size * 2).min(MAX);
            self.small = 0;
        } else if n < self.offered / 4 {
            self.small += 1;
            if self.small >= SMALL_READS {
                self.size = (self.size / 2).max(MIN);
                self.small = 0;
                self.quiet = true;
            }
        } else {
            self.small = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `n` bytes into the buffer as a transport would, then takes them all.
    fn read(buffer: &mut ReadBuffer, n: usize) -> usize {
        let buf = buffer.prepare(0);
        let room = buf.capacity() - buf.len();
        let n = n.min(room);
        buf.extend_from_slice(&vec![0; n]);
        buffer.record(n);
        let _ = buffer.bytes().split();
        n
    }

    #[test]
    fn starts_small() {
        let mut buffer = ReadBuffer::new();
        assert_eq!(buffer.bytes().capacity(), 0);
        let buf = buffer.prepare(0);
        assert!(buf.capacity() >= MIN && buf.capacity() < 2 * MIN);
        assert_eq!(buffer.size(), MIN);
    }

    #[test]
    fn doubles_while_reads_fill_it_up_to_the_most() {
        let mut buffer = ReadBuffer::new();
        let mut sizes = Vec::new();
        for _ in 0..8 {
            read(&mut buffer, usize::MAX);
            sizes.push(buffer.size());
        }
        assert_eq!(
            sizes,
            [
                16_384, 32_768, 65_536, 65_536, 65_536, 65_536, 65_536, 65_536
            ]
        );
        // Reads are offered the room the size says.
        assert!(buffer.prepare(0).capacity() >= MAX / 2);
    }

    #[test]
    fn halves_after_reads_that_use_little_of_it_and_gives_the_memory_back() {
        let mut buffer = ReadBuffer::new();
        while buffer.size() < MAX {
            read(&mut buffer, usize::MAX);
        }
        read(&mut buffer, usize::MAX);
        assert!(buffer.prepare(0).capacity() >= MAX / 2);
        // Small reads change nothing until there have been `SMALL_READS` in a row.
        for _ in 1..SMALL_READS {
            read(&mut buffer, 10);
            assert_eq!(buffer.size(), MAX);
        }
        read(&mut buffer, 10);
        assert_eq!(buffer.size(), MAX / 2);
        // A read between the small ones starts the count again.
        for _ in 1..SMALL_READS {
            read(&mut buffer, 10);
        }
        read(&mut buffer, MAX / 4);
        for _ in 1..SMALL_READS {
            read(&mut buffer, 10);
        }
        assert_eq!(buffer.size(), MAX / 2);
        // Quiet for long enough, the buffer ends at the least, in an allocation of that size.
        for _ in 0..10 * usize::from(SMALL_READS) {
            read(&mut buffer, 10);
        }
        assert_eq!(buffer.size(), MIN);
        let capacity = buffer.prepare(0).capacity();
        assert!(capacity < 2 * MIN, "{capacity}");
    }

    #[test]
    fn the_rest_of_a_large_packet_says_nothing_about_the_traffic() {
        let mut buffer = ReadBuffer::new();
        for _ in 0..2 * SMALL_READS {
            let buf = buffer.prepare(100_000);
            buf.extend_from_slice(&[0; 10]);
            buffer.record(10);
            let _ = buffer.bytes().split();
        }
        assert_eq!(buffer.size(), MIN);
        // Nor does the room shrink between large packets.
        let before = buffer.prepare(0).capacity();
        assert!(before >= LARGE / 2, "{before}");
        // Nor while the packet is partial.
        assert!(buffer.prepare(100_000).capacity() >= LARGE - 20 * usize::from(SMALL_READS));
    }

    #[test]
    fn a_partial_packet_survives_a_new_allocation() {
        let mut buffer = ReadBuffer::new();
        let buf = buffer.prepare(0);
        let room = buf.capacity();
        buf.extend_from_slice(&vec![7; room - 10]);
        buffer.record(room - 10);
        // Everything but the last 10 bytes is taken, and a message keeps the memory.
        let taken = buffer.bytes().split_to(room - 20).freeze();
        let buf = buffer.prepare(0);
        assert_eq!(&buf[..], &[7; 10][..]);
        assert!(buf.capacity() - buf.len() >= MIN_ROOM);
        drop(taken);
    }

    #[test]
    fn the_rest_of_a_large_packet_gets_room_for_all_of_it() {
        let mut buffer = ReadBuffer::new();
        let buf = buffer.prepare(100_000);
        assert!(buf.capacity() >= LARGE);
        let buf = buffer.prepare(LARGE * 20);
        assert!(buf.capacity() >= LARGE * 16);
    }
}
