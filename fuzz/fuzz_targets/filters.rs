//! Advanced-filter evaluation: a filter built from the input (operator, key, operands) checked
//! against an event (JSON) from the input. Input: `<operator index><key>\n<operands JSON>\n<event>`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regrelay_core::testing::{AdvancedFilter, OPERATORS};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(3, '\n');
    let (Some(key), Some(operands), Some(event)) = (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let operator = OPERATORS[usize::from(pick) % OPERATORS.len()];
    let operands: Value = serde_json::from_str(operands).unwrap_or(Value::Null);
    let values = operands.as_array().map(Vec::as_slice);
    let Ok(filter) = AdvancedFilter::new(operator, key, Some(&operands), values) else {
        return;
    };
    if let Ok(event) = serde_json::from_str::<Value>(event) {
        let _ = filter.check(&event);
    }
});
