//! Forgiving field decoders for sender payloads.
//!
//! Real payloads carry nulls, empty objects, numbers where strings were documented and strings where
//! numbers were. These decoders turn such oddities into `None` (or a textual form) instead of failing
//! the whole event, while still borrowing from the input when no unescaping is needed.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A text field of a sender's payload, read leniently: absent or null is `None`; a number or a
/// boolean is rendered as text; an object or array (an unexpected shape) is treated as absent
/// rather than failing the whole event. Borrowed from the body when it can be.
///
/// Dereferences to `Option<Cow<str>>`, so `field.as_deref()` and [`owned`] read it directly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// A present value.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Self {
        Text(Some(text.into()))
    }
}

impl<'a> From<Option<Cow<'a, str>>> for Text<'a> {
    fn from(text: Option<Cow<'a, str>>) -> Self {
        Text(text)
    }
}

impl<'a> std::ops::Deref for Text<'a> {
    type Target = Option<Cow<'a, str>>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor).map(Text)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(if v { "true" } else { "false" })))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// A non-negative integer that may be absent, null, a float with no fraction, or a numeric string.
/// Anything else is treated as absent.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(d.deserialize_any(TextVisitor)?
        .and_then(|text| parse_u64(&text)))
}

fn parse_u64(text: &str) -> Option<u64> {
    let text = text.trim();
    text.parse::<u64>().ok().or_else(|| {
        let float = text.parse::<f64>().ok()?;
        let whole = float.is_finite() && float >= 0.0 && float.fract() == 0.0 && float < 1.8e19;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        whole.then_some(float as u64)
    })
}

/// An object decoded as `T`, or `None` when the value is null or not an object at all.
///
/// Errors inside the object (a field of the wrong type that `T` does not tolerate) still fail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Obj<T>(pub Option<T>);

impl<T> Obj<T> {
    /// The decoded object, if there was one.
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|v| Obj(Some(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Obj(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
}

/// Turns an optional borrowed text into an owned, non-empty `String`.
///
/// Empty strings count as absent: senders use `""` for "not set".
pub fn owned(text: &Option<Cow<'_, str>>) -> Option<String> {
    text.as_deref().filter(|t| !t.is_empty()).map(str::to_owned)
}

/// Repairs documentation samples that are not quite JSON: removes `//` line comments and commas that directly precede `}` or `]`, outside strings.
pub fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            ',' if next_significant(chars.clone()).is_some_and(|n| n == '}' || n == ']') => {}
            _ => out.push(c),
        }
    }
    out
}

fn next_significant(mut chars: impl Iterator<Item = char>) -> Option<char> {
    loop {
        match chars.next()? {
            c if c.is_whitespace() => {}
            '/' => {
                // A `//` comment: skip to the end of the line.
                chars.by_ref().find(|&c| c == '\n')?;
            }
            c => return Some(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        s: Text<'a>,
        #[serde(default, deserialize_with = "opt_u64")]
        n: Option<u64>,
    }

    #[test]
    fn text_takes_odd_shapes() {
        let cases = [
            (r#"{"s":"x"}"#, Some("x")),
            (r#"{"s":null}"#, None),
            (r#"{"s":12}"#, Some("12")),
            (r#"{"s":true}"#, Some("true")),
            (r#"{"s":{"a":1}}"#, None),
            (r#"{"s":[1]}"#, None),
            (r#"{}"#, None),
        ];
        for (json, want) in cases {
            let probe: Probe<'_> = serde_json::from_str(json).unwrap();
            assert_eq!(probe.s.as_deref(), want, "{json}");
        }
    }

    #[test]
    fn numbers_take_strings_and_whole_floats() {
        let cases = [
            (r#"{"n":3023}"#, Some(3023)),
            (r#"{"n":"3023"}"#, Some(3023)),
            (r#"{"n":3023.0}"#, Some(3023)),
            (r#"{"n":-1}"#, None),
            (r#"{"n":"big"}"#, None),
            (r#"{"n":null}"#, None),
        ];
        for (json, want) in cases {
            let probe: Probe<'_> = serde_json::from_str(json).unwrap();
            assert_eq!(probe.n, want, "{json}");
        }
    }

    #[test]
    fn borrowed_when_no_escapes() {
        let json = r#"{"s":"plain"}"#;
        let probe: Probe<'_> = serde_json::from_str(json).unwrap();
        assert!(matches!(probe.s.0, Some(Cow::Borrowed(_))));
    }

    #[test]
    fn repairs_doc_samples_but_not_strings() {
        assert_eq!(
            repair(
                r#"{"a": 1, // note
}"#
            ),
            "{\"a\": 1 \n}"
        );
        assert_eq!(
            repair(r#"[{"a": "x,}", "b": [1,2,],},]"#),
            r#"[{"a": "x,}", "b": [1,2]}]"#
        );
        assert_eq!(repair(r#"{"u": "http://x"}"#), r#"{"u": "http://x"}"#);
        assert_eq!(repair(r#"{"q": "a\"b,]"}"#), r#"{"q": "a\"b,]"}"#);
    }
}
