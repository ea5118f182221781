//! The outgoing bytes handed to the driver: copied into its buffer or as shared chunks.

use bytes::{Bytes, BytesMut};

use super::{Client, Phase};
use crate::chunks::Chunks;
use crate::journal::Entry;
use crate::time::Instant;

impl Client {
    /// Moves the bytes waiting to be sent into `buf`; `true` if there were any.
    ///
    /// Many small packets come out together, so one write carries them all. When `buf` is
    /// empty the bytes are not copied: the two buffers trade places (large payloads are copied
    /// in; [`poll_transmit_chunks`](Self::poll_transmit_chunks) hands them over as they are).
    /// Messages waiting for the output to shrink (64 KiB at a time) are encoded first, so
    /// calling this again after the bytes are written takes the next ones; calling it in a loop
    /// takes everything.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut BytesMut) -> bool {
        if !self.begin_transmit() {
            self.journal.keep(|| Entry::Transmit(now, Bytes::new()));
            return false;
        }
        let start = buf.len();
        if buf.is_empty() && self.chunks.is_empty() {
            core::mem::swap(buf, &mut self.out);
        } else {
            buf.reserve(self.transmit_len());
            for chunk in self.chunks.iter() {
                buf.extend_from_slice(chunk);
            }
            buf.extend_from_slice(&self.out);
        }
        self.clear_transmit();
        self.end_transmit(now);
        self.journal.keep(|| {
            Entry::Transmit(
                now,
                Bytes::copy_from_slice(buf.get(start..).unwrap_or_default()),
            )
        });
        true
    }

    /// Moves the bytes waiting to be sent to the end of `chunks`; `true` if there were any.
    ///
    /// As [`poll_transmit`](Self::poll_transmit), with nothing copied: packets encoded together
    /// come in buffers of at most [`Chunks::PIECE`] bytes (16 KiB), and the payload of a large
    /// message (4 KiB or more) as the buffer the application gave, for a vectored write to send
    /// from where it is.
    ///
    /// ```
    /// use bytes::{Buf, Bytes};
    /// use mqtt_proto::{MqttString, QoS, TopicName};
    /// use mqtt_sansio::{Chunks, Client, Config, Instant, Message};
    ///
    /// let mut client = Client::new(Config::new(MqttString::new("sensor-1").unwrap()));
    /// let now = Instant::ZERO;
    /// client.handle_transport_open(now);
    /// let mut chunks = Chunks::new();
    /// assert!(client.poll_transmit_chunks(now, &mut chunks)); // CONNECT
    /// chunks.clear();
    /// client.handle_read(now, b"\x20\x02\x00\x00"); // CONNACK
    ///
    /// let payload = Bytes::from(vec![7; 64 * 1024]);
    /// let topic = TopicName::new("big").unwrap();
    /// client.publish(Message::new(topic, QoS::AtMostOnce, payload.clone())).unwrap();
    /// assert!(client.poll_transmit_chunks(now, &mut chunks));
    /// let parts: Vec<&Bytes> = chunks.iter().collect();
    /// assert_eq!(parts[0][..], b"\x30\x85\x80\x04\x00\x03big"[..]);
    /// assert_eq!(parts[1].as_ptr(), payload.as_ptr(), "the payload is not copied");
    /// ```
    #[must_use]
    pub fn poll_transmit_chunks(&mut self, now: Instant, chunks: &mut Chunks) -> bool {
        if !self.begin_transmit() {
            self.journal.keep(|| Entry::Transmit(now, Bytes::new()));
            return false;
        }
        if self.journal.is_on() {
            let mut handed = BytesMut::with_capacity(self.transmit_len());
            for chunk in self.chunks.iter() {
                handed.extend_from_slice(chunk);
            }
            handed.extend_from_slice(&self.out);
            self.journal.keep(|| Entry::Transmit(now, handed.freeze()));
        }
        chunks.append(&mut self.chunks);
        chunks.push_encoded(self.out.split().freeze());
        self.end_transmit(now);
        true
    }

    /// Encodes the messages the output has room for; whether there is anything to transmit.
    pub(super) fn begin_transmit(&mut self) -> bool {
        self.send_pending();
        if self.transmit_len() == 0 {
            if self.phase == Phase::Closing {
                self.phase = Phase::Closed;
            }
            return false;
        }
        true
    }

    pub(super) fn end_transmit(&mut self, now: Instant) {
        self.clock = now;
        self.last_sent = now;
        self.write_progress = now;
        self.meter.handed();
        for probe in &mut self.meter.probes {
            probe.handed(now);
        }
        if self.ping_queued.take().is_some() {
            self.ping_deadline = Some(now + self.ping_timeout());
            self.meter.ping_sent = Some(now);
        }
        if let Some(&last) = self.qos0_unhanded.last() {
            self.qos0_transmitted = last;
        }
        self.qos0_unhanded.clear();
        if self.phase == Phase::Closing {
            self.phase = Phase::Closed;
        }
    }

    pub(super) fn clear_transmit(&mut self) {
        self.chunks.clear();
        self.out.clear();
    }

    /// Drops the bytes not handed over: their connection is gone, they were never sent.
    pub(super) fn discard_transmit(&mut self) {
        self.clear_transmit();
        self.meter.staged.discard();
        // Sent again, and timed then, on the connection that resumes the session.
        for probe in &mut self.meter.probes {
            probe.clear();
        }
    }
}
