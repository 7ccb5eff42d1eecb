//! The config loader: any TOML text is loaded or refused with an error naming a key, never a
//! panic. `${env:…}` references resolve against a small fixed environment.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use regrelay_core::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = HashMap::from([
        ("SECRET".to_owned(), "s3cret".to_owned()),
        ("EMPTY".to_owned(), String::new()),
    ]);
    let _ = Config::from_toml(text, &env);
});
