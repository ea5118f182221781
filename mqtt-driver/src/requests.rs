//! Request/response (MQTT 5.0 section 4.10): the requests waiting for their responses, the
//! response topic they share, and the correlation data that tells the responses apart.

use std::time::Duration;

use bytes::Bytes;
use mqtt_proto::{MqttString, Publish, TopicName};
use mqtt_sansio::Instant;

use crate::session::Reply;
use crate::{Error, Numbered};

/// One request waiting for its response.
struct Waiting {
    correlation: Bytes,
    deadline: Instant,
    timeout: Duration,
    reply: Reply<Numbered<Publish>>,
}

/// The requests of one client.
#[derive(Default)]
pub(crate) struct Requests {
    /// The topic every response comes on, once the first request decided it.
    topic: Option<TopicName>,
    /// Makes correlation data unique to this client: the time it started, in nanoseconds.
    prefix: u64,
    next: u64,
    waiting: Vec<Waiting>,
}

impl Requests {
    pub(crate) fn new() -> Self {
        let prefix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Self {
            prefix,
            ..Self::default()
        }
    }

    /// The response topic, and whether it is new (to be subscribed to): under the broker's
    /// Response Information when it offered one, under `replies/` and the client identifier
    /// otherwise.
    pub(crate) fn topic(
        &mut self,
        response_information: Option<&MqttString>,
        client_id: &str,
    ) -> Result<(TopicName, bool), Error> {
        if let Some(topic) = &self.topic {
            return Ok((topic.clone(), false));
        }
        let name = match response_information {
            Some(base) if base.as_str().ends_with('/') => format!("{base}replies"),
            Some(base) => format!("{base}/replies"),
            // A client identifier may hold characters a topic may not.
            None => {
                let id: String = client_id
                    .chars()
                    .map(|c| if matches!(c, '+' | '#' | '/') { '_' } else { c })
                    .collect();
                format!("replies/{id}/{:x}", self.prefix)
            }
        };
        let topic = TopicName::new(name)?;
        self.topic = Some(topic.clone());
        Ok((topic, true))
    }

    /// New correlation data.
    pub(crate) fn correlation(&mut self) -> Bytes {
        self.next += 1;
        let mut data = Vec::with_capacity(16);
        data.extend_from_slice(&self.prefix.to_be_bytes());
        data.extend_from_slice(&self.next.to_be_bytes());
        Bytes::from(data)
    }

    /// A request went out: its response goes to `reply`, unless `timeout` passes first.
    pub(crate) fn wait(
        &mut self,
        correlation: Bytes,
        now: Instant,
        timeout: Duration,
        reply: Reply<Numbered<Publish>>,
    ) {
        self.waiting.push(Waiting {
            correlation,
            deadline: now + timeout,
            timeout,
            reply,
        });
    }

    /// A received message: taken when it is the response to a request waiting for it;
    /// given back otherwise. A message on the response topic for no waiting request (it came
    /// after its request timed out) is taken and dropped, and said so.
    pub(crate) fn take(&mut self, message: Numbered<Publish>) -> Option<Numbered<Publish>> {
        let Some(topic) = &self.topic else {
            return Some(message);
        };
        if message.topic_bytes() != topic.as_bytes() {
            return Some(message);
        }
        let correlation = message.properties.correlation_data.clone();
        let found = correlation.and_then(|c| self.waiting.iter().position(|w| w.correlation == c));
        match found {
            Some(index) => {
                let waiting = self.waiting.swap_remove(index);
                let _ = waiting.reply.send(Ok(message));
            }
            None => crate::trace::late_response(&message),
        }
        None
    }

    /// The request with `correlation` data could not be sent: its caller learns why.
    pub(crate) fn fail(&mut self, correlation: &Bytes, error: Error) {
        if let Some(index) = self
            .waiting
            .iter()
            .position(|w| w.correlation == correlation)
        {
            let _ = self.waiting.swap_remove(index).reply.send(Err(error));
        }
    }

    /// The response topic could not be subscribed to: every waiting request fails, and the
    /// next request tries again.
    pub(crate) fn unsubscribed(&mut self, error: &Error) {
        self.topic = None;
        for waiting in self.waiting.drain(..) {
            let _ = waiting
                .reply
                .send(Err(Error::ResponseTopic(error.to_string())));
        }
    }

    /// The earliest deadline of the waiting requests.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.waiting.iter().map(|w| w.deadline).min()
    }

    /// Fails the requests whose deadline has passed.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        let mut index = 0;
        while index < self.waiting.len() {
            if self.waiting.get(index).is_some_and(|w| w.deadline <= now) {
                let waiting = self.waiting.swap_remove(index);
                let _ = waiting
                    .reply
                    .send(Err(Error::RequestTimeout(waiting.timeout)));
            } else {
                index += 1;
            }
        }
    }

    /// The client stops: every waiting request ends with `Closed`.
    pub(crate) fn close(&mut self) {
        for waiting in self.waiting.drain(..) {
            let _ = waiting.reply.send(Err(Error::Closed));
        }
    }
}
