//! Delivery queue messages: a work item as text (possibly JSON-string encoded by the Functions
//! host), an SQS event from Lambda's event source mapping, a Storage queue Get Messages reply.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regrelay_core::testing::parse_messages;
use regrelay_core::{WorkItem, parse_sqs_event};

fuzz_target!(|data: &[u8]| {
    let _ = parse_sqs_event(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(item) = WorkItem::parse(text) {
            // What parses round-trips.
            assert_eq!(WorkItem::parse(&item.to_text()).ok(), Some(item.clone()));
            let _ = item.early(i64::MAX);
            let _ = item.early(i64::MIN);
        }
        let _ = parse_messages(text);
    }
});
