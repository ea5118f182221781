//! The file format of [`FileStore`](super::FileStore), version 1.
//!
//! ```text
//! file    = header frame*
//! header  = "MQTTSESS" (8 bytes) | format version (u16 LE) | 6 bytes reserved, zero
//! frame   = body length (u32 LE, ≥ 1) | low 32 bits of the XXH3-64 of those 4 bytes (u32 LE)
//!           | XXH3-64 of the body (u64 LE) | body
//! body    = change+                  (the changes of one commit)
//! change  = 1 | length (u32 LE) | PUBLISH   an accepted message (MQTT 5.0 encoding,
//!                                           mqtt_sansio::encode_message)
//!         | 2 | id (u16 LE)                 released
//!         | 3 | before (u16 LE) | after (u16 LE)   renumbered
//!         | 4 | id (u16 LE)                 done
//!         | 5 | id (u16 LE)                 inbound QoS 2 received
//!         | 6 | id (u16 LE)                 inbound QoS 2 done
//!         | 7                               inbound cleared
//! ```
//!
//! A frame is written with one write; a crash can cut only the last one short. Reading stops
//! at the first frame that is not whole and valid. It is the tail a crash cut short, dropped,
//! when its head is incomplete, when its (checked) length runs past the end of the file, when
//! it is the last frame of the file, or when only zeros follow (blocks a crash left
//! unwritten). Anything else is damage and reading fails: a length that fails its check, a
//! body that fails its checksum with more frames after it.

use bytes::{Buf, BufMut, BytesMut};
use mqtt_proto::PacketId;
use mqtt_sansio::{Durable, decode_message, encode_message};

/// The first bytes of every store file.
pub(super) const MAGIC: &[u8; 8] = b"MQTTSESS";
/// The format version this build writes and the newest it reads.
pub(super) const VERSION: u16 = 1;
/// The header's length.
pub(super) const HEADER: usize = 16;
/// A frame's length and checksums.
pub(super) const FRAME_HEAD: usize = 16;

const MESSAGE: u8 = 1;
const RELEASED: u8 = 2;
const RENUMBERED: u8 = 3;
const DONE: u8 = 4;
const INBOUND_RECEIVED: u8 = 5;
const INBOUND_DONE: u8 = 6;
const INBOUND_CLEARED: u8 = 7;

/// The header of a new file.
pub(super) fn header() -> [u8; HEADER] {
    let mut h = [0; HEADER];
    let (magic, rest) = h.split_at_mut(MAGIC.len());
    magic.copy_from_slice(MAGIC);
    let (version, _) = rest.split_at_mut(2);
    version.copy_from_slice(&VERSION.to_le_bytes());
    h
}

/// Appends `change` to a frame body.
pub(super) fn encode_change(change: &Durable, body: &mut BytesMut) {
    let id = |body: &mut BytesMut, kind: u8, id: PacketId| {
        body.put_u8(kind);
        body.put_u16_le(id.get());
    };
    match change {
        Durable::Message(publish) => {
            body.put_u8(MESSAGE);
            let at = body.len();
            body.put_u32_le(0);
            // The session accepted the message, so it encodes.
            let len = encode_message(publish, body).unwrap_or(0);
            let len = u32::try_from(len).unwrap_or(u32::MAX);
            if let Some(slot) = body.get_mut(at..at + 4) {
                slot.copy_from_slice(&len.to_le_bytes());
            }
        }
        Durable::Released(i) => id(body, RELEASED, *i),
        Durable::Renumbered { before, after } => {
            body.put_u8(RENUMBERED);
            body.put_u16_le(before.get());
            body.put_u16_le(after.get());
        }
        Durable::Done(i) => id(body, DONE, *i),
        Durable::InboundReceived(i) => id(body, INBOUND_RECEIVED, *i),
        Durable::InboundDone(i) => id(body, INBOUND_DONE, *i),
        Durable::InboundCleared | _ => body.put_u8(INBOUND_CLEARED),
    }
}

/// Closes a frame: its head before `body`.
pub(super) fn frame(body: &[u8], out: &mut Vec<u8>) {
    out.reserve(FRAME_HEAD + body.len());
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&len_check(len).to_le_bytes());
    out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(body).to_le_bytes());
    out.extend_from_slice(body);
}

/// Where reading a file's frames stopped.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// At the end of the file.
    End,
    /// At a frame cut short by a crash, at this offset: the file is valid up to it.
    Torn(usize),
}

/// Reads the frames after the header: each body to `each`. A frame whose checksum holds but
/// whose changes do not parse is damage too.
pub(super) fn read_frames(
    file: &[u8],
    mut each: impl FnMut(Durable),
) -> Result<Stop, (usize, String)> {
    let mut at = HEADER;
    loop {
        let Some(rest) = file.get(at..) else {
            return Ok(Stop::End);
        };
        if rest.is_empty() {
            return Ok(Stop::End);
        }
        match frame_at(rest) {
            Frame::Whole(body) => {
                parse_body(body, &mut each).map_err(|what| (at, what))?;
                at += FRAME_HEAD + body.len();
            }
            Frame::Torn => return Ok(Stop::Torn(at)),
            Frame::Bad(_) if rest.iter().all(|&b| b == 0) => return Ok(Stop::Torn(at)),
            Frame::Bad(what) => return Err((at, what.into())),
        }
    }
}

/// What the bytes at a frame's start hold.
enum Frame<'a> {
    /// A whole frame whose checks hold: its body.
    Whole(&'a [u8]),
    /// The last frame of the file, cut short.
    Torn,
    /// Damage.
    Bad(&'static str),
}

fn len_check(len: [u8; 4]) -> u32 {
    // The low half of the hash.
    (xxhash_rust::xxh3::xxh3_64(&len) & u64::from(u32::MAX)) as u32
}

fn frame_at(rest: &[u8]) -> Frame<'_> {
    let word = |range: core::ops::Range<usize>| rest.get(range).unwrap_or_default();
    if rest.len() < FRAME_HEAD {
        return Frame::Torn;
    }
    let mut len_bytes = [0; 4];
    len_bytes.copy_from_slice(word(0..4));
    let mut check = [0; 4];
    check.copy_from_slice(word(4..8));
    if len_check(len_bytes) != u32::from_le_bytes(check) {
        return Frame::Bad("a frame length that fails its check");
    }
    let len = u32::from_le_bytes(len_bytes) as usize;
    if len == 0 {
        return Frame::Bad("an empty frame");
    }
    let Some(body) = rest.get(FRAME_HEAD..FRAME_HEAD + len) else {
        // The write of the last frame was cut short.
        return Frame::Torn;
    };
    let mut sum = [0; 8];
    sum.copy_from_slice(word(8..FRAME_HEAD));
    if xxhash_rust::xxh3::xxh3_64(body) != u64::from_le_bytes(sum) {
        if FRAME_HEAD + len == rest.len() {
            // The last frame, its blocks written in part.
            return Frame::Torn;
        }
        return Frame::Bad("a frame whose checksum does not match its bytes");
    }
    Frame::Whole(body)
}

fn parse_body(mut body: &[u8], each: &mut impl FnMut(Durable)) -> Result<(), String> {
    let id = |body: &mut &[u8]| -> Result<PacketId, String> {
        if body.remaining() < 2 {
            return Err("a change cut short".into());
        }
        PacketId::new(body.get_u16_le()).ok_or_else(|| "packet identifier 0".to_string())
    };
    while body.has_remaining() {
        let change = match body.get_u8() {
            MESSAGE => {
                if body.remaining() < 4 {
                    return Err("a message cut short".into());
                }
                let len = body.get_u32_le() as usize;
                let bytes = body.get(..len).ok_or("a message cut short")?;
                let publish = decode_message(bytes).map_err(|e| format!("a message: {e}"))?;
                if publish.qos_pid.packet_id().is_none() {
                    return Err("a message at QoS 0".into());
                }
                body.advance(len);
                Durable::Message(publish)
            }
            RELEASED => Durable::Released(id(&mut body)?),
            RENUMBERED => Durable::Renumbered {
                before: id(&mut body)?,
                after: id(&mut body)?,
            },
            DONE => Durable::Done(id(&mut body)?),
            INBOUND_RECEIVED => Durable::InboundReceived(id(&mut body)?),
            INBOUND_DONE => Durable::InboundDone(id(&mut body)?),
            INBOUND_CLEARED => Durable::InboundCleared,
            other => return Err(format!("unknown change type {other}")),
        };
        each(change);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_proto::{Publish, QoS, QosPid, TopicName};

    fn pid(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    fn changes() -> Vec<Durable> {
        let mut publish = Publish::new(
            TopicName::new("a/b").unwrap(),
            QosPid::new(QoS::ExactlyOnce, pid(7)),
            vec![0_u8; 300],
        );
        publish.properties.message_expiry_interval = Some(30);
        vec![
            Durable::Message(publish),
            Durable::Released(pid(7)),
            Durable::Renumbered {
                before: pid(7),
                after: pid(9),
            },
            Durable::Done(pid(9)),
            Durable::InboundReceived(pid(3)),
            Durable::InboundDone(pid(3)),
            Durable::InboundCleared,
        ]
    }

    fn file(frames: &[&[Durable]]) -> Vec<u8> {
        let mut out = header().to_vec();
        for changes in frames {
            let mut body = BytesMut::new();
            for c in *changes {
                encode_change(c, &mut body);
            }
            frame(&body, &mut out);
        }
        out
    }

    fn read(file: &[u8]) -> Result<(Vec<Durable>, Stop), (usize, String)> {
        let mut got = Vec::new();
        let stop = read_frames(file, |c| got.push(c))?;
        Ok((got, stop))
    }

    #[test]
    fn every_change_reads_back() {
        let all = changes();
        let bytes = file(&[&all[..3], &all[3..]]);
        assert_eq!(read(&bytes), Ok((all, Stop::End)));
    }

    #[test]
    fn a_frame_cut_anywhere_is_a_torn_tail() {
        let all = changes();
        let whole = file(&[&all[..2], &all[2..]]);
        let first_end = file(&[&all[..2]]).len();
        for cut in first_end..whole.len() {
            let (got, stop) = read(&whole[..cut]).unwrap();
            assert_eq!(got, all[..2], "cut at {cut}");
            let expected = if cut == first_end {
                Stop::End
            } else {
                Stop::Torn(first_end)
            };
            assert_eq!(stop, expected, "cut at {cut}");
        }
        // Unwritten blocks after a crash read as zeros.
        let mut zeros = file(&[&all[..2]]);
        zeros.extend_from_slice(&[0; 4096]);
        assert_eq!(read(&zeros).unwrap().1, Stop::Torn(first_end));
    }

    #[test]
    fn a_changed_byte_before_the_last_frame_is_damage() {
        let all = changes();
        let whole = file(&[&all[..2], &all[2..]]);
        for at in HEADER..file(&[&all[..2]]).len() {
            for flip in [0x01, 0x40, 0xff] {
                let mut bad = whole.clone();
                bad[at] ^= flip;
                let outcome = read(&bad).map(|(got, _)| got.len());
                assert!(
                    matches!(outcome, Err((HEADER, _))),
                    "byte {at} ^ {flip:#x}: {outcome:?}"
                );
            }
        }
    }

    #[test]
    fn a_valid_frame_with_an_unknown_change_is_damage() {
        let mut out = header().to_vec();
        frame(&[42], &mut out);
        assert_eq!(
            read(&out),
            Err((HEADER, "unknown change type 42".to_string()))
        );
    }
}
