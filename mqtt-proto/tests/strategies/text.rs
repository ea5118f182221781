//! Strings, topic names and topic filters.

use mqtt_proto::{MqttString, TopicFilter, TopicName};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

/// A character of a topic level: ASCII, and 2-, 3- and 4-byte UTF-8, never `/`, `+`, `#`, `$`
/// or U+0000. `$` is left out so a random first level can never spell `$share`; `$SYS` topics
/// are made on purpose instead.
pub(crate) fn level_char() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        6 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('A', 'Z'),
        2 => proptest::char::range('0', '9'),
        1 => select(vec!['-', '_', ' ', '.', '~', '%']),
        2 => select(vec!['é', 'ß', 'ü', 'ñ', 'Ω', 'ж']),
        2 => proptest::char::range('\u{4e00}', '\u{4e2f}'),
        1 => proptest::char::range('\u{1f600}', '\u{1f64f}'),
        // A byte order mark is an ordinary character, kept as it is ([MQTT-1.5.4-3]).
        1 => Just('\u{feff}'),
    ]
}

/// A character of a general UTF-8 string: a topic level character or a topic separator or
/// wildcard character, which mean nothing outside topics.
pub(crate) fn text_char() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        12 => level_char(),
        1 => select(vec!['/', '+', '#', '$']),
    ]
}

/// A string of `min..=max` characters (not bytes: multi-byte characters are common).
pub(crate) fn text(min: usize, max: usize) -> impl Strategy<Value = String> + Clone {
    vec(text_char(), min..=max).prop_map(String::from_iter)
}

/// A valid MQTT UTF-8 string of up to `max` characters.
pub(crate) fn mqtt_string(max: usize) -> impl Strategy<Value = MqttString> + Clone {
    text(0, max).prop_map(|s| MqttString::new(s).unwrap())
}

/// One topic level, possibly empty (`a//b`).
pub(crate) fn level() -> impl Strategy<Value = String> + Clone {
    vec(level_char(), 0..=6).prop_map(String::from_iter)
}

/// A non-empty topic name with `/` separated levels, some of them empty, some under `$SYS`.
pub(crate) fn topic_name() -> impl Strategy<Value = TopicName> + Clone {
    (proptest::bool::weighted(0.1), vec(level(), 1..=5)).prop_map(|(system, levels)| {
        let mut name = levels.join("/");
        if system {
            name.insert_str(0, "$SYS/");
        }
        if name.is_empty() {
            // Two empty levels: a valid, if odd, topic name.
            name.push('/');
        }
        TopicName::new(name).unwrap()
    })
}

/// The part of a topic filter that topics are matched against: levels, `+` as whole levels,
/// `#` as the whole last level ([MQTT-4.7.1-2], [MQTT-4.7.1-3]).
pub(crate) fn inner_filter() -> impl Strategy<Value = String> + Clone {
    let composed = (
        proptest::bool::weighted(0.1),
        vec(prop_oneof![4 => level(), 1 => Just("+".to_owned())], 1..=5),
        proptest::bool::weighted(0.25),
    )
        .prop_map(|(system, levels, multi)| {
            let mut filter = levels.join("/");
            if system {
                filter.insert_str(0, "$SYS/");
            }
            if multi {
                filter.push_str("/#");
            }
            if filter.is_empty() {
                filter.push('/');
            }
            filter
        });
    prop_oneof![
        1 => Just("#".to_owned()),
        1 => Just("+".to_owned()),
        8 => composed,
    ]
}

/// A share name: non-empty, without `/`, `+` or `#` ([MQTT-4.8.2-1], [MQTT-4.8.2-2]).
pub(crate) fn share_name() -> impl Strategy<Value = String> + Clone {
    vec(level_char(), 1..=6).prop_map(String::from_iter)
}

/// Any valid topic filter; one in five is a shared subscription `$share/{ShareName}/{filter}`.
pub(crate) fn topic_filter() -> impl Strategy<Value = TopicFilter> + Clone {
    (option::weighted(0.2, share_name()), inner_filter()).prop_map(|(share, filter)| {
        let full = match share {
            Some(name) => format!("$share/{name}/{filter}"),
            None => filter,
        };
        TopicFilter::new(full).unwrap()
    })
}
