//! JSON for the probe's wire: hex strings for binary data, and MQTT 5.0 property lists keyed by
//! the specification's names in snake case.

use core::num::{NonZeroU16, NonZeroU32};

use bytes::Bytes;
use mqtt_proto::{
    AckProperties, AuthProperties, ConnAckProperties, ConnectProperties, DisconnectProperties,
    MqttString, PayloadFormat, PublishProperties, QoS, SubscribeProperties, SubscriptionId,
    TopicName, UnsubscribeProperties, UserProperty, WillProperties,
};
use serde_json::{Map, Value, json};

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The bytes of a hex string (either case, even length).
pub(crate) fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if text.len() % 2 != 0 {
        return Err(format!("hex {text:?} has an odd number of digits"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("{text:?} is not hex"))
        })
        .collect()
}

/// A property value as JSON.
pub(crate) trait JsonValue: Sized {
    fn from_json(value: &Value) -> Result<Self, String>;
    fn to_json(&self) -> Value;
}

fn number(value: &Value, max: u64) -> Result<u64, String> {
    value
        .as_u64()
        .filter(|n| *n <= max)
        .ok_or_else(|| format!("{value} is not a number from 0 to {max}"))
}

impl JsonValue for u32 {
    fn from_json(value: &Value) -> Result<Self, String> {
        number(value, u64::from(u32::MAX)).map(|n| n as u32)
    }
    fn to_json(&self) -> Value {
        json!(self)
    }
}

impl JsonValue for u16 {
    fn from_json(value: &Value) -> Result<Self, String> {
        number(value, u64::from(u16::MAX)).map(|n| n as u16)
    }
    fn to_json(&self) -> Value {
        json!(self)
    }
}

impl JsonValue for NonZeroU16 {
    fn from_json(value: &Value) -> Result<Self, String> {
        NonZeroU16::new(u16::from_json(value)?).ok_or_else(|| "0 is not allowed".to_owned())
    }
    fn to_json(&self) -> Value {
        json!(self.get())
    }
}

impl JsonValue for NonZeroU32 {
    fn from_json(value: &Value) -> Result<Self, String> {
        NonZeroU32::new(u32::from_json(value)?).ok_or_else(|| "0 is not allowed".to_owned())
    }
    fn to_json(&self) -> Value {
        json!(self.get())
    }
}

impl JsonValue for bool {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
            Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
            other => Err(format!("{other} is not a boolean")),
        }
    }
    fn to_json(&self) -> Value {
        json!(self)
    }
}

impl JsonValue for MqttString {
    fn from_json(value: &Value) -> Result<Self, String> {
        let text = value
            .as_str()
            .ok_or_else(|| format!("{value} is not a string"))?;
        MqttString::new(text).map_err(|e| e.to_string())
    }
    fn to_json(&self) -> Value {
        json!(self.as_str())
    }
}

impl JsonValue for TopicName {
    fn from_json(value: &Value) -> Result<Self, String> {
        let text = value
            .as_str()
            .ok_or_else(|| format!("{value} is not a string"))?;
        TopicName::new(text).map_err(|e| e.to_string())
    }
    fn to_json(&self) -> Value {
        json!(self.as_str())
    }
}

impl JsonValue for Bytes {
    fn from_json(value: &Value) -> Result<Self, String> {
        let text = value
            .as_str()
            .ok_or_else(|| format!("{value} is not a hex string"))?;
        unhex(text).map(Bytes::from)
    }
    fn to_json(&self) -> Value {
        json!(hex(self))
    }
}

impl JsonValue for QoS {
    fn from_json(value: &Value) -> Result<Self, String> {
        let n = number(value, 2)?;
        QoS::try_from(n as u8).map_err(|_| format!("{n} is not a QoS"))
    }
    fn to_json(&self) -> Value {
        json!(*self as u8)
    }
}

impl JsonValue for PayloadFormat {
    fn from_json(value: &Value) -> Result<Self, String> {
        match number(value, 1)? {
            0 => Ok(PayloadFormat::Unspecified),
            _ => Ok(PayloadFormat::Utf8),
        }
    }
    fn to_json(&self) -> Value {
        json!(*self as u8)
    }
}

impl JsonValue for SubscriptionId {
    fn from_json(value: &Value) -> Result<Self, String> {
        SubscriptionId::new(u32::from_json(value)?)
            .ok_or_else(|| format!("{value} is not a subscription identifier"))
    }
    fn to_json(&self) -> Value {
        json!(self.get())
    }
}

/// `[[name, value], ...]` in order.
fn user_properties_from(value: &Value) -> Result<Vec<UserProperty>, String> {
    let list = value
        .as_array()
        .ok_or("user_property must be a list of [name, value] pairs")?;
    list.iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([name, value]) => Ok(UserProperty::new(
                MqttString::from_json(name)?,
                MqttString::from_json(value)?,
            )),
            _ => Err(format!("{pair} is not a [name, value] pair")),
        })
        .collect()
}

fn user_properties_to(list: &[UserProperty]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| json!([p.name.as_str(), p.value.as_str()]))
            .collect(),
    )
}

/// A property list to and from a JSON object.
pub(crate) trait JsonProperties: Sized + Default {
    /// The list named by `value` (an object; `null` for none).
    fn from_json(value: &Value) -> Result<Self, String>;
    /// The properties set, as an object (empty when none is).
    fn to_json(&self) -> Value;
}

macro_rules! json_properties {
    (
        $ty:ty {
            $($key:literal => $field:ident,)*
        }
        lists {
            $($lkey:literal => $lfield:ident,)*
        }
    ) => {
        impl JsonProperties for $ty {
            fn from_json(value: &Value) -> Result<Self, String> {
                let mut list = Self::default();
                let object = match value {
                    Value::Null => return Ok(list),
                    Value::Object(object) => object,
                    other => return Err(format!("properties must be an object, not {other}")),
                };
                for (key, value) in object {
                    match key.as_str() {
                        $($key => {
                            list.$field = Some(
                                JsonValue::from_json(value).map_err(|e| format!("{}: {e}", $key))?,
                            );
                        })*
                        $($lkey => {
                            let items = value.as_array().ok_or(concat!($lkey, " must be a list"))?;
                            list.$lfield = items
                                .iter()
                                .map(JsonValue::from_json)
                                .collect::<Result<_, _>>()
                                .map_err(|e| format!("{}: {e}", $lkey))?;
                        })*
                        "user_property" => list.user_properties = user_properties_from(value)?,
                        other => {
                            return Err(format!(
                                "{other:?} is not a property of this packet ({})",
                                stringify!($ty)
                            ))
                        }
                    }
                }
                Ok(list)
            }

            fn to_json(&self) -> Value {
                let mut object = Map::new();
                $(if let Some(v) = &self.$field {
                    object.insert($key.to_owned(), JsonValue::to_json(v));
                })*
                $(if !self.$lfield.is_empty() {
                    object.insert(
                        $lkey.to_owned(),
                        Value::Array(self.$lfield.iter().map(JsonValue::to_json).collect()),
                    );
                })*
                if !self.user_properties.is_empty() {
                    object.insert("user_property".to_owned(), user_properties_to(&self.user_properties));
                }
                Value::Object(object)
            }
        }
    };
}

json_properties!(ConnectProperties {
    "session_expiry_interval" => session_expiry_interval,
    "receive_maximum" => receive_maximum,
    "maximum_packet_size" => maximum_packet_size,
    "topic_alias_maximum" => topic_alias_maximum,
    "request_response_information" => request_response_information,
    "request_problem_information" => request_problem_information,
    "authentication_method" => authentication_method,
    "authentication_data" => authentication_data,
} lists {});

json_properties!(WillProperties {
    "will_delay_interval" => will_delay_interval,
    "payload_format_indicator" => payload_format_indicator,
    "message_expiry_interval" => message_expiry_interval,
    "content_type" => content_type,
    "response_topic" => response_topic,
    "correlation_data" => correlation_data,
} lists {});

json_properties!(ConnAckProperties {
    "session_expiry_interval" => session_expiry_interval,
    "receive_maximum" => receive_maximum,
    "maximum_qos" => maximum_qos,
    "retain_available" => retain_available,
    "maximum_packet_size" => maximum_packet_size,
    "assigned_client_identifier" => assigned_client_identifier,
    "topic_alias_maximum" => topic_alias_maximum,
    "reason_string" => reason_string,
    "wildcard_subscription_available" => wildcard_subscription_available,
    "subscription_identifier_available" => subscription_identifiers_available,
    "shared_subscription_available" => shared_subscription_available,
    "server_keep_alive" => server_keep_alive,
    "response_information" => response_information,
    "server_reference" => server_reference,
    "authentication_method" => authentication_method,
    "authentication_data" => authentication_data,
} lists {});

json_properties!(PublishProperties {
    "payload_format_indicator" => payload_format_indicator,
    "message_expiry_interval" => message_expiry_interval,
    "topic_alias" => topic_alias,
    "response_topic" => response_topic,
    "correlation_data" => correlation_data,
    "content_type" => content_type,
} lists {
    "subscription_identifier" => subscription_identifiers,
});

json_properties!(AckProperties {
    "reason_string" => reason_string,
} lists {});

json_properties!(SubscribeProperties {
    "subscription_identifier" => subscription_identifier,
} lists {});

json_properties!(UnsubscribeProperties {} lists {});

json_properties!(DisconnectProperties {
    "session_expiry_interval" => session_expiry_interval,
    "reason_string" => reason_string,
    "server_reference" => server_reference,
} lists {});

json_properties!(AuthProperties {
    "authentication_method" => authentication_method,
    "authentication_data" => authentication_data,
    "reason_string" => reason_string,
} lists {});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(unhex("00AB7f").unwrap(), [0x00, 0xab, 0x7f]);
        assert!(unhex("abc").is_err());
        assert!(unhex("zz").is_err());
    }

    #[test]
    fn properties_round_trip_with_spec_names() {
        let given = json!({
            "payload_format_indicator": 1,
            "message_expiry_interval": 60,
            "topic_alias": 3,
            "response_topic": "a/b",
            "correlation_data": "0102",
            "content_type": "text/plain",
            "user_property": [["k", "v"], ["k", "w"]],
            "subscription_identifier": [7, 9],
        });
        let list = PublishProperties::from_json(&given).unwrap();
        assert_eq!(list.topic_alias, NonZeroU16::new(3));
        assert_eq!(list.correlation_data.as_deref(), Some(&[1, 2][..]));
        assert_eq!(list.user_properties.len(), 2);
        assert_eq!(list.to_json(), given);
    }

    #[test]
    fn unknown_and_misplaced_properties_are_refused() {
        let error = ConnectProperties::from_json(&json!({"topic_alias": 1})).unwrap_err();
        assert!(error.contains("topic_alias"), "{error}");
        assert!(ConnectProperties::from_json(&json!({"receive_maximum": 0})).is_err());
        assert!(ConnectProperties::from_json(&json!([])).is_err());
        assert!(
            ConnectProperties::from_json(&Value::Null)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn connack_flags_use_the_spec_names() {
        let mut list = ConnAckProperties::default();
        list.subscription_identifiers_available = Some(false);
        list.maximum_qos = Some(QoS::AtLeastOnce);
        assert_eq!(
            list.to_json(),
            json!({"maximum_qos": 1, "subscription_identifier_available": false})
        );
    }
}
