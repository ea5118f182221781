//! Topic name and topic filter rules, and `TopicFilter::matches`, against the examples of
//! section 4.7 (and 4.8.2 for shared subscriptions) of MQTT 3.1.1 and MQTT 5.0.
//!
//! The normative statement ids differ between the two specifications for the wildcard rules:
//!
//! | rule | 3.1.1 | 5.0 |
//! | --- | --- | --- |
//! | no wildcards in a Topic Name | \[MQTT-4.7.1-1\] | \[MQTT-4.7.0-1\] |
//! | `#` alone, as the last level | \[MQTT-4.7.1-2\] | \[MQTT-4.7.1-1\] |
//! | `+` occupies a whole level | \[MQTT-4.7.1-3\] | \[MQTT-4.7.1-2\] |
//!
//! The others are the same in both: \[MQTT-4.7.2-1\] (`$` topics and leading wildcards),
//! \[MQTT-4.7.3-1\] (at least one character), \[MQTT-4.7.3-2\] (no U+0000), \[MQTT-4.7.3-3\] (at
//! most 65,535 bytes), \[MQTT-4.7.3-4\] (no normalization when matching); and in 5.0 only
//! \[MQTT-4.8.2-1\] and \[MQTT-4.8.2-2\] (`$share/{ShareName}/{filter}`).

mod strategies;

use mqtt_proto::{StringError, TopicError, TopicFilter, TopicName};
use proptest::prelude::*;

fn filter(s: &str) -> TopicFilter {
    TopicFilter::new(s).unwrap_or_else(|e| panic!("{s:?} should be a valid filter: {e}"))
}

fn topic(s: &str) -> TopicName {
    TopicName::new(s).unwrap_or_else(|e| panic!("{s:?} should be a valid topic name: {e}"))
}

/// Checks a table of `(filter, topic, matches)` rows, reporting every wrong row at once.
fn check_table(table: &[(&str, &str, bool)]) {
    let wrong: Vec<String> = table
        .iter()
        .filter(|&&(f, t, expected)| filter(f).matches(topic(t)) != expected)
        .map(|&(f, t, expected)| format!("{f:?} vs {t:?}: expected {expected}"))
        .collect();
    assert!(wrong.is_empty(), "wrong matches:\n{}", wrong.join("\n"));
}

/// Section 4.7.1.2: `#` matches the parent level and any number of child levels.
#[test]
fn multi_level_wildcard() {
    check_table(&[
        // The examples of the specifications.
        ("sport/tennis/player1/#", "sport/tennis/player1", true),
        (
            "sport/tennis/player1/#",
            "sport/tennis/player1/ranking",
            true,
        ),
        (
            "sport/tennis/player1/#",
            "sport/tennis/player1/score/wimbledon",
            true,
        ),
        // "sport/#" also matches the singular "sport", since # includes the parent level.
        ("sport/#", "sport", true),
        ("sport/#", "sport/tennis/player1", true),
        // "#" is valid and matches every (non-$) topic.
        ("#", "sport", true),
        ("#", "sport/tennis/player1", true),
        ("#", "/finance", true),
        ("#", "/", true),
        // Further cases.
        ("sport/tennis/player1/#", "sport/tennis/player2", false),
        ("sport/tennis/player1/#", "sport/tennis", false),
        ("sport/tennis/player1/#", "sport/tennis/player10", false),
        ("sport/#", "sports", false),
        ("sport/#", "sport/", true),
        ("/#", "/finance", true),
        ("/#", "finance", false),
        ("+/#", "sport", true),
        ("+/#", "sport/tennis/player1", true),
        ("+/tennis/#", "sport/tennis", true),
        ("+/tennis/#", "sport/tennis/player1/ranking", true),
        ("+/tennis/#", "sport/golf/player1", false),
    ]);
}

/// Section 4.7.1.3: `+` matches exactly one level, which may be empty.
#[test]
fn single_level_wildcard() {
    check_table(&[
        // The examples of the specifications.
        ("sport/tennis/+", "sport/tennis/player1", true),
        ("sport/tennis/+", "sport/tennis/player2", true),
        ("sport/tennis/+", "sport/tennis/player1/ranking", false),
        // "sport/+" does not match "sport" but does match "sport/".
        ("sport/+", "sport", false),
        ("sport/+", "sport/", true),
        // "+/+" and "/+" match "/finance"; "+" does not.
        ("+/+", "/finance", true),
        ("/+", "/finance", true),
        ("+", "/finance", false),
        // "sport/+/player1" is valid.
        ("sport/+/player1", "sport/tennis/player1", true),
        ("sport/+/player1", "sport/tennis/player2", false),
        // Further cases.
        ("+", "sport", true),
        ("+", "/", false),
        ("+/+", "/", true),
        ("+/+/+", "a/b", false),
        ("+/tennis/+", "sport/tennis/player1", true),
        ("+/tennis/+", "sport/tennis", false),
        ("sport/+/+/#", "sport/tennis/player1", true),
        ("sport/+/+/#", "sport/tennis", false),
    ]);
}

/// \[MQTT-4.7.2-1\]: a filter starting with a wildcard does not match a topic starting with `$`;
/// a filter that names the `$` level does.
#[test]
fn dollar_topics() {
    check_table(&[
        // The examples of the specifications.
        ("#", "$SYS/monitor/Clients", false),
        ("+/monitor/Clients", "$SYS/monitor/Clients", false),
        ("$SYS/#", "$SYS/monitor/Clients", true),
        ("$SYS/monitor/+", "$SYS/monitor/Clients", true),
        // Further cases.
        ("#", "$SYS", false),
        ("+", "$SYS", false),
        ("+/#", "$SYS/monitor", false),
        ("$SYS/#", "$SYS", true),
        ("$SYS", "$SYS", true),
        ("$SYS/+/Clients", "$SYS/monitor/Clients", true),
        ("$SYS/#", "$SYSTEM/monitor", false),
        // Only the first character of the topic counts.
        ("+/monitor", "a$/monitor", true),
        ("#", "sport/$SYS", true),
        ("sport/+", "sport/$SYS", true),
    ]);
}

/// Section 4.7.3: matching is case sensitive, spaces are ordinary characters, a leading or
/// trailing `/` makes a distinct level, and nothing is normalized (\[MQTT-4.7.3-4\]).
#[test]
fn literal_levels() {
    check_table(&[
        // "ACCOUNTS" and "Accounts" are two different topic names.
        ("ACCOUNTS", "Accounts", false),
        ("Accounts", "Accounts", true),
        // "Accounts payable" is a valid topic name.
        ("Accounts payable", "Accounts payable", true),
        ("Accounts payable", "Accounts", false),
        // "/finance" is different from "finance".
        ("/finance", "finance", false),
        ("finance", "/finance", false),
        ("/finance", "/finance", true),
        // A topic name consisting only of "/" is valid: two empty levels.
        ("/", "/", true),
        ("/", "//", false),
        // Empty levels are levels.
        ("a//b", "a//b", true),
        ("a//b", "a/b", false),
        ("a/b", "a//b", false),
        ("a/+/b", "a//b", true),
        ("a/+/b", "a/b", false),
        ("a/", "a", false),
        ("a", "a/", false),
        ("sport/tennis", "sport/tennis/", false),
        // Multi-byte UTF-8, compared character for character: a precomposed "é" (U+00E9) is not
        // "e" followed by a combining acute accent (U+0301).
        ("café/+", "café/menü", true),
        ("caf\u{e9}", "cafe\u{301}", false),
        ("\u{feff}a", "a", false),
        ("日本/#", "日本/東京", true),
    ]);
}

/// \[MQTT-4.8.2-1\], \[MQTT-4.8.2-2\]: a shared subscription `$share/{ShareName}/{filter}` matches
/// as its filter.
#[test]
fn shared_subscriptions_match_as_their_filter() {
    check_table(&[
        ("$share/group/sport/tennis/+", "sport/tennis/player1", true),
        (
            "$share/group/sport/tennis/+",
            "sport/tennis/player1/ranking",
            false,
        ),
        ("$share/group/sport/#", "sport", true),
        ("$share/group/#", "sport/tennis", true),
        ("$share/group/+", "sport", true),
        ("$share/group/finance", "finance", true),
        // The ShareName is not part of the topic matched.
        ("$share/group/finance", "$share/group/finance", false),
        ("$share/group/finance", "group/finance", false),
        // [MQTT-4.7.2-1] applies to the filter after the ShareName.
        ("$share/group/#", "$SYS/monitor/Clients", false),
        (
            "$share/group/+/monitor/Clients",
            "$SYS/monitor/Clients",
            false,
        ),
        ("$share/group/$SYS/#", "$SYS/monitor/Clients", true),
        // Empty levels in the filter part.
        ("$share/group//finance", "/finance", true),
        ("$share/group//", "/", true),
    ]);

    let shared = filter("$share/consumer1/sport/tennis/+");
    assert!(shared.is_shared());
    assert_eq!(shared.share_name(), Some("consumer1"));
    assert_eq!(shared.matching_filter(), "sport/tennis/+");
    assert_eq!(shared.as_str(), "$share/consumer1/sport/tennis/+");
    assert!(shared.has_wildcards());

    let shared = filter("$share/consumer1/#");
    assert_eq!(shared.share_name(), Some("consumer1"));
    assert_eq!(shared.matching_filter(), "#");

    let shared = filter("$share/gröup/finance");
    assert_eq!(shared.share_name(), Some("gröup"));
    assert_eq!(shared.matching_filter(), "finance");
    assert!(!shared.has_wildcards());

    // Not shared subscriptions: the prefix is exactly "$share/", case sensitive.
    for s in [
        "$share",
        "$shared/g/x",
        "$SHARE/g/x",
        "share/g/x",
        "x/$share/g/y",
    ] {
        let f = filter(s);
        assert!(!f.is_shared(), "{s}");
        assert_eq!(f.share_name(), None, "{s}");
        assert_eq!(f.matching_filter(), s);
    }
    assert!(filter("$share").matches(topic("$share")));
    assert!(!filter("#").matches(topic("$share/g/x")));
}

/// Valid and invalid topic filters (section 4.7.1, \[MQTT-4.7.3-1\], 4.8.2).
#[test]
fn filter_validity() {
    // Valid per the examples of the specifications, and some more.
    for s in [
        "#",
        "+",
        "sport/tennis/#",
        "+/tennis/#",
        "sport/+/player1",
        "sport/tennis/player1/#",
        "$SYS/#",
        "$SYS/monitor/+",
        "+/+",
        "/+",
        "/#",
        "+/#",
        "/",
        "//",
        "a//b",
        "Accounts payable",
        "$share/g/#",
        "$share/g/+/x/#",
        "$share/g//",
        "$share/日本/x",
    ] {
        assert!(TopicFilter::new(s).is_ok(), "{s:?} should be valid");
    }

    let invalid = [
        // [MQTT-4.7.1-2] (3.1.1) / [MQTT-4.7.1-1] (5.0): "#" alone and last.
        ("sport/tennis#", TopicError::InvalidMultiLevelWildcard),
        (
            "sport/tennis/#/ranking",
            TopicError::InvalidMultiLevelWildcard,
        ),
        ("#/", TopicError::InvalidMultiLevelWildcard),
        ("##", TopicError::InvalidMultiLevelWildcard),
        ("#+", TopicError::InvalidMultiLevelWildcard),
        ("+#", TopicError::InvalidMultiLevelWildcard),
        ("sport/#/", TopicError::InvalidMultiLevelWildcard),
        // [MQTT-4.7.1-3] (3.1.1) / [MQTT-4.7.1-2] (5.0): "+" occupies a whole level.
        ("sport+", TopicError::InvalidSingleLevelWildcard),
        ("sport/+tennis", TopicError::InvalidSingleLevelWildcard),
        (
            "sport/ten+nis/player1",
            TopicError::InvalidSingleLevelWildcard,
        ),
        ("++", TopicError::InvalidSingleLevelWildcard),
        ("+/++", TopicError::InvalidSingleLevelWildcard),
        // [MQTT-4.7.3-1]: at least one character.
        ("", TopicError::Empty),
        // Not a shared subscription, nor a valid ordinary filter.
        ("$share/#/x", TopicError::InvalidMultiLevelWildcard),
        ("$share/a+b/x", TopicError::InvalidSingleLevelWildcard),
        ("$share/a#/x", TopicError::InvalidMultiLevelWildcard),
        // The filter after the ShareName obeys the wildcard rules.
        ("$share/g/sport+", TopicError::InvalidSingleLevelWildcard),
        ("$share/g/#/x", TopicError::InvalidMultiLevelWildcard),
    ];
    for (s, error) in invalid {
        assert_eq!(TopicFilter::new(s), Err(error), "{s:?}");
    }
}

/// `$share/` filters outside the MQTT 5.0 grammar are ordinary filters of MQTT 3.1 and 3.1.1
/// (which have no shared subscriptions); `check_shared`, the 5.0 rule, refuses them.
#[test]
fn shared_subscription_grammar_is_a_rule_of_5_0() {
    for s in [
        // [MQTT-4.8.2-1]: a ShareName of at least one character.
        "$share//x",
        "$share/",
        // [MQTT-4.8.2-2]: no "+" or "#" in the ShareName, which "/" and a filter follow.
        "$share/g",
        "$share/g/",
        "$share/+/x",
    ] {
        let f = filter(s);
        assert!(!f.is_shared(), "{s:?}");
        assert_eq!(f.matching_filter(), s);
        assert!(f.matches(s), "{s:?} matches itself in 3.1.1");
        assert_eq!(
            f.check_shared(),
            Err(TopicError::InvalidSharedSubscription),
            "{s:?}"
        );
    }
    let shared = filter("$share/g/x");
    assert!(shared.is_shared() && shared.check_shared().is_ok());
    assert!(filter("$sharex/g").check_shared().is_ok());
}

/// Valid and invalid topic names.
#[test]
fn name_validity() {
    for s in [
        "sport/tennis/player1",
        "/finance",
        "finance/",
        "/",
        "a//b",
        "Accounts payable",
        "$SYS/monitor/Clients",
        "$share/g/x",
        "日本/東京",
        "\u{feff}",
    ] {
        let name = TopicName::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(name.as_str(), s);
        assert_eq!(name.starts_with_dollar(), s.starts_with('$'));
    }

    // [MQTT-4.7.1-1] (3.1.1) / [MQTT-4.7.0-1] (5.0): wildcards are for filters only; as
    // characters they are not allowed anywhere in a name ([MQTT-3.3.2-2]).
    for s in [
        "#",
        "+",
        "sport/#",
        "sport/tennis/+",
        "+/tennis",
        "sport+",
        "a#b",
        "$SYS/#",
    ] {
        assert_eq!(TopicName::new(s), Err(TopicError::WildcardInName), "{s:?}");
    }
    // [MQTT-4.7.3-1]: at least one character.
    assert_eq!(TopicName::new(""), Err(TopicError::Empty));
}

/// \[MQTT-4.7.3-2\], \[MQTT-4.7.3-3\]: no U+0000, at most 65,535 bytes, for names and filters.
#[test]
fn string_rules() {
    let null = TopicError::String(StringError::NullCharacter);
    assert_eq!(TopicName::new("a\0b").unwrap_err(), null);
    assert_eq!(TopicFilter::new("a/\0/#").unwrap_err(), null);

    let longest = "a".repeat(65_535);
    assert!(TopicName::new(longest.as_str()).is_ok());
    assert!(TopicFilter::new(longest.as_str()).is_ok());
    let too_long = TopicError::String(StringError::TooLong(65_536));
    assert_eq!(TopicName::new("a".repeat(65_536)).unwrap_err(), too_long);
    assert_eq!(TopicFilter::new("a".repeat(65_536)).unwrap_err(), too_long);
}

proptest! {
    /// A filter without wildcards matches exactly the topic name it spells, `#` matches every
    /// topic that does not start with `$`, and a shared subscription matches as its filter.
    #[test]
    fn literal_filters_match_themselves(
        name in strategies::topic_name(),
        other in strategies::topic_name(),
    ) {
        let literal = filter(name.as_str());
        prop_assert!(literal.matches(&name));
        prop_assert_eq!(literal.matches(&other), name == other);
        prop_assert_eq!(filter("#").matches(&name), !name.as_str().starts_with('$'));
        let shared = filter(&format!("$share/g/{}", name.as_str()));
        prop_assert!(shared.matches(&name));
        prop_assert_eq!(shared.matches(&other), name == other);
    }

    /// Replacing any one level of a topic name by `+`, or any tail of levels by `#`, gives a
    /// filter that matches it (unless the wildcard lands on the first level of a `$` topic).
    #[test]
    fn wildcard_filters_match(name in strategies::topic_name(), index in any::<prop::sample::Index>()) {
        let levels: Vec<&str> = name.as_str().split('/').collect();
        let i = index.index(levels.len());
        let dollar_first = i == 0 && name.as_str().starts_with('$');

        let mut plus = levels.clone();
        plus[i] = "+";
        prop_assert_eq!(filter(&plus.join("/")).matches(&name), !dollar_first);

        let mut hash = levels[..i].to_vec();
        hash.push("#");
        prop_assert_eq!(filter(&hash.join("/")).matches(&name), !dollar_first);
    }
}
