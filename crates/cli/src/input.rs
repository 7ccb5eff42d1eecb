//! Reading payload files for the offline commands, including documentation samples that are not
//! quite JSON (trailing commas, `//` comments), which `--lenient` repairs before parsing.

use std::io::Read;

use anyhow::Context;
use http::{HeaderMap, HeaderValue};

/// Reads `path` (`-` for standard input).
pub fn read(path: &str) -> anyhow::Result<Vec<u8>> {
    if path == "-" {
        let mut body = Vec::new();
        std::io::stdin().read_to_end(&mut body).context("reading standard input")?;
        Ok(body)
    } else {
        std::fs::read(path).with_context(|| format!("reading {path}"))
    }
}

/// Headers for an offline payload: a content type, if given.
pub fn headers(content_type: Option<&str>) -> anyhow::Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    if let Some(ct) = content_type {
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_str(ct).context("bad content type")?);
    }
    Ok(headers)
}

/// Removes `//` line comments and commas that directly precede `}` or `]`, outside strings.
pub fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            ',' if next_significant(chars.clone()).is_some_and(|n| n == '}' || n == ']') => {}
            _ => out.push(c),
        }
    }
    out
}

fn next_significant(mut chars: impl Iterator<Item = char>) -> Option<char> {
    chars.find(|c| !c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::repair;

    #[test]
    fn repairs_doc_samples_but_not_strings() {
        assert_eq!(repair(r#"{"a": 1, // note
}"#), "{\"a\": 1 \n}");
        assert_eq!(repair(r#"[{"a": "x,}", "b": [1,2,],},]"#), r#"[{"a": "x,}", "b": [1,2]}]"#);
        assert_eq!(repair(r#"{"u": "http://x"}"#), r#"{"u": "http://x"}"#);
        assert_eq!(repair(r#"{"q": "a\"b,]"}"#), r#"{"q": "a\"b,]"}"#);
    }
}
