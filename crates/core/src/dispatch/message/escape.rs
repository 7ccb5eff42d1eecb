//! Escaping of event fields for each chat syntax. Every value a template prints (`{{ … }}`) is
//! escaped for the syntax of the message it lands in, built-in and operator templates alike, so
//! a tag, an actor name or an unparsed time can never become a mention, a link, an image or a
//! heading. Only values a template marks `|safe` (the links regrelay derives itself) pass as is.
//!
//! * [`Syntax::Slack`]: Slack's three reserved characters as entities (`&amp;`, `&lt;`, `&gt;`),
//!   so `<!channel>` and `<https://…|text>` stay text; Slack's own escaping rules.
//! * [`Syntax::Markdown`] (DingTalk markdown and action cards, Teams text blocks and facts): a
//!   backslash (CommonMark's escape) before each character that starts link, image, emphasis,
//!   heading, table, HTML or code syntax, before `@`, before `:` in `://` and before the dot of
//!   `www.`, so no link, image or autolink can form even where a renderer shows the backslashes.
//!   The built-in markdown templates use no code spans (DingTalk renders none, so their content
//!   would be live there); the [`code`] filter escapes the same way, backticks included.
//! * [`Syntax::Plain`] (DingTalk text): no markup to escape.
//! * Slack and plain text: a word joiner (U+2060) after the colon of `://` and the dot of `www.`,
//!   since those services link bare URLs by themselves.
//!
//! In every syntax, line breaks and other control characters become spaces: a value cannot start
//! a line of its own and pose as another field.

use minijinja::value::Value;
use minijinja::{AutoEscape, Error, Output, State};

/// U+2060, invisible, breaks what chat services recognize as a URL.
const WORD_JOINER: char = '\u{2060}';

/// The syntax a message is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Plain text.
    Plain,
    /// Markdown (CommonMark-like: DingTalk, Teams).
    Markdown,
    /// Slack `mrkdwn`.
    Slack,
}

impl Syntax {
    /// Every syntax, in the order templates are registered.
    pub const ALL: [Syntax; 3] = [Syntax::Plain, Syntax::Markdown, Syntax::Slack];

    /// The suffix of a template name compiled for this syntax.
    pub fn suffix(self) -> &'static str {
        match self {
            Syntax::Plain => "plain",
            Syntax::Markdown => "md",
            Syntax::Slack => "slack",
        }
    }

    fn from_suffix(suffix: &str) -> Option<Syntax> {
        Syntax::ALL.into_iter().find(|s| s.suffix() == suffix)
    }

    /// The syntax of a template from its name (`<name>.<suffix>`).
    pub fn of_template(name: &str) -> Option<Syntax> {
        Syntax::from_suffix(name.rsplit_once('.')?.1)
    }

    /// `text` escaped for this syntax.
    pub fn escape(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 8);
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let after = &rest[c.len_utf8()..];
            match (self, c) {
                (_, c) if c.is_control() => out.push(' '),
                (Syntax::Slack, '&') => out.push_str("&amp;"),
                (Syntax::Slack, '<') => out.push_str("&lt;"),
                (Syntax::Slack, '>') => out.push_str("&gt;"),
                (Syntax::Markdown, c) if markdown_special(c, &out, after) => {
                    out.push('\\');
                    out.push(c);
                }
                // Slack and DingTalk text link bare URLs by themselves: a word joiner after the
                // scheme's colon keeps the text and loses the link.
                (Syntax::Slack | Syntax::Plain, ':') if after.starts_with("//") => {
                    out.push(':');
                    out.push(WORD_JOINER);
                }
                (Syntax::Slack | Syntax::Plain, '.')
                    if out.to_ascii_lowercase().ends_with("www") =>
                {
                    out.push('.');
                    out.push(WORD_JOINER);
                }
                _ => out.push(c),
            }
            rest = after;
        }
        out
    }

    /// `text` for a code span (between backticks): backticks become `ʼ` so the span cannot
    /// end early, then the syntax's own escaping, which still applies in Slack code spans and
    /// must apply in markdown too: DingTalk renders no code spans, so their content is live.
    pub fn code(self, text: &str) -> String {
        let text: String = text
            .chars()
            .map(|c| if c == '`' { 'ʼ' } else { c })
            .collect();
        self.escape(&text)
    }
}

/// Whether markdown needs `c` escaped, given what was written before and what follows.
fn markdown_special(c: char, before: &str, after: &str) -> bool {
    match c {
        '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '<' | '>' | '!' | '#' | '|' | '~'
        | '{' | '}' | '&' => true,
        // An e-mail autolink needs a dot after the `@`; `repo@sha256:…` stays as it is.
        '@' => after
            .split(char::is_whitespace)
            .next()
            .is_some_and(|word| word.contains('.')),
        ':' => after.starts_with("//"),
        '.' => before.to_ascii_lowercase().ends_with("www"),
        '+' | '-' | '=' => before.is_empty() || before.ends_with(' '),
        _ => false,
    }
}

/// The `code` filter: a value for a code span in the template's syntax (safe from then on).
pub fn code(state: &State, value: &Value) -> Value {
    let syntax = match state.auto_escape() {
        AutoEscape::Custom(suffix) => Syntax::from_suffix(suffix),
        _ => None,
    };
    let text = value.to_string();
    Value::from_safe_string(syntax.unwrap_or(Syntax::Plain).code(&text))
}

/// The `mrkdwn` filter, kept for operators' Slack templates: in a Slack template the value is
/// escaped once (here, not again); elsewhere the template's own escaping applies.
pub fn mrkdwn(state: &State, value: &Value) -> Value {
    match state.auto_escape() {
        AutoEscape::Custom(suffix) if suffix == Syntax::Slack.suffix() => {
            Value::from_safe_string(Syntax::Slack.escape(&value.to_string()))
        }
        _ => value.clone(),
    }
}

/// The auto-escape mode of a template: `Custom(<suffix>)` for names ending in a syntax suffix.
pub fn auto_escape(name: &str) -> AutoEscape {
    match Syntax::of_template(name) {
        Some(syntax) => AutoEscape::Custom(syntax.suffix()),
        None => AutoEscape::None,
    }
}

/// The formatter of every `{{ … }}`: escapes for the template's syntax; safe values, `none` and
/// undefined values print as minijinja prints them.
pub fn format(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    let syntax = match state.auto_escape() {
        AutoEscape::Custom(suffix) => Syntax::from_suffix(suffix),
        _ => None,
    };
    match syntax {
        Some(syntax) if !value.is_safe() && !value.is_undefined() && !value.is_none() => {
            let text = syntax.escape(&value.to_string());
            out.write_str(&text).map_err(Error::from)
        }
        Some(_) if !value.is_safe() => Ok(()),
        // Safe values (printed as they are) and templates without a syntax.
        _ => minijinja::escape_formatter(out, state, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_reserved_characters_become_entities() {
        assert_eq!(
            Syntax::Slack.escape("<!channel> & <https://evil.example|click>"),
            "&lt;!channel&gt; &amp; &lt;https:\u{2060}//evil.example|click&gt;"
        );
    }

    #[test]
    fn markdown_links_images_and_autolinks_are_broken() {
        let text =
            Syntax::Markdown.escape("![x](https://t.example/p.png) [a](b) https://e.example");
        assert!(!text.contains("]("), "{text}");
        assert!(!text.contains("https://"), "{text}");
        assert!(!text.contains("!["), "{text}");
        assert_eq!(Syntax::Markdown.escape("team/app:v1"), "team/app:v1");
        assert_eq!(
            Syntax::Markdown.escape("see www.e.example"),
            "see www\\.e.example"
        );
        assert_eq!(Syntax::Markdown.escape("a@b.example"), "a\\@b.example");
        assert_eq!(
            Syntax::Markdown.escape("repo@sha256:0123"),
            "repo@sha256:0123"
        );
        assert_eq!(Syntax::Markdown.escape("# h"), "\\# h");
        assert_eq!(Syntax::Markdown.escape("- item"), "\\- item");
        assert_eq!(Syntax::Markdown.escape("v1-rc"), "v1-rc");
    }

    #[test]
    fn code_spans_cannot_be_closed_early() {
        assert_eq!(Syntax::Markdown.code("a`b"), "aʼb");
        assert_eq!(Syntax::Markdown.code("[x](y)"), "\\[x\\]\\(y\\)");
        assert_eq!(Syntax::Slack.code("<!here>`"), "&lt;!here&gt;ʼ");
    }

    #[test]
    fn bare_urls_lose_their_link_in_slack_and_text() {
        for syntax in [Syntax::Slack, Syntax::Plain] {
            let text = syntax.escape("see https://evil.example and www.evil.example");
            assert!(!text.contains("https://"), "{text}");
            assert!(!text.contains("www.e"), "{text}");
            assert_eq!(
                text.replace(WORD_JOINER, ""),
                "see https://evil.example and www.evil.example"
            );
        }
    }

    #[test]
    fn line_breaks_cannot_start_a_new_line() {
        for syntax in Syntax::ALL {
            assert_eq!(syntax.escape("a\nb\r\tc"), "a b  c");
        }
    }
}
