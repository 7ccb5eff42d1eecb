//! Property tests: every string and number operator against a straightforward model of Event
//! Grid's documented semantics (case-insensitive strings, `Not` operators as the negation of
//! their positive twin, arrays as "any element" / "no element", missing keys matching only the
//! `Not` operators), on generated values and operands.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::AdvancedFilter;

/// Short ASCII words with mixed case, so that prefixes, suffixes and equality happen often.
fn word() -> impl Strategy<Value = String> {
    "[aAbB/:.-]{0,6}"
}

fn words() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(word(), 1..4)
}

fn filter(op: &str, values: &[Value]) -> AdvancedFilter {
    AdvancedFilter::new(op, "data.value", None, Some(values)).unwrap()
}

fn holds(f: &AdvancedFilter, value: Option<Value>) -> bool {
    let event = match value {
        Some(v) => json!({"data": {"value": v}}),
        None => json!({"data": {}}),
    };
    f.check(&event).is_ok()
}

/// The model of one positive string operator on one string.
fn string_model(op: &str, value: &str, operands: &[String]) -> bool {
    let value = value.to_lowercase();
    operands.iter().map(|o| o.to_lowercase()).any(|o| match op {
        "StringContains" => value.contains(&o),
        "StringBeginsWith" => value.starts_with(&o),
        "StringEndsWith" => value.ends_with(&o),
        "StringIn" => value == o,
        _ => unreachable!("{op}"),
    })
}

const STRING_OPS: [(&str, &str); 4] = [
    ("StringContains", "StringNotContains"),
    ("StringBeginsWith", "StringNotBeginsWith"),
    ("StringEndsWith", "StringNotEndsWith"),
    ("StringIn", "StringNotIn"),
];

proptest! {
    #[test]
    fn string_operators_follow_the_model(value in word(), operands in words()) {
        let json_operands: Vec<Value> = operands.iter().map(|o| json!(o)).collect();
        for (positive, negative) in STRING_OPS {
            let expected = string_model(positive, &value, &operands);
            prop_assert_eq!(holds(&filter(positive, &json_operands), Some(json!(value))), expected, "{}", positive);
            prop_assert_eq!(holds(&filter(negative, &json_operands), Some(json!(value))), !expected, "{}", negative);
        }
    }

    #[test]
    fn arrays_match_any_for_positive_and_none_for_negative(values in words(), operands in words()) {
        let json_operands: Vec<Value> = operands.iter().map(|o| json!(o)).collect();
        for (positive, negative) in STRING_OPS {
            let any = values.iter().any(|v| string_model(positive, v, &operands));
            prop_assert_eq!(holds(&filter(positive, &json_operands), Some(json!(values))), any);
            prop_assert_eq!(holds(&filter(negative, &json_operands), Some(json!(values))), !any);
        }
    }

    #[test]
    fn missing_keys_match_only_not_operators(operands in words()) {
        let json_operands: Vec<Value> = operands.iter().map(|o| json!(o)).collect();
        for (positive, negative) in STRING_OPS {
            prop_assert!(!holds(&filter(positive, &json_operands), None));
            prop_assert!(holds(&filter(negative, &json_operands), None));
        }
    }

    #[test]
    fn number_operators_follow_the_model(
        value in -1.0e6f64..1.0e6,
        operands in prop::collection::vec(-1.0e6f64..1.0e6, 1..4),
        as_text in any::<bool>(),
    ) {
        // Numbers sent as strings compare as numbers.
        let sent = if as_text { json!(value.to_string()) } else { json!(value) };
        let set: Vec<Value> = operands.iter().map(|o| json!(o)).collect();
        let x = operands[0];
        let one = |op: &str| AdvancedFilter::new(op, "data.value", Some(&json!(x)), None).unwrap();
        prop_assert_eq!(holds(&filter("NumberIn", &set), Some(sent.clone())), operands.contains(&value));
        prop_assert_eq!(holds(&filter("NumberNotIn", &set), Some(sent.clone())), !operands.contains(&value));
        prop_assert_eq!(holds(&one("NumberLessThan"), Some(sent.clone())), value < x);
        prop_assert_eq!(holds(&one("NumberGreaterThan"), Some(sent.clone())), value > x);
        prop_assert_eq!(holds(&one("NumberLessThanOrEquals"), Some(sent.clone())), value <= x);
        prop_assert_eq!(holds(&one("NumberGreaterThanOrEquals"), Some(sent.clone())), value >= x);
        let (low, high) = (x.min(value + 1.0), x.max(value + 1.0));
        let range = [json!([low, high])];
        let inside = low <= value && value <= high;
        prop_assert_eq!(holds(&filter("NumberInRange", &range), Some(sent.clone())), inside);
        prop_assert_eq!(holds(&filter("NumberNotInRange", &range), Some(sent)), !inside);
    }
}
