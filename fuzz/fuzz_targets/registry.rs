//! What enrichment reads from a registry: `WWW-Authenticate` challenges and image indexes, on
//! arbitrary bytes. The first byte picks the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regrelay_core::testing::{parse_challenge, parse_index};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    if pick % 2 == 0 {
        let text = String::from_utf8_lossy(rest);
        if let Some(regrelay_core::testing::Challenge::Bearer { realm, .. }) = parse_challenge(&text) {
            assert!(text.len() <= 4096, "longer challenges are refused");
            assert!(realm.len() <= text.len());
        }
    } else if let Ok(info) = parse_index(rest) {
        // Every descriptor lands in exactly one list.
        assert!(info.platforms.len() + info.attestations.len() <= rest.len());
    }
});
