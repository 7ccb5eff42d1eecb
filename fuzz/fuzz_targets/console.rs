//! The console API's request parsers: the list query (`GET /api/events?…`: percent-decoding,
//! states, RFC 3339 times, limits) and the redrive body, on arbitrary bytes. The first byte
//! splits the input between the two.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regrelay_core::testing::parse_console_inputs;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let at = usize::from(split).min(rest.len());
    let (query, body) = rest.split_at(at);
    let query = String::from_utf8_lossy(query);
    let (filter, target) = parse_console_inputs(&query, body);
    if let Ok(filter) = filter {
        assert!((1..=500).contains(&filter.limit));
        for time in [filter.since, filter.until].into_iter().flatten() {
            assert!(time.ends_with('Z'), "times are normalized to UTC: {time}");
        }
    }
    if let Ok(Some(name)) = target {
        assert!(!name.is_empty());
    }
});
