//! The data representations of section 1.5: integers, variable byte integers, strings and binary
//! data, read from a frame without copying and written into any [`BufMut`].

use bytes::{BufMut, Bytes};

use crate::error::{DecodeError, EncodeError};
use crate::string::MqttString;
use crate::topic::TopicFilter;

/// The largest value of a variable byte integer.
pub(crate) const MAX_VARIABLE_BYTE_INTEGER: u32 = 268_435_455;

/// Decodes a variable byte integer from the start of `bytes`.
///
/// Returns the value and its length, `Ok(None)` when `bytes` ends inside it, and `Err(())` when it
/// runs over four bytes or is not minimal (\[MQTT-1.5.5-1\]).
#[inline]
pub(crate) fn decode_vbi(bytes: &[u8]) -> Result<Option<(u32, usize)>, ()> {
    let mut value: u32 = 0;
    for (i, &b) in bytes.iter().enumerate().take(4) {
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            // A final zero byte after the first is an over-long encoding.
            if i > 0 && b == 0 {
                return Err(());
            }
            return Ok(Some((value, i + 1)));
        }
    }
    if bytes.len() >= 4 { Err(()) } else { Ok(None) }
}

/// The number of bytes `value` takes as a variable byte integer.
#[inline]
pub(crate) const fn vbi_len(value: usize) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Writes `value`, at most [`MAX_VARIABLE_BYTE_INTEGER`], as a variable byte integer.
#[inline]
pub(crate) fn put_vbi(buf: &mut impl BufMut, value: usize) {
    let mut value = value;
    loop {
        let mut byte = (value % 128) as u8;
        value /= 128;
        if value > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if value == 0 {
            return;
        }
    }
}

/// Writes a two-byte length and `bytes`; the length was checked by validation.
#[inline]
pub(crate) fn put_binary(buf: &mut impl BufMut, bytes: &[u8]) {
    buf.put_u16(bytes.len() as u16);
    buf.put_slice(bytes);
}

/// Checks that binary data fits its two-byte length.
pub(crate) fn check_binary(field: &'static str, bytes: &[u8]) -> Result<(), EncodeError> {
    if bytes.len() > usize::from(u16::MAX) {
        return Err(EncodeError::FieldTooLong {
            field,
            len: bytes.len(),
        });
    }
    Ok(())
}

/// A cursor over the body of one frame. Everything it hands out is a slice of that frame.
///
/// Reading integers and skipping costs nothing; each field taken as [`Bytes`] costs one reference
/// count increment, so a decoder takes only the fields it keeps.
pub(crate) struct Reader<'a> {
    buf: &'a Bytes,
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf` from offset `start` on.
    #[inline]
    pub(crate) fn at(buf: &'a Bytes, start: usize) -> Self {
        Self {
            buf,
            pos: start,
            end: buf.len(),
        }
    }

    /// The offset of the next byte in the buffer.
    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..self.end).unwrap_or_default()
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    #[inline]
    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let array = self
            .rest()
            .first_chunk::<N>()
            .copied()
            .ok_or(DecodeError::UnexpectedEof)?;
        self.pos += N;
        Ok(array)
    }

    #[inline]
    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.take_array()?))
    }

    #[inline]
    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.take_array()?))
    }

    #[inline]
    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.take_array()?))
    }

    pub(crate) fn vbi(&mut self) -> Result<u32, DecodeError> {
        match decode_vbi(self.rest()) {
            Ok(Some((value, len))) => {
                self.pos += len;
                Ok(value)
            }
            Ok(None) => Err(DecodeError::UnexpectedEof),
            Err(()) => Err(DecodeError::MalformedVariableByteInteger),
        }
    }

    /// Skips `n` bytes, returning them as a borrowed slice.
    #[inline]
    pub(crate) fn skip(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let slice = self.rest().get(..n).ok_or(DecodeError::UnexpectedEof)?;
        self.pos += n;
        Ok(slice)
    }

    /// The next `n` bytes as a slice of the frame.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<Bytes, DecodeError> {
        let start = self.pos;
        self.skip(n)?;
        Ok(self.buf.slice(start..self.pos))
    }

    /// Binary data: a two-byte length and that many bytes.
    pub(crate) fn binary(&mut self) -> Result<Bytes, DecodeError> {
        let len = self.u16()?;
        self.bytes(usize::from(len))
    }

    pub(crate) fn string(&mut self) -> Result<MqttString, DecodeError> {
        Ok(MqttString::from_bytes(self.binary()?)?)
    }

    /// A topic filter, checked in place before its bytes are sliced from the frame.
    #[inline]
    pub(crate) fn topic_filter(&mut self) -> Result<TopicFilter, DecodeError> {
        let len = usize::from(self.u16()?);
        let start = self.pos;
        let filter_start = crate::topic::validate_filter(self.skip(len)?)?;
        Ok(TopicFilter::from_validated(
            self.buf.slice(start..self.pos),
            filter_start,
        ))
    }

    /// A reader over the next `n` bytes, which this reader skips.
    pub(crate) fn sub(&mut self, n: usize) -> Result<Self, DecodeError> {
        let start = self.pos;
        self.skip(n)?;
        Ok(Self {
            buf: self.buf,
            pos: start,
            end: self.pos,
        })
    }

    /// Fails when bytes are left over.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{decode_vbi, put_vbi, vbi_len};

    /// Section 1.5.5: every length boundary, written in as many bytes as `vbi_len` says and
    /// read back as the same value; the bytes of the table's examples.
    #[test]
    fn variable_byte_integers_at_every_boundary() {
        for (value, bytes) in [
            (0_usize, &[0x00][..]),
            (127, &[0x7F]),
            (128, &[0x80, 0x01]),
            (16_383, &[0xFF, 0x7F]),
            (16_384, &[0x80, 0x80, 0x01]),
            (2_097_151, &[0xFF, 0xFF, 0x7F]),
            (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
            (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
        ] {
            let mut buf = alloc::vec::Vec::new();
            put_vbi(&mut buf, value);
            assert_eq!((buf.len(), &buf[..]), (vbi_len(value), bytes), "{value}");
            assert_eq!(decode_vbi(bytes), Ok(Some((value as u32, bytes.len()))));
        }
    }
}
