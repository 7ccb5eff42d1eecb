//! Template rendering: an operator's template compiled and rendered for every syntax against the
//! sample events (what the config load does), and event text escaped for every chat syntax.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regrelay_core::testing::{Messages, Style, Syntax, View};
use regrelay_core::{Action, RegistryEvent, Schema};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for syntax in Syntax::ALL {
        let escaped = syntax.escape(text);
        assert!(!escaped.contains('\n'), "a value cannot start a line");
        let _ = syntax.code(text);
    }
    let mut event = RegistryEvent::new("fuzz", "ImagePushed", Action::Push, Schema::EventGrid);
    event.tag = Some(text.to_owned());
    event.time_raw = Some(text.to_owned());
    event.actor = Some(text.to_owned());
    let view = View::of(&event);
    // The load path (compile for every syntax, try the samples), then one delivery-time render
    // with hostile fields in each syntax.
    if let Ok(messages) = Messages::new(Some(text)) {
        for syntax in Syntax::ALL {
            let _ = messages.body(Style::Markdown, syntax, &view);
        }
    }
    if let Ok(built_ins) = Messages::new(None) {
        let _ = built_ins.builtin(Style::Markdown, Syntax::Markdown, &view);
    }
});
