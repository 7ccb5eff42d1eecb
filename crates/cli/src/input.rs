//! Reading payload files for the offline commands. Documentation samples that are not quite JSON
//! (trailing commas, `//` comments) are repaired by `--lenient` with [`repair`].

use std::io::Read;

use anyhow::Context;
use http::{HeaderMap, HeaderValue};

/// Reads `path` (`-` for standard input).
pub fn read(path: &str) -> anyhow::Result<Vec<u8>> {
    if path == "-" {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .context("reading standard input")?;
        Ok(body)
    } else {
        std::fs::read(path).with_context(|| format!("reading {path}"))
    }
}

/// Headers for an offline payload: a content type, if given.
pub fn headers(content_type: Option<&str>) -> anyhow::Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    if let Some(ct) = content_type {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_str(ct).context("bad content type")?,
        );
    }
    Ok(headers)
}

pub use regrelay_core::decode::repair;
