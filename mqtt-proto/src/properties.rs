//! The property list of each packet (MQTT 5.0 section 3): which properties it may carry.

use alloc::boxed::Box;
use core::num::{NonZeroU16, NonZeroU32};
use core::ops::{Deref, DerefMut};

use bytes::Bytes;

use crate::property::{PayloadFormat, SubscriptionId, UserProperty, property_list};
use crate::qos::QoS;
use crate::string::MqttString;
use crate::topic::TopicName;

property_list! {
    /// CONNECT properties (section 3.1.2.11).
    pub struct ConnectProperties {
        /// Seconds the session outlives the connection; absent means 0.
        session_expiry_interval: u32 = SessionExpiryInterval,
        /// The most unacknowledged QoS 1 and 2 PUBLISH the client accepts; absent means 65,535.
        receive_maximum: NonZeroU16 = ReceiveMaximum,
        /// The largest packet the client accepts; absent means no limit.
        maximum_packet_size: NonZeroU32 = MaximumPacketSize,
        /// The highest topic alias the client accepts; absent means 0.
        topic_alias_maximum: u16 = TopicAliasMaximum,
        /// Whether the server may send Response Information in CONNACK.
        request_response_information: bool = RequestResponseInformation,
        /// Whether the server may send Reason Strings and User Properties on failures.
        request_problem_information: bool = RequestProblemInformation,
        /// The extended authentication method.
        authentication_method: MqttString = AuthenticationMethod,
        /// Authentication data of the method.
        authentication_data: Bytes = AuthenticationData,
    }
    repeated {
        /// User properties, in order.
        user_properties: UserProperty = UserProperty, max max_user_properties,
    }
}

property_list! {
    /// Will properties (section 3.1.3.2).
    pub struct WillProperties {
        /// Seconds the server waits before publishing the will.
        will_delay_interval: u32 = WillDelayInterval,
        /// Whether the will payload is UTF-8.
        payload_format_indicator: PayloadFormat = PayloadFormatIndicator,
        /// Lifetime of the will message in seconds.
        message_expiry_interval: u32 = MessageExpiryInterval,
        /// Content type of the will payload.
        content_type: MqttString = ContentType,
        /// Topic for a response to the will.
        response_topic: TopicName = ResponseTopic,
        /// Correlation data for a response.
        correlation_data: Bytes = CorrelationData,
    }
    repeated {
        /// User properties, in order.
        user_properties: UserProperty = UserProperty, max max_user_properties,
    }
}

property_list! {
    /// CONNACK properties (section 3.2.2.3).
    pub struct ConnAckProperties {
        /// The session expiry interval the server uses.
        session_expiry_interval: u32 = SessionExpiryInterval,
        /// The most unacknowledged QoS 1 and 2 PUBLISH the server accepts; absent means 65,535.
        receive_maximum: NonZeroU16 = ReceiveMaximum,
        /// The highest QoS the server supports, 0 or 1; absent means 2.
        maximum_qos: QoS = MaximumQoS,
        /// Whether the server supports retained messages; absent means yes.
        retain_available: bool = RetainAvailable,
        /// The largest packet the server accepts; absent means no limit.
        maximum_packet_size: NonZeroU32 = MaximumPacketSize,
        /// The client identifier the server assigned to an empty one.
        assigned_client_identifier: MqttString = AssignedClientIdentifier,
        /// The highest topic alias the server accepts; absent means 0.
        topic_alias_maximum: u16 = TopicAliasMaximum,
        /// A human-readable diagnostic.
        reason_string: MqttString = ReasonString,
        /// Whether the server supports wildcard subscriptions; absent means yes.
        wildcard_subscription_available: bool = WildcardSubscriptionAvailable,
        /// Whether the server supports subscription identifiers; absent means yes.
        subscription_identifiers_available: bool = SubscriptionIdentifierAvailable,
        /// Whether the server supports shared subscriptions; absent means yes.
        shared_subscription_available: bool = SharedSubscriptionAvailable,
        /// The keep alive the client must use instead of its own.
        server_keep_alive: u16 = ServerKeepAlive,
        /// The basis for creating a response topic.
        response_information: MqttString = ResponseInformation,
        /// Another server to use.
        server_reference: MqttString = ServerReference,
        /// The extended authentication method.
        authentication_method: MqttString = AuthenticationMethod,
        /// Authentication data of the method.
        authentication_data: Bytes = AuthenticationData,
    }
    repeated {
        /// User properties, in order.
        user_properties: UserProperty = UserProperty, max max_user_properties,
    }
}

property_list! {
    /// PUBLISH properties (section 3.3.2.3).
    pub struct PublishProperties {
        /// Whether the payload is UTF-8.
        payload_format_indicator: PayloadFormat = PayloadFormatIndicator,
        /// Lifetime of the message in seconds.
        message_expiry_interval: u32 = MessageExpiryInterval,
        /// A topic alias standing for the topic name.
        topic_alias: NonZeroU16 = TopicAlias,
        /// Topic for a response.
        response_topic: TopicName = ResponseTopic,
        /// Correlation data for a response.
        correlation_data: Bytes = CorrelationData,
        /// Content type of the payload.
        content_type: MqttString = ContentType,
    }
    repeated {
        /// User properties, in order.
        user_properties: UserProperty = UserProperty, max max_user_properties,
        /// The identifiers of the subscriptions that matched (server to client only).
        subscription_identifiers: SubscriptionId = SubscriptionIdentifier,
            max max_subscription_identifiers,
    }
}

property_list! {
    /// Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK.
    pub struct AckProperties {
        /// A human-readable diagnostic.
        reason_string: MqttString = ReasonString,
    }
    repeated {
        /// User properties, in order.
        user_properties: UserProperty = UserProperty, max max_user_properties,
    }
}

property_list! {
    /// SUBSCRIBE properties (section 3.8.2.1).
    pub struct SubscribeProperties {
        /// The identifier to tag matching messages with.
        subscription_identifier: SubscriptionId = SubscriptionIdentifier,
    }
    repeated {
        /// User properties, in order.
        user_properties: UserProperty = UserProperty, max max_user_properties,
    }
}

property_list! {
    /// UNSUBSCRIBE properties (section 3.10.2.1).
    pub struct UnsubscribeProperties {
    }
    repeated {
        /// User properties, in order.
        user_properties: UserProperty = UserProperty, max max_user_properties,
    }
}

property_list! {
    /// DISCONNECT properties (section 3.14.2.2).
    pub struct DisconnectProperties {
        /// A new session expiry interval (client to server only).
        session_expiry_interval: u32 = SessionExpiryInterval,
        /// A human-readable diagnostic.
        reason_string: MqttString = ReasonString,
        /// Another server to use.
        server_reference: MqttString = ServerReference,
    }
    repeated {
        /// User properties, in order.
        user_properties: UserProperty = UserProperty, max max_user_properties,
    }
}

property_list! {
    /// AUTH properties (section 3.15.2.2).
    pub struct AuthProperties {
        /// The extended authentication method.
        authentication_method: MqttString = AuthenticationMethod,
        /// Authentication data of the method.
        authentication_data: Bytes = AuthenticationData,
        /// A human-readable diagnostic.
        reason_string: MqttString = ReasonString,
    }
    repeated {
        /// User properties, in order.
        user_properties: UserProperty = UserProperty, max max_user_properties,
    }
}

/// A packet's property list (one of the `*Properties` structs).
pub trait PropertyList: private::Sealed + Default + 'static {
    /// The empty list, shared.
    #[doc(hidden)]
    fn empty() -> &'static Self;

    /// Whether no property is set.
    fn is_empty(&self) -> bool;
}

pub(crate) mod private {
    pub trait Sealed {}
}

/// A property list kept out of line: an empty list allocates nothing, and a packet stays small
/// whatever its list could hold.
///
/// It dereferences to the list, so fields read and write as if it were inline; the first write
/// allocates. Two boxes are equal when their lists are, allocated or not.
///
/// ```
/// use core::num::NonZeroU16;
/// use mqtt_proto::{PacketId, Publish, QosPid, TopicName};
///
/// let mut publish = Publish::new(TopicName::new("a").unwrap(), QosPid::AtMostOnce, "x");
/// assert!(publish.properties.is_empty());
/// assert_eq!(publish.properties.topic_alias, None);
/// publish.properties.topic_alias = NonZeroU16::new(3);
/// assert!(!publish.properties.is_empty());
/// ```
#[derive(Clone, Default)]
pub struct PropertyBox<T>(Option<Box<T>>);

impl<T: PropertyList> PropertyBox<T> {
    /// Boxes `list`; an empty list is not allocated.
    #[must_use]
    pub fn new(list: T) -> Self {
        if list.is_empty() {
            Self(None)
        } else {
            Self(Some(Box::new(list)))
        }
    }
}

impl<T: PropertyList> PropertyBox<T> {
    /// The list, unboxed.
    #[must_use]
    pub fn into_inner(self) -> T {
        self.0.map(|b| *b).unwrap_or_default()
    }
}

impl<T: PropertyList> Deref for PropertyBox<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or(T::empty())
    }
}

impl<T: PropertyList> DerefMut for PropertyBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

impl<T: PropertyList + PartialEq> PartialEq for PropertyBox<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: PropertyList + Eq> Eq for PropertyBox<T> {}

impl<T: PropertyList + core::fmt::Debug> core::fmt::Debug for PropertyBox<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: PropertyList> From<T> for PropertyBox<T> {
    fn from(list: T) -> Self {
        Self::new(list)
    }
}
