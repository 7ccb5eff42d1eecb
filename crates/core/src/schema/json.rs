//! JSON plumbing shared by the formats: one-pass decoding of event arrays that keeps each
//! element's exact text, and error messages that locate the problem in the whole body.

use super::wire::WireEvent;
use super::{Parsed, SchemaError, checked};

/// Decodes a JSON array of events in one pass, keeping each element's exact text.
///
/// Each element is decoded straight from the body with a streaming deserializer, whose byte offset
/// gives the element's extent: no second scan of the body is needed to keep the raw text.
pub(super) fn parse_array(text: &str) -> Result<Vec<Parsed<'_>>, SchemaError> {
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    if bytes.get(pos) != Some(&b'[') {
        return Err(syntax(text, pos, "expected '['"));
    }
    pos = skip_ws(bytes, pos + 1);
    let mut events = Vec::new();
    if bytes.get(pos) == Some(&b']') {
        return finish(text, pos + 1, events);
    }
    loop {
        let index = events.len();
        match bytes.get(pos) {
            Some(b'{') => {}
            Some(b']') if index > 0 => return Err(syntax(text, pos, "trailing comma")),
            None => return Err(syntax(text, pos, "EOF while parsing a list")),
            Some(_) => return Err(element_error(text, pos, index)),
        }
        let mut stream =
            serde_json::Deserializer::from_str(&text[pos..]).into_iter::<WireEvent<'_>>();
        let wire = match stream.next() {
            Some(Ok(wire)) => wire,
            Some(Err(error)) => return Err(located(text, pos, &error)),
            None => return Err(syntax(text, pos, "EOF while parsing a list")),
        };
        let end = pos + stream.byte_offset();
        events.push(checked(wire, &text[pos..end], index)?);
        pos = skip_ws(bytes, end);
        match bytes.get(pos) {
            Some(b',') => pos = skip_ws(bytes, pos + 1),
            Some(b']') => return finish(text, pos + 1, events),
            None => return Err(syntax(text, pos, "EOF while parsing a list")),
            _ => return Err(syntax(text, pos, "expected ',' or ']'")),
        }
    }
}

/// Accepts the array only if nothing but whitespace follows it.
fn finish<'a>(
    text: &'a str,
    pos: usize,
    events: Vec<Parsed<'a>>,
) -> Result<Vec<Parsed<'a>>, SchemaError> {
    let pos = skip_ws(text.as_bytes(), pos);
    if pos < text.len() {
        return Err(syntax(text, pos, "trailing characters"));
    }
    Ok(events)
}

/// A non-object element: a JSON error if it is not even JSON, else "not an object".
fn element_error(text: &str, pos: usize, index: usize) -> SchemaError {
    let mut stream =
        serde_json::Deserializer::from_str(&text[pos..]).into_iter::<serde::de::IgnoredAny>();
    match stream.next() {
        Some(Err(error)) => located(text, pos, &error),
        _ => SchemaError::malformed(format!("event[{index}] is not a JSON object")),
    }
}

pub(super) fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}

/// Line and column (1-based) of byte `pos`.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let before = &text[..pos.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

pub(super) fn syntax(text: &str, pos: usize, what: &str) -> SchemaError {
    let (line, column) = line_col(text, pos);
    SchemaError::malformed(format!(
        "body is not valid JSON: {what} at line {line} column {column}"
    ))
}

/// A serde error inside the element starting at `base`, located in the whole body.
pub(super) fn located(text: &str, base: usize, error: &serde_json::Error) -> SchemaError {
    let (base_line, base_column) = line_col(text, base);
    let line = base_line + error.line().saturating_sub(1);
    let column = if error.line() <= 1 {
        base_column + error.column().saturating_sub(1)
    } else {
        error.column()
    };
    let message = error.to_string();
    let what = message.split(" at line ").next().unwrap_or(&message);
    SchemaError::malformed(format!(
        "body is not valid JSON: {what} at line {line} column {column}"
    ))
}
