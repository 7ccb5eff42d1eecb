//! Validating an advanced filter's operands as operators write them in TOML: single-value
//! operators take `value`, the others `values` (ranges as `[low, high]` pairs), and
//! `IsNullOrUndefined`/`IsNotNull` take none.

use serde_json::Value;

use super::{OPERATORS, Operator};

/// Most values a multi-value operator takes (Event Grid allows 25 in total per subscription).
const MAX_VALUES: usize = 25;

/// Builds the operator with its operands, or says what is wrong.
pub fn build(
    name: &str,
    value: Option<&Value>,
    values: Option<&[Value]>,
) -> Result<Operator, String> {
    use Operator::*;
    let op = match name {
        "NumberIn" => NumberIn(many(name, value, values, num)?),
        "NumberNotIn" => NumberNotIn(many(name, value, values, num)?),
        "NumberLessThan" => NumberLessThan(one(name, value, values, num)?),
        "NumberGreaterThan" => NumberGreaterThan(one(name, value, values, num)?),
        "NumberLessThanOrEquals" => NumberLessThanOrEquals(one(name, value, values, num)?),
        "NumberGreaterThanOrEquals" => NumberGreaterThanOrEquals(one(name, value, values, num)?),
        "NumberInRange" => NumberInRange(many(name, value, values, range)?),
        "NumberNotInRange" => NumberNotInRange(many(name, value, values, range)?),
        "BoolEquals" => BoolEquals(one(name, value, values, boolean)?),
        "StringContains" => StringContains(many(name, value, values, text)?),
        "StringNotContains" => StringNotContains(many(name, value, values, text)?),
        "StringBeginsWith" => StringBeginsWith(many(name, value, values, text)?),
        "StringNotBeginsWith" => StringNotBeginsWith(many(name, value, values, text)?),
        "StringEndsWith" => StringEndsWith(many(name, value, values, text)?),
        "StringNotEndsWith" => StringNotEndsWith(many(name, value, values, text)?),
        "StringIn" => StringIn(many(name, value, values, text)?),
        "StringNotIn" => StringNotIn(many(name, value, values, text)?),
        "IsNullOrUndefined" => none(name, value, values, IsNullOrUndefined)?,
        "IsNotNull" => none(name, value, values, IsNotNull)?,
        other => {
            return Err(format!(
                "unknown operator '{other}' (one of {})",
                OPERATORS.join(", ")
            ));
        }
    };
    Ok(op)
}

fn one<T>(
    name: &str,
    value: Option<&Value>,
    values: Option<&[Value]>,
    read: fn(&Value) -> Result<T, String>,
) -> Result<T, String> {
    match (value, values) {
        (Some(v), None) => read(v),
        (_, Some(_)) => Err(format!("{name} takes one `value`, not `values`")),
        (None, None) => Err(format!("{name} needs a `value`")),
    }
}

fn many<T>(
    name: &str,
    value: Option<&Value>,
    values: Option<&[Value]>,
    read: fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    match (value, values) {
        (None, Some([])) => Err(format!("{name} needs at least one of `values`")),
        (None, Some(vs)) if vs.len() > MAX_VALUES => Err(format!(
            "{name} takes at most {MAX_VALUES} values, got {}",
            vs.len()
        )),
        (None, Some(vs)) => vs.iter().map(read).collect(),
        (Some(_), _) => Err(format!("{name} takes a list `values`, not `value`")),
        (None, None) => Err(format!("{name} needs `values`")),
    }
}

fn none(
    name: &str,
    value: Option<&Value>,
    values: Option<&[Value]>,
    op: Operator,
) -> Result<Operator, String> {
    if value.is_some() || values.is_some() {
        return Err(format!("{name} takes no value"));
    }
    Ok(op)
}

fn num(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{n} is not a usable number")),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("'{s}' is not a number")),
        other => Err(format!("{other} is not a number")),
    }
}

fn range(value: &Value) -> Result<(f64, f64), String> {
    let pair = value
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| format!("{value} is not a [low, high] pair"))?;
    let (low, high) = (num(&pair[0])?, num(&pair[1])?);
    if low > high {
        return Err(format!("range [{low}, {high}] is empty: low is above high"));
    }
    Ok((low, high))
}

fn boolean(value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("{value} is not true or false"))
}

/// Strings are compared case-insensitively, so they are stored lower-cased.
fn text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) if s.len() <= 512 => Ok(s.to_lowercase()),
        Value::String(_) => Err("string values are limited to 512 characters".into()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("{other} is not a string")),
    }
}
