//! Messages and events labelled with the connection they came on.

use core::ops::Deref;

/// A received message or a connection event, with the number of the connection it came on.
///
/// The client numbers its connections from 1, in the order it opens their transports (an
/// attempt the broker refused counts too); an event between two connections (`Reconnecting`,
/// `Stopped`) carries the number of the last one, and 0 before the first. Two messages with
/// different numbers came on different connections: a QoS 1 message seen on both was sent
/// again after a reconnect.
///
/// It dereferences to the message or event, and `into_inner` takes it out:
///
/// ```
/// use mqtt_driver::Numbered;
/// use mqtt_proto::{Publish, QosPid, TopicName};
/// use mqtt_sansio::ConnectionEvent;
///
/// let message = Numbered::new(3, Publish::new(TopicName::new("t").unwrap(), QosPid::AtMostOnce, "hi"));
/// assert_eq!(message.payload(), b"hi");
/// assert_eq!(message.connection, 3);
///
/// let event = Numbered::new(3, ConnectionEvent::Stopped);
/// match event {
///     Numbered { item: ConnectionEvent::Stopped, connection } => assert_eq!(connection, 3),
///     _ => unreachable!(),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Numbered<T> {
    /// The number of the connection, from 1.
    pub connection: u64,
    /// The message or event.
    pub item: T,
}

impl<T> Numbered<T> {
    /// `item`, which came on connection `connection`.
    #[must_use]
    pub const fn new(connection: u64, item: T) -> Self {
        Self { connection, item }
    }

    /// The message or event, without its number.
    #[must_use]
    pub fn into_inner(self) -> T {
        self.item
    }
}

impl<T> Deref for Numbered<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.item
    }
}
