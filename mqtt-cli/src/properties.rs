//! `-D COMMAND NAME VALUE`: the MQTT 5.0 properties of CONNECT, PUBLISH and SUBSCRIBE, named
//! as mosquitto's tools name them.

use core::num::{NonZeroU16, NonZeroU32};

use bytes::Bytes;
use mqtt_proto::{
    MqttString, PayloadFormat, PublishProperties, SubscribeProperties, SubscriptionId, TopicName,
    UserProperty,
};
use mqtt_sansio::Config;

/// The properties given on the command line, by packet.
#[derive(Debug, Default)]
pub(crate) struct Properties {
    pub(crate) publish: PublishProperties,
    pub(crate) subscribe: SubscribeProperties,
    /// Those of CONNECT, applied to the configuration.
    connect: Vec<(String, String, Option<String>)>,
}

fn string(value: &str) -> Result<MqttString, String> {
    MqttString::new(value).map_err(|e| format!("{value:?}: {e}"))
}

fn number<T: core::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{name}: {value:?} is not a number in range"))
}

fn flag(name: &str, value: &str) -> Result<bool, String> {
    match value {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("{name}: {value:?} is neither 0 nor 1")),
    }
}

impl Properties {
    /// Parses every `-D`; `v5` whether the connection speaks MQTT 5.0, which properties need.
    pub(crate) fn parse(given: &[Vec<String>], v5: bool) -> Result<Self, String> {
        let mut properties = Self::default();
        for d in given {
            if !v5 {
                return Err("-D: properties need MQTT 5.0 (-V 5)".to_owned());
            }
            let (command, name, value, extra) = match &d[..] {
                [c, n, v] => (c.as_str(), n.as_str(), v.as_str(), None),
                [c, n, k, v] => (c.as_str(), n.as_str(), k.as_str(), Some(v.clone())),
                _ => return Err("-D takes COMMAND NAME VALUE".to_owned()),
            };
            if name == "user-property" && extra.is_none() {
                return Err("-D COMMAND user-property takes a KEY and a VALUE".to_owned());
            }
            if name != "user-property" && extra.is_some() {
                return Err(format!("-D {command} {name} takes one value"));
            }
            match command {
                "connect" => {
                    properties
                        .connect
                        .push((name.to_owned(), value.to_owned(), extra));
                }
                "publish" => properties.publish_property(name, value, extra.as_deref())?,
                "subscribe" => properties.subscribe_property(name, value, extra.as_deref())?,
                other => {
                    return Err(format!(
                        "-D {other}: the commands are connect, publish and subscribe"
                    ));
                }
            }
        }
        Ok(properties)
    }

    fn publish_property(
        &mut self,
        name: &str,
        value: &str,
        extra: Option<&str>,
    ) -> Result<(), String> {
        let p = &mut self.publish;
        match name {
            "payload-format-indicator" => {
                p.payload_format_indicator = Some(if flag(name, value)? {
                    PayloadFormat::Utf8
                } else {
                    PayloadFormat::Unspecified
                });
            }
            "message-expiry-interval" => p.message_expiry_interval = Some(number(name, value)?),
            "topic-alias" => {
                let alias: u16 = number(name, value)?;
                p.topic_alias = Some(NonZeroU16::new(alias).ok_or("topic-alias: not 0")?);
            }
            "response-topic" => {
                p.response_topic = Some(TopicName::new(value).map_err(|e| e.to_string())?);
            }
            "correlation-data" => {
                p.correlation_data = Some(Bytes::copy_from_slice(value.as_bytes()));
            }
            "content-type" => p.content_type = Some(string(value)?),
            "user-property" => p.user_properties.push(user_property(value, extra)?),
            other => return Err(format!("-D publish {other}: not a PUBLISH property")),
        }
        Ok(())
    }

    fn subscribe_property(
        &mut self,
        name: &str,
        value: &str,
        extra: Option<&str>,
    ) -> Result<(), String> {
        match name {
            "subscription-identifier" => {
                let id = SubscriptionId::new(number(name, value)?)
                    .ok_or("subscription-identifier: 1 to 268,435,455")?;
                self.subscribe.subscription_identifier = Some(id);
            }
            "user-property" => self
                .subscribe
                .user_properties
                .push(user_property(value, extra)?),
            other => return Err(format!("-D subscribe {other}: not a SUBSCRIBE property")),
        }
        Ok(())
    }

    /// Applies the CONNECT properties to `config`.
    pub(crate) fn apply_connect(&self, config: &mut Config) -> Result<(), String> {
        for (name, value, extra) in &self.connect {
            let (name, value) = (name.as_str(), value.as_str());
            match name {
                "session-expiry-interval" => {
                    config.session_expiry_interval = Some(number(name, value)?);
                }
                "receive-maximum" => {
                    let max: u16 = number(name, value)?;
                    config.receive_maximum = Some(NonZeroU16::new(max).ok_or("not 0")?.get());
                }
                "maximum-packet-size" => {
                    let max: u32 = number(name, value)?;
                    config.maximum_packet_size = Some(NonZeroU32::new(max).ok_or("not 0")?.get());
                }
                "topic-alias-maximum" => config.topic_alias_maximum = number(name, value)?,
                "request-response-information" => {
                    config.request_response_information = Some(flag(name, value)?);
                }
                "request-problem-information" => {
                    config.request_problem_information = Some(flag(name, value)?);
                }
                "user-property" => config
                    .user_properties
                    .push(user_property(value, extra.as_deref())?),
                other => return Err(format!("-D connect {other}: not a CONNECT property")),
            }
        }
        Ok(())
    }
}

fn user_property(key: &str, value: Option<&str>) -> Result<UserProperty, String> {
    Ok(UserProperty::new(
        string(key)?,
        string(value.unwrap_or_default())?,
    ))
}
