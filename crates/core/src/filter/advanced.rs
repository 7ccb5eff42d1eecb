//! Event Grid advanced filters, evaluated on the event exactly as the sender delivered it.
//!
//! Semantics follow Event Grid's documentation: every string comparison is case-insensitive; keys
//! are dotted paths (`data.connectedregistry.name`, `subject`, `eventType`) whose segments also
//! match case-insensitively, so one filter works on `connectedregistry` and `connectedRegistry`;
//! multi-value operators are an OR over their values, and the `Not` operators an AND; when the key
//! holds an array, a positive operator matches if any element does and a `Not` operator only if no
//! element matches (Event Grid's array filtering). A missing key matches only `IsNullOrUndefined`
//! and the `Not` operators (there is nothing for them to exclude). Numbers sent as strings
//! (`"3023"`) compare as numbers.

use std::fmt;

use serde_json::Value;

/// One advanced filter, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct AdvancedFilter {
    /// Dotted key, as written.
    pub key: String,
    segments: Vec<String>,
    /// The comparison.
    pub operator: Operator,
}

/// The comparison of an advanced filter, with its operands.
#[derive(Debug, Clone, PartialEq)]
pub enum Operator {
    /// Equal to one of the numbers.
    NumberIn(Vec<f64>),
    /// Equal to none of the numbers.
    NumberNotIn(Vec<f64>),
    /// Less than the number.
    NumberLessThan(f64),
    /// Greater than the number.
    NumberGreaterThan(f64),
    /// Less than or equal to the number.
    NumberLessThanOrEquals(f64),
    /// Greater than or equal to the number.
    NumberGreaterThanOrEquals(f64),
    /// Within one of the inclusive ranges.
    NumberInRange(Vec<(f64, f64)>),
    /// Within none of the inclusive ranges.
    NumberNotInRange(Vec<(f64, f64)>),
    /// Equal to the boolean.
    BoolEquals(bool),
    /// Contains one of the strings.
    StringContains(Vec<String>),
    /// Contains none of the strings.
    StringNotContains(Vec<String>),
    /// Begins with one of the strings.
    StringBeginsWith(Vec<String>),
    /// Begins with none of the strings.
    StringNotBeginsWith(Vec<String>),
    /// Ends with one of the strings.
    StringEndsWith(Vec<String>),
    /// Ends with none of the strings.
    StringNotEndsWith(Vec<String>),
    /// Equal to one of the strings.
    StringIn(Vec<String>),
    /// Equal to none of the strings.
    StringNotIn(Vec<String>),
    /// Absent or null.
    IsNullOrUndefined,
    /// Present and not null.
    IsNotNull,
}

/// Operator names as Event Grid spells them.
pub const OPERATORS: [&str; 19] = [
    "NumberIn",
    "NumberNotIn",
    "NumberLessThan",
    "NumberGreaterThan",
    "NumberLessThanOrEquals",
    "NumberGreaterThanOrEquals",
    "NumberInRange",
    "NumberNotInRange",
    "BoolEquals",
    "StringContains",
    "StringNotContains",
    "StringBeginsWith",
    "StringNotBeginsWith",
    "StringEndsWith",
    "StringNotEndsWith",
    "StringIn",
    "StringNotIn",
    "IsNullOrUndefined",
    "IsNotNull",
];

impl AdvancedFilter {
    /// Builds a filter from its operator name, key and operands (`value` for single-value
    /// operators, `values` for the others, ranges as pairs), or says what is wrong.
    pub fn new(
        operator: &str,
        key: &str,
        value: Option<&Value>,
        values: Option<&[Value]>,
    ) -> Result<Self, String> {
        let segments: Vec<String> = key.split('.').map(str::to_owned).collect();
        if key.is_empty() || segments.iter().any(String::is_empty) {
            return Err(format!(
                "key '{key}' is not a dotted path like data.target.repository"
            ));
        }
        let operator = operands::build(operator, value, values)?;
        Ok(AdvancedFilter {
            key: key.to_owned(),
            segments,
            operator,
        })
    }

    /// `Ok` when the event satisfies the filter, else why not. `event` is the event as delivered.
    pub fn check(&self, event: &Value) -> Result<(), String> {
        let found = lookup(event, &self.segments);
        if self.holds(found) {
            Ok(())
        } else {
            Err(self.explain(found))
        }
    }

    fn holds(&self, found: Option<&Value>) -> bool {
        use Operator::*;
        match (&self.operator, found) {
            (IsNullOrUndefined, value) => value.is_none_or(Value::is_null),
            (IsNotNull, value) => value.is_some_and(|v| !v.is_null()),
            (op, None | Some(Value::Null)) => op.is_negative(),
            (op, Some(Value::Array(items))) if op.is_negative() => items.iter().all(|v| op.test(v)),
            (op, Some(Value::Array(items))) => items.iter().any(|v| op.test(v)),
            (op, Some(value)) => op.test(value),
        }
    }

    fn explain(&self, found: Option<&Value>) -> String {
        let shown = match found {
            None => "is undefined".to_owned(),
            Some(value) => format!("is {value}"),
        };
        format!("{} {shown}, which fails {}", self.key, self.operator)
    }
}

impl Operator {
    /// Whether this is a `Not` operator (matches when nothing excludes the value).
    pub fn is_negative(&self) -> bool {
        use Operator::*;
        matches!(
            self,
            NumberNotIn(_)
                | NumberNotInRange(_)
                | StringNotContains(_)
                | StringNotBeginsWith(_)
                | StringNotEndsWith(_)
                | StringNotIn(_)
        )
    }

    /// Tests one scalar value.
    fn test(&self, value: &Value) -> bool {
        use Operator::*;
        match self {
            NumberIn(set) => number(value).is_some_and(|n| set.contains(&n)),
            NumberNotIn(set) => number(value).is_none_or(|n| !set.contains(&n)),
            NumberLessThan(x) => number(value).is_some_and(|n| n < *x),
            NumberGreaterThan(x) => number(value).is_some_and(|n| n > *x),
            NumberLessThanOrEquals(x) => number(value).is_some_and(|n| n <= *x),
            NumberGreaterThanOrEquals(x) => number(value).is_some_and(|n| n >= *x),
            NumberInRange(ranges) => number(value).is_some_and(|n| in_ranges(n, ranges)),
            NumberNotInRange(ranges) => number(value).is_none_or(|n| !in_ranges(n, ranges)),
            BoolEquals(b) => boolean(value) == Some(*b),
            StringContains(set) => {
                text(value).is_some_and(|t| set.iter().any(|s| t.contains(s.as_str())))
            }
            StringNotContains(set) => {
                text(value).is_none_or(|t| !set.iter().any(|s| t.contains(s.as_str())))
            }
            StringBeginsWith(set) => {
                text(value).is_some_and(|t| set.iter().any(|s| t.starts_with(s.as_str())))
            }
            StringNotBeginsWith(set) => {
                text(value).is_none_or(|t| !set.iter().any(|s| t.starts_with(s.as_str())))
            }
            StringEndsWith(set) => {
                text(value).is_some_and(|t| set.iter().any(|s| t.ends_with(s.as_str())))
            }
            StringNotEndsWith(set) => {
                text(value).is_none_or(|t| !set.iter().any(|s| t.ends_with(s.as_str())))
            }
            StringIn(set) => text(value).is_some_and(|t| set.contains(&t)),
            StringNotIn(set) => text(value).is_none_or(|t| !set.contains(&t)),
            IsNullOrUndefined => value.is_null(),
            IsNotNull => !value.is_null(),
        }
    }
}

fn in_ranges(n: f64, ranges: &[(f64, f64)]) -> bool {
    ranges.iter().any(|(lo, hi)| *lo <= n && n <= *hi)
}

/// A number, or a string holding one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean, or the string `true`/`false` in any case.
fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A scalar as lower-case text, for case-insensitive string operators.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_lowercase()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Follows a dotted path; segments match exactly first, then case-insensitively.
pub fn lookup<'v>(value: &'v Value, segments: &[String]) -> Option<&'v Value> {
    let Some((first, rest)) = segments.split_first() else {
        return Some(value);
    };
    let object = value.as_object()?;
    let child = object.get(first.as_str()).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(first))
            .map(|(_, v)| v)
    })?;
    lookup(child, rest)
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Operator::*;
        let list = |v: &[String]| v.join(", ");
        let nums = |v: &[f64]| v.iter().map(f64::to_string).collect::<Vec<_>>().join(", ");
        let ranges = |v: &[(f64, f64)]| {
            v.iter()
                .map(|(a, b)| format!("[{a}, {b}]"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            NumberIn(v) => write!(f, "NumberIn [{}]", nums(v)),
            NumberNotIn(v) => write!(f, "NumberNotIn [{}]", nums(v)),
            NumberLessThan(x) => write!(f, "NumberLessThan {x}"),
            NumberGreaterThan(x) => write!(f, "NumberGreaterThan {x}"),
            NumberLessThanOrEquals(x) => write!(f, "NumberLessThanOrEquals {x}"),
            NumberGreaterThanOrEquals(x) => write!(f, "NumberGreaterThanOrEquals {x}"),
            NumberInRange(v) => write!(f, "NumberInRange {}", ranges(v)),
            NumberNotInRange(v) => write!(f, "NumberNotInRange {}", ranges(v)),
            BoolEquals(b) => write!(f, "BoolEquals {b}"),
            StringContains(v) => write!(f, "StringContains [{}]", list(v)),
            StringNotContains(v) => write!(f, "StringNotContains [{}]", list(v)),
            StringBeginsWith(v) => write!(f, "StringBeginsWith [{}]", list(v)),
            StringNotBeginsWith(v) => write!(f, "StringNotBeginsWith [{}]", list(v)),
            StringEndsWith(v) => write!(f, "StringEndsWith [{}]", list(v)),
            StringNotEndsWith(v) => write!(f, "StringNotEndsWith [{}]", list(v)),
            StringIn(v) => write!(f, "StringIn [{}]", list(v)),
            StringNotIn(v) => write!(f, "StringNotIn [{}]", list(v)),
            IsNullOrUndefined => f.write_str("IsNullOrUndefined"),
            IsNotNull => f.write_str("IsNotNull"),
        }
    }
}

mod operands;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
