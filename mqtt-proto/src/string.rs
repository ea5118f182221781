//! UTF-8 encoded strings as MQTT defines them, held as zero-copy [`Bytes`].

use bytes::Bytes;

/// The longest string MQTT can carry: its length is a two-byte integer.
pub const MAX_STRING_LEN: usize = 65_535;

/// Why some bytes are not an MQTT UTF-8 encoded string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StringError {
    /// Not well-formed UTF-8, or an encoded surrogate (\[MQTT-1.5.4-1\], \[MQTT-1.5.3-1\]).
    #[error("string is not well-formed UTF-8")]
    InvalidUtf8,
    /// Contains U+0000 (\[MQTT-1.5.4-2\], \[MQTT-1.5.3-2\]).
    #[error("string contains the null character U+0000")]
    NullCharacter,
    /// Longer than 65,535 bytes.
    #[error("string is {0} bytes long, more than the 65,535 MQTT allows")]
    TooLong(usize),
}

/// Checks the rules every MQTT string obeys: well-formed UTF-8 without U+0000, at most 65,535 bytes.
#[inline]
pub(crate) fn validate(bytes: &[u8]) -> Result<(), StringError> {
    if bytes.len() > MAX_STRING_LEN {
        return Err(StringError::TooLong(bytes.len()));
    }
    if is_ascii_without_nul(bytes) {
        return Ok(());
    }
    core::str::from_utf8(bytes).map_err(|_| StringError::InvalidUtf8)?;
    if bytes.contains(&0) {
        return Err(StringError::NullCharacter);
    }
    Ok(())
}

/// Whether every byte is ASCII other than U+0000: a string that needs no UTF-8 decoding.
#[inline]
pub(crate) fn is_ascii_without_nul(bytes: &[u8]) -> bool {
    all_words(bytes, |w| plain_word(w, false))
}

#[inline]
pub(crate) fn all_words(bytes: &[u8], plain: impl Fn([u8; 8]) -> bool) -> bool {
    let Some(last) = bytes.last_chunk::<8>() else {
        let mut word = [b'a'; 8];
        word.get_mut(..bytes.len())
            .unwrap_or_default()
            .copy_from_slice(bytes);
        return plain(word);
    };
    let mut chunks = bytes.chunks_exact(8);
    // The last word may overlap the one before it: checking a byte twice is harmless.
    chunks.all(|chunk| chunk.first_chunk::<8>().is_some_and(|w| plain(*w))) && plain(*last)
}

/// Whether the eight bytes are ASCII, none is U+0000 and, if `wildcards`, none is `+` or `#`.
#[inline]
pub(crate) fn plain_word(word: [u8; 8], wildcards: bool) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit for each zero byte of `x`; exact because no byte has its high bit set here.
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let x = u64::from_le_bytes(word);
    if x & HIGH != 0 || zero_bytes(x) != 0 {
        return false;
    }
    !wildcards
        || (zero_bytes(x ^ (ONES * u64::from(b'+'))) | zero_bytes(x ^ (ONES * u64::from(b'#'))))
            == 0
}

/// An MQTT UTF-8 encoded string: well-formed UTF-8, no U+0000, at most 65,535 bytes.
///
/// It holds [`Bytes`], so a decoded string is a slice of the received frame, not a copy. A byte
/// order mark is kept as it is (\[MQTT-1.5.4-3\]).
///
/// ```
/// use mqtt_proto::MqttString;
///
/// let s = MqttString::new("sensor-1").unwrap();
/// assert_eq!(s.as_str(), "sensor-1");
/// assert!(MqttString::new("nul\0").is_err());
/// assert_eq!(MqttString::from_static("x"), "x");
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MqttString(Bytes);

impl MqttString {
    /// The empty string.
    #[must_use]
    pub const fn empty() -> Self {
        Self(Bytes::new())
    }

    /// Validates and wraps `s`.
    ///
    /// # Errors
    /// [`StringError`] when `s` contains U+0000 or is longer than 65,535 bytes.
    pub fn new(s: impl Into<alloc::string::String>) -> Result<Self, StringError> {
        let s: alloc::string::String = s.into();
        validate(s.as_bytes())?;
        Ok(Self(Bytes::from(s)))
    }

    /// Wraps a static string.
    ///
    /// # Panics
    /// When `s` contains U+0000 or is longer than 65,535 bytes: it is a constant in the program.
    #[must_use]
    #[expect(
        clippy::panic,
        reason = "documented: the argument is a constant of the program"
    )]
    pub fn from_static(s: &'static str) -> Self {
        match validate(s.as_bytes()) {
            Ok(()) => Self(Bytes::from_static(s.as_bytes())),
            Err(e) => panic!("invalid MQTT string constant: {e}"),
        }
    }

    /// Validates `bytes` as an MQTT string without copying them.
    ///
    /// # Errors
    /// [`StringError`] when the bytes are not UTF-8, contain U+0000 or are too long.
    pub fn from_bytes(bytes: Bytes) -> Result<Self, StringError> {
        validate(&bytes)?;
        Ok(Self(bytes))
    }

    /// Whether the string is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl core::ops::Deref for MqttString {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

validated_text!(MqttString, 0, StringError);

/// Gives a validated-text type (UTF-8 `Bytes` in field `$field`) its accessors and the
/// conversions of a string; `$error` is what construction from a string fails with.
macro_rules! validated_text {
    ($ty:ident, $field:tt, $error:ty) => {
        impl $ty {
            /// The text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                // Validated at construction; the fallback is never taken.
                core::str::from_utf8(&self.$field).unwrap_or_default()
            }

            /// The UTF-8 bytes.
            #[must_use]
            pub fn as_bytes(&self) -> &[u8] {
                &self.$field
            }

            /// The underlying shared buffer.
            #[must_use]
            pub fn into_bytes(self) -> bytes::Bytes {
                self.$field
            }

            /// The length in bytes.
            #[must_use]
            pub fn len(&self) -> usize {
                self.$field.len()
            }
        }

        impl core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                self.as_bytes() == other.as_bytes()
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                self.as_bytes() == other.as_bytes()
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = $error;

            fn try_from(s: &str) -> Result<Self, $error> {
                Self::new(s)
            }
        }

        impl TryFrom<alloc::string::String> for $ty {
            type Error = $error;

            fn try_from(s: alloc::string::String) -> Result<Self, $error> {
                Self::new(s)
            }
        }

        impl core::str::FromStr for $ty {
            type Err = $error;

            fn from_str(s: &str) -> Result<Self, $error> {
                Self::new(s)
            }
        }

        impl From<$ty> for bytes::Bytes {
            fn from(s: $ty) -> Self {
                s.into_bytes()
            }
        }
    };
}

pub(crate) use validated_text;
