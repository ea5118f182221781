//! Bytes to write as a queue of buffers, so that large payloads go out without being copied.

use alloc::collections::VecDeque;

use bytes::{Buf, Bytes};

/// Bytes to write, in order, as a queue of buffers: packets encoded together in one buffer, and
/// each large payload as the buffer the application gave (shared, not copied).
///
/// [`Client::poll_transmit_chunks`](crate::Client::poll_transmit_chunks) fills it. It is a
/// [`Buf`]: a driver hands it to a vectored write (`chunks_vectored`, or tokio's `write_buf`)
/// and [`advance`](Buf::advance)s it by what was written.
///
/// ```
/// use bytes::{Buf, Bytes};
/// use mqtt_sansio::Chunks;
///
/// let mut chunks = Chunks::new();
/// chunks.push(Bytes::from_static(b"head"));
/// chunks.push(Bytes::from_static(b"payload"));
/// assert_eq!(chunks.remaining(), 11);
/// chunks.advance(6);
/// assert_eq!(chunks.chunk(), b"yload");
/// assert_eq!(chunks.copy_to_bytes(5), "yload");
/// assert!(chunks.is_empty());
/// ```
#[derive(Debug, Default, Clone)]
pub struct Chunks {
    queue: VecDeque<Bytes>,
    len: usize,
}

impl Chunks {
    /// An empty queue.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            queue: VecDeque::new(),
            len: 0,
        }
    }

    /// How many bytes are left to write.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether every byte is written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `bytes` (nothing when it is empty).
    pub fn push(&mut self, bytes: Bytes) {
        if !bytes.is_empty() {
            self.len += bytes.len();
            self.queue.push_back(bytes);
        }
    }

    /// Adds `bytes` before the others (nothing if it is empty).
    pub(crate) fn push_front(&mut self, bytes: Bytes) {
        if !bytes.is_empty() {
            self.len += bytes.len();
            self.queue.push_front(bytes);
        }
    }

    /// Moves every buffer of `other` to the end of this queue, leaving `other` empty.
    pub fn append(&mut self, other: &mut Self) {
        self.len += core::mem::take(&mut other.len);
        self.queue.append(&mut other.queue);
    }

    /// Drops every byte left.
    pub fn clear(&mut self) {
        self.queue.clear();
        self.len = 0;
    }

    /// The buffers left, the first one advanced past what was written.
    pub fn iter(&self) -> impl Iterator<Item = &Bytes> {
        self.queue.iter()
    }

    /// As [`Buf::chunks_vectored`], for one write of about `max` bytes: whole buffers, while
    /// the bytes before the next one are fewer than `max` (the last may take the write past
    /// it; the first is always there). Returns how many slots of `dst` it filled.
    ///
    /// [`Client::poll_transmit_chunks`](crate::Client::poll_transmit_chunks) hands packets
    /// encoded together in buffers of at most [`Chunks::PIECE`] bytes, and a large payload as
    /// a buffer of its own: writes of about `PIECE` bytes of small packets, or a large message
    /// in one write.
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// use bytes::Bytes;
    /// use mqtt_sansio::Chunks;
    ///
    /// let mut chunks = Chunks::new();
    /// chunks.push(Bytes::from_static(b"head"));
    /// chunks.push(Bytes::from_static(b"payload"));
    /// chunks.push(Bytes::from_static(b"next"));
    /// let mut slices = [IoSlice::new(&[]); 4];
    /// assert_eq!(chunks.chunks_vectored_up_to(&mut slices, 6), 2);
    /// assert_eq!(&slices[1][..], b"payload");
    /// ```
    #[cfg(feature = "std")]
    pub fn chunks_vectored_up_to<'a>(
        &'a self,
        dst: &mut [std::io::IoSlice<'a>],
        max: usize,
    ) -> usize {
        let mut filled = 0;
        let mut total = 0;
        for (slot, bytes) in dst.iter_mut().zip(&self.queue) {
            if filled > 0 && total >= max {
                break;
            }
            *slot = std::io::IoSlice::new(bytes);
            total += bytes.len();
            filled += 1;
        }
        filled
    }

    /// The most bytes of packets encoded together in one buffer of the queue.
    pub const PIECE: usize = 16 * 1024;

    /// Appends `bytes`, packets encoded together, in buffers of at most [`PIECE`](Self::PIECE)
    /// bytes (slices of `bytes`, not copies).
    pub(crate) fn push_encoded(&mut self, mut bytes: Bytes) {
        while bytes.len() > Self::PIECE {
            self.push(bytes.split_to(Self::PIECE));
        }
        self.push(bytes);
    }
}

impl Buf for Chunks {
    fn remaining(&self) -> usize {
        self.len
    }

    fn chunk(&self) -> &[u8] {
        self.queue.front().map_or(&[], |front| front)
    }

    fn advance(&mut self, mut cnt: usize) {
        assert!(cnt <= self.len, "advanced past the end of the chunks");
        self.len -= cnt;
        while cnt > 0 {
            let Some(front) = self.queue.front_mut() else {
                break;
            };
            if cnt < front.len() {
                front.advance(cnt);
                break;
            }
            cnt -= front.len();
            self.queue.pop_front();
        }
    }

    #[cfg(feature = "std")]
    fn chunks_vectored<'a>(&'a self, dst: &mut [std::io::IoSlice<'a>]) -> usize {
        self.chunks_vectored_up_to(dst, usize::MAX)
    }

    fn copy_to_bytes(&mut self, len: usize) -> Bytes {
        match self.queue.front() {
            // The whole request in the first buffer: a shared slice of it, not a copy.
            Some(front) if front.len() >= len => {
                let bytes = front.slice(..len);
                self.advance(len);
                bytes
            }
            _ => {
                assert!(len <= self.len, "copied past the end of the chunks");
                let mut out = bytes::BytesMut::with_capacity(len);
                while out.len() < len {
                    let n = self.chunk().len().min(len - out.len());
                    out.extend_from_slice(self.chunk().get(..n).unwrap_or_default());
                    self.advance(n);
                }
                out.freeze()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> Chunks {
        let mut chunks = Chunks::new();
        for part in parts {
            chunks.push(Bytes::from_static(part));
        }
        chunks
    }

    #[test]
    fn advancing_crosses_buffers_and_keeps_the_count() {
        let mut c = chunks(&[b"ab", b"", b"cde", b"f"]);
        assert_eq!(c.iter().count(), 3, "empty buffers are not queued");
        assert_eq!(c.len(), 6);
        c.advance(3);
        assert_eq!(c.chunk(), b"de");
        assert_eq!(c.len(), 3);
        c.advance(2);
        assert_eq!(c.chunk(), b"f");
        c.advance(1);
        assert!(c.is_empty());
        assert_eq!(c.chunk(), b"");
    }

    #[test]
    #[cfg(feature = "std")]
    fn vectored_chunks_up_to_a_size_take_whole_buffers() {
        let c = chunks(&[b"ab", b"cde", b"f"]);
        let mut slices = [std::io::IoSlice::new(&[]); 8];
        for (max, expected) in [(0, 1), (1, 1), (2, 1), (3, 2), (5, 2), (6, 3), (100, 3)] {
            let n = c.chunks_vectored_up_to(&mut slices, max);
            assert_eq!(n, expected, "up to {max}");
            let all: Vec<&[u8]> = [&b"ab"[..], b"cde", b"f"].into_iter().take(n).collect();
            let got: Vec<&[u8]> = slices.iter().take(n).map(|s| &s[..]).collect();
            assert_eq!(got, all, "up to {max}");
        }
        let mut two = [std::io::IoSlice::new(&[]); 2];
        assert_eq!(
            c.chunks_vectored_up_to(&mut two, 100),
            2,
            "no more than the slots"
        );
    }

    #[test]
    fn encoded_bytes_go_in_pieces_of_at_most_piece() {
        let mut c = Chunks::new();
        let bytes = Bytes::from(
            (0..=255u8)
                .cycle()
                .take(2 * Chunks::PIECE + 5)
                .collect::<Vec<_>>(),
        );
        c.push_encoded(bytes.clone());
        let lens: Vec<usize> = c.iter().map(Bytes::len).collect();
        assert_eq!(lens, [Chunks::PIECE, Chunks::PIECE, 5]);
        let joined: Vec<u8> = c.iter().flat_map(|b| b.iter().copied()).collect();
        assert_eq!(joined, bytes);
        c.push_encoded(Bytes::new());
        assert_eq!(c.len(), bytes.len(), "nothing for no bytes");
    }

    #[test]
    #[cfg(feature = "std")]
    fn vectored_chunks_list_every_buffer_in_order() {
        let c = chunks(&[b"ab", b"cde", b"f"]);
        let mut slices = [std::io::IoSlice::new(&[]); 2];
        assert_eq!(c.chunks_vectored(&mut slices), 2);
        assert_eq!(&*slices[0], b"ab");
        assert_eq!(&*slices[1], b"cde");
    }

    #[test]
    fn copying_across_buffers_gives_the_bytes_in_order() {
        let mut c = chunks(&[b"ab", b"cde"]);
        assert_eq!(c.copy_to_bytes(4), "abcd");
        assert_eq!(c.len(), 1);
        let mut other = chunks(&[b"xy"]);
        c.append(&mut other);
        assert!(other.is_empty());
        assert_eq!(c.copy_to_bytes(3), "exy");
    }

    #[test]
    #[should_panic(expected = "advanced past the end")]
    fn advancing_too_far_panics_as_buf_requires() {
        chunks(&[b"ab"]).advance(3);
    }
}
