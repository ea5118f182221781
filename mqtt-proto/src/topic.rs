//! Topic names and topic filters, validated at construction, and filter matching.

use bytes::Bytes;

use crate::string::{MAX_STRING_LEN, StringError, all_words, plain_word, validate, validated_text};

/// Why a string is not a valid topic name or topic filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// Topic names and filters are at least one character long (\[MQTT-4.7.3-1\]).
    #[error("topic is empty")]
    Empty,
    /// A topic name contains `+` or `#` (\[MQTT-3.3.2-2\], \[MQTT-4.7.0-1\]).
    #[error("topic name contains a wildcard character")]
    WildcardInName,
    /// `#` is not alone in the last level of the filter (\[MQTT-4.7.1-2\]).
    #[error("multi-level wildcard '#' must be the whole last level of the filter")]
    InvalidMultiLevelWildcard,
    /// `+` does not occupy a whole level of the filter (\[MQTT-4.7.1-3\]).
    #[error("single-level wildcard '+' must be a whole level of the filter")]
    InvalidSingleLevelWildcard,
    /// In MQTT 5.0, a `$share/` filter without a share name, with a wildcard or `/` in it, or
    /// without a filter after it (\[MQTT-4.8.2-1\], \[MQTT-4.8.2-2\]).
    #[error(
        "shared subscription must be $share/{{ShareName}}/{{filter}} with a non-empty ShareName without wildcards"
    )]
    InvalidSharedSubscription,
    /// The string itself is not a valid MQTT string.
    #[error(transparent)]
    String(#[from] StringError),
}

/// A topic name: what a PUBLISH is sent to. Non-empty, without wildcards.
///
/// It holds [`Bytes`], so a decoded topic is a slice of the received frame.
///
/// ```
/// use mqtt_proto::TopicName;
///
/// let topic = TopicName::new("sport/tennis/player1").unwrap();
/// assert_eq!(topic.as_str(), "sport/tennis/player1");
/// assert!(TopicName::new("sport/+").is_err());
/// assert!(TopicName::new("").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicName(Bytes);

impl TopicName {
    /// Validates and wraps `name`.
    ///
    /// # Errors
    /// [`TopicError`] when the name is empty, contains `+` or `#`, or is not a valid MQTT string.
    pub fn new(name: impl Into<alloc::string::String>) -> Result<Self, TopicError> {
        Self::from_bytes(Bytes::from(name.into()))
    }

    /// Wraps a static topic name.
    ///
    /// # Panics
    /// When `name` is not a valid topic name: it is a constant in the program.
    #[must_use]
    #[expect(
        clippy::panic,
        reason = "documented: the argument is a constant of the program"
    )]
    pub fn from_static(name: &'static str) -> Self {
        match Self::from_bytes(Bytes::from_static(name.as_bytes())) {
            Ok(t) => t,
            Err(e) => panic!("invalid topic name constant {name:?}: {e}"),
        }
    }

    /// Validates `bytes` as a topic name without copying them.
    ///
    /// # Errors
    /// As [`TopicName::new`].
    pub fn from_bytes(bytes: Bytes) -> Result<Self, TopicError> {
        if bytes.is_empty() {
            return Err(TopicError::Empty);
        }
        Self::from_bytes_allow_empty(bytes)
    }

    /// The empty topic name of an MQTT 5.0 PUBLISH that names its topic by a Topic Alias only
    /// (section 3.3.2.1). It is valid nowhere else.
    #[must_use]
    pub const fn empty() -> Self {
        Self(Bytes::new())
    }

    pub(crate) fn from_bytes_allow_empty(bytes: Bytes) -> Result<Self, TopicError> {
        validate_name(&bytes)?;
        Ok(Self(bytes))
    }

    /// Wraps bytes that [`validate_name`] accepted.
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// Whether this is the empty name of an aliased MQTT 5.0 PUBLISH.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the topic starts with `$` (`$SYS/...`), which wildcards at the first level do not
    /// match (\[MQTT-4.7.2-1\]).
    #[must_use]
    pub fn starts_with_dollar(&self) -> bool {
        self.0.first() == Some(&b'$')
    }
}

/// A topic filter: what a SUBSCRIBE asks for, with `+` and `#` wildcards and `$share/` groups.
///
/// ```
/// use mqtt_proto::{TopicFilter, TopicName};
///
/// let filter = TopicFilter::new("sport/tennis/+").unwrap();
/// assert!(filter.matches(TopicName::new("sport/tennis/player1").unwrap()));
/// assert!(!filter.matches(TopicName::new("sport/tennis/player1/ranking").unwrap()));
///
/// let shared = TopicFilter::new("$share/workers/jobs/#").unwrap();
/// assert_eq!(shared.share_name(), Some("workers"));
/// assert_eq!(shared.matching_filter(), "jobs/#");
/// assert!(TopicFilter::new("sport/tennis#").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicFilter {
    bytes: Bytes,
    /// Where the matching part starts: 0, or after `$share/{ShareName}/`.
    filter_start: u16,
}

const SHARE_PREFIX: &[u8] = b"$share/";

impl TopicFilter {
    /// Validates and wraps `filter`.
    ///
    /// A filter of the form `$share/{ShareName}/{filter}` is a shared subscription in MQTT 5.0
    /// ([`is_shared`](Self::is_shared)). MQTT 3.1 and 3.1.1 have no shared subscriptions: there
    /// any filter starting with `$share/` is an ordinary one, so this accepts one that does not
    /// follow the 5.0 grammar (`$share/a`); SUBSCRIBE and UNSUBSCRIBE refuse it in 5.0
    /// ([`check_shared`](Self::check_shared)).
    ///
    /// # Errors
    /// [`TopicError`] when the filter is empty, places a wildcard wrongly, or is not a valid
    /// MQTT string.
    pub fn new(filter: impl Into<alloc::string::String>) -> Result<Self, TopicError> {
        Self::from_bytes(Bytes::from(filter.into()))
    }

    /// Wraps a static topic filter.
    ///
    /// # Panics
    /// When `filter` is not a valid topic filter: it is a constant in the program.
    #[must_use]
    #[expect(
        clippy::panic,
        reason = "documented: the argument is a constant of the program"
    )]
    pub fn from_static(filter: &'static str) -> Self {
        match Self::from_bytes(Bytes::from_static(filter.as_bytes())) {
            Ok(t) => t,
            Err(e) => panic!("invalid topic filter constant {filter:?}: {e}"),
        }
    }

    /// Validates `bytes` as a topic filter without copying them.
    ///
    /// # Errors
    /// As [`TopicFilter::new`].
    pub fn from_bytes(bytes: Bytes) -> Result<Self, TopicError> {
        let filter_start = validate_filter(&bytes)?;
        Ok(Self::from_validated(bytes, filter_start))
    }

    /// Wraps bytes that [`validate_filter`] accepted, with the start it returned.
    #[inline]
    pub(crate) fn from_validated(bytes: Bytes, filter_start: u16) -> Self {
        Self {
            bytes,
            filter_start,
        }
    }

    /// Always `false`: a filter is never empty. Present for symmetry with [`len`](Self::len).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The share name of a `$share/{ShareName}/{filter}` subscription.
    #[must_use]
    pub fn share_name(&self) -> Option<&str> {
        if self.filter_start == 0 {
            return None;
        }
        let end = usize::from(self.filter_start) - 1;
        self.as_str().get(SHARE_PREFIX.len()..end)
    }

    /// Whether this has the form of an MQTT 5.0 shared subscription,
    /// `$share/{ShareName}/{filter}`.
    #[must_use]
    pub fn is_shared(&self) -> bool {
        self.filter_start != 0
    }

    /// The MQTT 5.0 rule for filters that start with `$share/`: they are shared subscriptions,
    /// `$share/{ShareName}/{filter}` with a non-empty share name without wildcards or `/`
    /// (\[MQTT-4.8.2-1\], \[MQTT-4.8.2-2\]). Not a rule of MQTT 3.1 or 3.1.1.
    ///
    /// ```
    /// use mqtt_proto::TopicFilter;
    ///
    /// assert!(TopicFilter::new("$share/g/a").unwrap().check_shared().is_ok());
    /// assert!(TopicFilter::new("$share/a").unwrap().check_shared().is_err());
    /// ```
    ///
    /// # Errors
    /// [`TopicError::InvalidSharedSubscription`].
    pub fn check_shared(&self) -> Result<(), TopicError> {
        if !self.is_shared() && self.bytes.starts_with(SHARE_PREFIX) {
            return Err(TopicError::InvalidSharedSubscription);
        }
        Ok(())
    }

    /// The part that topics are matched against: the whole filter, or what follows the share name.
    #[must_use]
    pub fn matching_filter(&self) -> &str {
        self.as_str()
            .get(usize::from(self.filter_start)..)
            .unwrap_or_default()
    }

    /// Whether the matching part contains `+` or `#`.
    #[must_use]
    pub fn has_wildcards(&self) -> bool {
        self.matching_filter()
            .bytes()
            .any(|b| b == b'+' || b == b'#')
    }

    /// Whether `topic` matches this filter (section 4.7 of both specifications).
    ///
    /// `+` matches exactly one level, `#` this level and every level below, including the parent
    /// (`sport/#` matches `sport`). A filter that starts with a wildcard does not match a topic that
    /// starts with `$` (\[MQTT-4.7.2-1\]). A shared subscription matches as its inner filter.
    ///
    /// `topic` is a topic name ([`TopicName`], or [`Publish::topic`](crate::Publish::topic) of a
    /// received message); `+` and `#` in it would only match themselves as plain characters.
    #[must_use]
    pub fn matches(&self, topic: impl AsRef<str>) -> bool {
        matches_levels(self.matching_filter().as_bytes(), topic.as_ref().as_bytes())
    }
}

/// Where the filter of a `$share/{ShareName}/{filter}` subscription starts; `None` when
/// `bytes` does not have that form.
fn shared_start(bytes: &[u8]) -> Option<usize> {
    let rest = bytes.strip_prefix(SHARE_PREFIX)?;
    let name_len = rest.iter().position(|&b| b == b'/')?;
    let name = rest.get(..name_len)?;
    if name.is_empty() || name.iter().any(|&b| b == b'+' || b == b'#') {
        return None;
    }
    let start = SHARE_PREFIX.len() + name_len + 1;
    (start < bytes.len()).then_some(start)
}

/// Checks a topic name that may be empty: an MQTT string without `+` or `#` (\[MQTT-3.3.2-2\]).
#[inline]
pub(crate) fn validate_name(name: &[u8]) -> Result<(), TopicError> {
    if is_plain_ascii(name) && name.len() <= MAX_STRING_LEN {
        return Ok(());
    }
    validate(name)?;
    if name.iter().any(|&b| b == b'+' || b == b'#') {
        return Err(TopicError::WildcardInName);
    }
    Ok(())
}

/// Whether every byte is ASCII other than U+0000, `+` and `#`: the common topic name, checked
/// eight bytes at a time. A `false` only means the full checks must decide.
#[inline]
fn is_plain_ascii(bytes: &[u8]) -> bool {
    all_words(bytes, |w| plain_word(w, true))
}

/// Checks a topic filter: a non-empty MQTT string whose wildcards stand alone in their levels,
/// `#` last (\[MQTT-4.7.1-2\], \[MQTT-4.7.1-3\]). Returns where the filter of a
/// `$share/{ShareName}/{filter}` subscription starts, 0 for any other.
#[inline]
pub(crate) fn validate_filter(bytes: &[u8]) -> Result<u16, TopicError> {
    if bytes.is_empty() {
        return Err(TopicError::Empty);
    }
    validate(bytes)?;
    let filter_start = shared_start(bytes).unwrap_or(0);
    validate_wildcards(bytes.get(filter_start..).unwrap_or_default())?;
    // A string is at most 65,535 bytes, so the start fits.
    Ok(filter_start as u16)
}

/// Checks wildcard placement, eight bytes at a time: only the bytes that may be `+` or `#` are
/// looked at with their neighbours; the level-by-level check names the error.
fn validate_wildcards(filter: &[u8]) -> Result<(), TopicError> {
    let last = filter.len().saturating_sub(1);
    let byte = |i: usize| filter.get(i).copied();
    let check = |offset: usize, word: [u8; 8]| {
        let mut candidates = wildcard_candidates(word);
        while candidates != 0 {
            let i = offset + (candidates.trailing_zeros() / 8) as usize;
            candidates &= candidates - 1;
            let alone_before = i == 0 || byte(i - 1) == Some(b'/');
            let bad = match byte(i) {
                Some(b'#') => !alone_before || i != last,
                Some(b'+') => !alone_before || (i != last && byte(i + 1) != Some(b'/')),
                _ => false,
            };
            if bad {
                return false;
            }
        }
        true
    };
    let fine = if let Some(tail) = filter.last_chunk::<8>() {
        // The last word may overlap the one before it: checking a byte twice is harmless.
        filter
            .chunks_exact(8)
            .enumerate()
            .all(|(n, chunk)| chunk.first_chunk::<8>().is_some_and(|w| check(n * 8, *w)))
            && check(filter.len() - 8, *tail)
    } else {
        let mut word = [0; 8];
        for (slot, &b) in word.iter_mut().zip(filter) {
            *slot = b;
        }
        check(0, word)
    };
    if fine { Ok(()) } else { wildcard_error(filter) }
}

/// A high bit for each byte of `word` that may be `+` or `#` (every one that is; a byte above
/// one of them may show too, and is looked at and passed over).
#[inline]
fn wildcard_candidates(word: [u8; 8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let x = u64::from_le_bytes(word);
    zero_bytes(x ^ (ONES * u64::from(b'+'))) | zero_bytes(x ^ (ONES * u64::from(b'#')))
}

fn wildcard_error(filter: &[u8]) -> Result<(), TopicError> {
    let mut levels = filter.split(|&b| b == b'/').peekable();
    while let Some(level) = levels.next() {
        let last = levels.peek().is_none();
        if level.contains(&b'#') && (level != b"#" || !last) {
            return Err(TopicError::InvalidMultiLevelWildcard);
        }
        if level.contains(&b'+') && level != b"+" {
            return Err(TopicError::InvalidSingleLevelWildcard);
        }
    }
    Ok(())
}

fn matches_levels(filter: &[u8], topic: &[u8]) -> bool {
    if topic.first() == Some(&b'$') && matches!(filter.first(), Some(b'+' | b'#')) {
        return false;
    }
    let mut filter_levels = filter.split(|&b| b == b'/');
    let mut topic_levels = topic.split(|&b| b == b'/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            (Some(b"#"), _) | (None, None) => return true,
            (Some(b"+"), Some(_)) => {}
            (Some(f), Some(t)) if f == t => {}
            _ => return false,
        }
    }
}

validated_text!(TopicName, 0, TopicError);
validated_text!(TopicFilter, bytes, TopicError);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{TopicError, validate_wildcards};

    /// The rule level by level, as the specification states it.
    fn by_levels(filter: &[u8]) -> Result<(), TopicError> {
        let levels: alloc::vec::Vec<&[u8]> = filter.split(|&b| b == b'/').collect();
        for (n, level) in levels.iter().enumerate() {
            // [MQTT-4.7.1-2]
            if level.contains(&b'#') && (*level != b"#" || n + 1 != levels.len()) {
                return Err(TopicError::InvalidMultiLevelWildcard);
            }
            // [MQTT-4.7.1-3]
            if level.contains(&b'+') && *level != b"+" {
                return Err(TopicError::InvalidSingleLevelWildcard);
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn wildcards_are_checked_as_by_levels(
            filter in proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'/'), Just(b'+'), Just(b'#'), Just(0xc3), Just(0xab)],
                0..40,
            )
        ) {
            prop_assert_eq!(validate_wildcards(&filter), by_levels(&filter));
        }
    }

    #[test]
    fn wildcards_at_every_offset_of_a_word() {
        for len in 1..20 {
            for at in 0..len {
                for wildcard in [b'+', b'#'] {
                    let mut filter = alloc::vec![b'/'; len];
                    filter.insert(at, wildcard);
                    assert_eq!(
                        validate_wildcards(&filter),
                        by_levels(&filter),
                        "{filter:?}"
                    );
                    filter.insert(at, b'x');
                    assert_eq!(
                        validate_wildcards(&filter),
                        by_levels(&filter),
                        "{filter:?}"
                    );
                }
            }
        }
    }
}
