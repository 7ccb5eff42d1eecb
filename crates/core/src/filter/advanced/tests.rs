use serde_json::{Value, json};

use super::AdvancedFilter;

fn filter(op: &str, key: &str, value: Option<Value>, values: Option<Value>) -> AdvancedFilter {
    let values = values.map(|v| v.as_array().cloned().unwrap());
    AdvancedFilter::new(op, key, value.as_ref(), values.as_deref()).unwrap()
}

fn many(op: &str, key: &str, values: Value) -> AdvancedFilter {
    filter(op, key, None, Some(values))
}

fn one(op: &str, key: &str, value: Value) -> AdvancedFilter {
    filter(op, key, Some(value), None)
}

fn event() -> Value {
    json!({
        "id": "e1",
        "subject": "Team/App:v1",
        "eventType": "Microsoft.ContainerRegistry.ImagePushed",
        "data": {
            "target": { "size": 3023, "length": "3023", "repository": "team/app", "tag": "v1" },
            "connectedregistry": { "name": "Edge1" },
            "flags": [1, 5, 9],
            "labels": ["prod", "eu"],
            "signed": true,
            "nothing": null
        }
    })
}

fn holds(f: &AdvancedFilter) -> bool {
    f.check(&event()).is_ok()
}

#[test]
fn number_operators() {
    assert!(holds(&many(
        "NumberIn",
        "data.target.size",
        json!([1, 3023])
    )));
    assert!(!holds(&many("NumberIn", "data.target.size", json!([1]))));
    assert!(holds(&many("NumberNotIn", "data.target.size", json!([1]))));
    assert!(holds(&one(
        "NumberLessThan",
        "data.target.size",
        json!(4000)
    )));
    assert!(!holds(&one(
        "NumberLessThan",
        "data.target.size",
        json!(3023)
    )));
    assert!(holds(&one(
        "NumberLessThanOrEquals",
        "data.target.size",
        json!(3023)
    )));
    assert!(holds(&one(
        "NumberGreaterThan",
        "data.target.size",
        json!(3022.5)
    )));
    assert!(holds(&one(
        "NumberGreaterThanOrEquals",
        "data.target.size",
        json!(3023)
    )));
    assert!(holds(&many(
        "NumberInRange",
        "data.target.size",
        json!([[0, 10], [3000, 4000]])
    )));
    assert!(!holds(&many(
        "NumberNotInRange",
        "data.target.size",
        json!([[3000, 4000]])
    )));
    assert!(holds(&many(
        "NumberNotInRange",
        "data.target.size",
        json!([[0, 10]])
    )));
}

#[test]
fn numbers_given_as_strings_compare_as_numbers() {
    assert!(holds(&many(
        "NumberIn",
        "data.target.length",
        json!([3023])
    )));
    assert!(holds(&one(
        "NumberGreaterThan",
        "data.target.length",
        json!("3000")
    )));
    assert!(
        !holds(&one(
            "NumberGreaterThan",
            "data.target.repository",
            json!(0)
        )),
        "a non-numeric string is no number"
    );
}

#[test]
fn bool_operator() {
    assert!(holds(&one("BoolEquals", "data.signed", json!(true))));
    assert!(!holds(&one("BoolEquals", "data.signed", json!(false))));
}

#[test]
fn string_operators_ignore_case() {
    assert!(holds(&many("StringContains", "subject", json!(["APP"]))));
    assert!(holds(&many(
        "StringNotContains",
        "subject",
        json!(["prod"])
    )));
    assert!(holds(&many(
        "StringBeginsWith",
        "subject",
        json!(["team/"])
    )));
    assert!(!holds(&many(
        "StringNotBeginsWith",
        "subject",
        json!(["TEAM"])
    )));
    assert!(holds(&many("StringEndsWith", "subject", json!([":V1"]))));
    assert!(holds(&many("StringNotEndsWith", "subject", json!([":v2"]))));
    assert!(holds(&many(
        "StringIn",
        "data.connectedregistry.name",
        json!(["edge1", "edge2"])
    )));
    assert!(holds(&many(
        "StringNotIn",
        "data.connectedregistry.name",
        json!(["edge2"])
    )));
    assert!(!holds(&many(
        "StringNotIn",
        "data.connectedregistry.name",
        json!(["EDGE1"])
    )));
}

#[test]
fn null_operators_and_missing_keys() {
    assert!(holds(&filter(
        "IsNotNull",
        "data.connectedregistry",
        None,
        None
    )));
    assert!(holds(&filter(
        "IsNullOrUndefined",
        "data.nothing",
        None,
        None
    )));
    assert!(holds(&filter(
        "IsNullOrUndefined",
        "data.absent.deeper",
        None,
        None
    )));
    assert!(!holds(&filter("IsNotNull", "data.nothing", None, None)));
    assert!(
        !holds(&many("StringIn", "data.absent", json!(["x"]))),
        "positive operators need a value"
    );
    assert!(
        holds(&many("StringNotIn", "data.absent", json!(["x"]))),
        "nothing to exclude"
    );
    assert!(!holds(&one("NumberGreaterThan", "data.nothing", json!(0))));
}

#[test]
fn arrays_match_any_element_and_not_operators_every_element() {
    assert!(holds(&many("NumberIn", "data.flags", json!([5]))));
    assert!(
        !holds(&many("NumberNotIn", "data.flags", json!([5]))),
        "5 is in the array"
    );
    assert!(holds(&many("NumberNotIn", "data.flags", json!([6]))));
    assert!(holds(&one("NumberGreaterThan", "data.flags", json!(8))));
    assert!(holds(&many("StringIn", "data.labels", json!(["EU"]))));
    assert!(!holds(&many(
        "StringNotContains",
        "data.labels",
        json!(["pro"])
    )));
}

#[test]
fn keys_match_either_casing_of_the_seed_filter() {
    let lower = json!({ "data": { "connectedregistry": { "name": "edge1" } } });
    let camel = json!({ "data": { "connectedRegistry": { "name": "edge1" } } });
    let none = json!({ "data": { "target": {} } });
    let not_null = filter("IsNotNull", "data.connectedregistry", None, None);
    let named = many("StringIn", "data.connectedregistry.name", json!(["edge1"]));
    for event in [&lower, &camel] {
        assert!(
            not_null.check(event).is_ok() && named.check(event).is_ok(),
            "{event}"
        );
    }
    assert!(not_null.check(&none).is_err());
    let reason = named.check(&none).unwrap_err();
    assert_eq!(
        reason,
        "data.connectedregistry.name is undefined, which fails StringIn [edge1]"
    );
}

#[test]
fn operands_are_checked_at_load() {
    let bad = [
        (
            "NumberGreaterThan",
            None,
            Some(json!([1, 2])),
            "takes one `value`",
        ),
        ("StringIn", Some(json!("x")), None, "takes a list `values`"),
        ("StringIn", None, Some(json!([])), "at least one"),
        ("NumberInRange", None, Some(json!([[5, 1]])), "is empty"),
        (
            "NumberInRange",
            None,
            Some(json!([1, 2])),
            "not a [low, high] pair",
        ),
        ("BoolEquals", Some(json!("yes")), None, "not true or false"),
        ("IsNotNull", Some(json!(1)), None, "takes no value"),
        ("StringMatches", None, None, "unknown operator"),
        (
            "NumberIn",
            None,
            Some(json!(["five"])),
            "'five' is not a number",
        ),
    ];
    for (op, value, values, needle) in bad {
        let values = values.map(|v| v.as_array().cloned().unwrap());
        let err = AdvancedFilter::new(op, "data.x", value.as_ref(), values.as_deref()).unwrap_err();
        assert!(err.contains(needle), "{op}: {err}");
    }
    assert!(AdvancedFilter::new("IsNotNull", "data..x", None, None).is_err());
    let too_many: Vec<Value> = (0..26).map(|i| json!(i)).collect();
    assert!(
        AdvancedFilter::new("NumberIn", "data.x", None, Some(&too_many))
            .unwrap_err()
            .contains("at most 25")
    );
}
