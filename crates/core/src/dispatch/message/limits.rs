//! What keeps an operator's template from hurting the process: no `*` repetition, a fuel budget
//! of instructions per render, and a cap on the bytes one render writes. All three were found
//! necessary by fuzzing the template loader.

/// Most bytes one render may produce: far above what any chat target accepts (DingTalk 20 KB,
/// Teams 28 KB, Slack 40,000 characters), far below what hurts the process.
pub(super) const MAX_RENDERED: usize = 256 * 1024;

/// Renders into a buffer of at most [`MAX_RENDERED`] bytes; a template that writes more fails.
pub(super) fn bounded_render(
    template: &minijinja::Template<'_, '_>,
    context: impl serde::Serialize,
) -> Result<String, minijinja::Error> {
    struct Capped(Vec<u8>);
    impl std::io::Write for Capped {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.0.len() + bytes.len() > MAX_RENDERED {
                return Err(std::io::Error::other("rendered text too long"));
            }
            self.0.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Capped(Vec::new());
    template.render_captured_to(context, &mut out)?;
    let text = String::from_utf8_lossy(&out.0);
    Ok(text.trim().to_owned())
}

/// Instructions one render may run: the built-ins need a few hundred (a 50-event digest a few
/// thousand); a template that loops without end stops here with an error.
pub(super) const FUEL: u64 = 50_000;

/// Refuses the `*` operator in a template's expressions (`**` stays): minijinja repeats a
/// sequence `n` times without bound, and `n * ()` would spin for as long as `n` says inside one
/// instruction, where fuel cannot stop it. Strings, comments and text are not looked at.
pub(super) fn no_repetition(source: &str) -> Result<(), String> {
    let mut chars = source.chars().peekable();
    let mut in_code = false;
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match (in_code, quote, c, next) {
            (false, _, '{', Some('{' | '%')) => {
                chars.next();
                in_code = true;
            }
            (false, _, '{', Some('#')) => {
                // A comment: skip to its end.
                let mut previous = ' ';
                for c in chars.by_ref() {
                    if previous == '#' && c == '}' {
                        break;
                    }
                    previous = c;
                }
            }
            (true, None, '}' | '%', Some('}')) => {
                chars.next();
                in_code = false;
            }
            (true, None, '"' | '\'', _) => quote = Some(c),
            (true, Some(_), '\\', _) => {
                chars.next();
            }
            (true, Some(q), c, _) if q == c => quote = None,
            (true, None, '*', Some('*')) => {
                chars.next();
            }
            (true, None, '*', _) => {
                return Err(
                    "the * operator is not available in templates (repeating a sequence can run without end)"
                        .into(),
                );
            }
            _ => {}
        }
    }
    Ok(())
}
