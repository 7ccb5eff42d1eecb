//! Alibaba Cloud EventBridge events from Container Registry (`source` `acs.cr`, types
//! `cr:Artifact:*`): a CloudEvents 1.0 envelope with `aliyun*` extensions and a PascalCase `data`.
//!
//! Only the `BuildCompleted` sample is published; the other types' fields are UNCONFIRMED, so
//! `data` is read as a plain JSON object with case-insensitive keys (`RepoName`, `repoName`,
//! `repo_name` all match) and every field is optional.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::wire::WireEvent;

/// `source` of Container Registry events.
pub const SOURCE: &str = "acs.cr";
/// Prefix of Container Registry event types.
pub const TYPE_PREFIX: &str = "cr:";

/// The parts of an Alibaba EventBridge event regrelay reads beyond the CloudEvents attributes.
#[derive(Debug, Default, Deserialize)]
pub struct AlibabaEvent {
    /// Account id extension.
    #[serde(default)]
    pub aliyunaccountid: Option<Value>,
    /// Region extension.
    #[serde(default)]
    pub aliyunregionid: Option<Value>,
    /// Publish time extension (`…PRC` in samples).
    #[serde(default)]
    pub aliyunpublishtime: Option<Value>,
    /// The Container Registry data.
    #[serde(default)]
    pub data: Option<Value>,
}

/// Whether an event came through Alibaba Cloud EventBridge: an `acs.*` source or a `cr:` type.
pub fn is_eventbridge(wire: &WireEvent<'_>) -> bool {
    let source = wire.source.as_deref().unwrap_or_default();
    let kind = wire.kind().unwrap_or_default();
    source
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("acs."))
        || kind.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("cr:"))
}

/// `data` with case-insensitive, separator-insensitive key lookup.
#[derive(Debug, Default)]
pub struct Fields(Map<String, Value>);

impl Fields {
    /// The data object of an event (empty when `data` is absent or not an object; a JSON string
    /// holding an object is decoded).
    pub fn new(data: Option<Value>) -> Self {
        match data {
            Some(Value::Object(map)) => Fields(map),
            Some(Value::String(text)) => match serde_json::from_str(&text) {
                Ok(Value::Object(map)) => Fields(map),
                _ => Fields::default(),
            },
            _ => Fields::default(),
        }
    }

    /// The first non-empty text value among `names` (numbers rendered as text).
    pub fn text(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|name| {
            let value = self.get(name)?;
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            (!text.is_empty()).then_some(text)
        })
    }

    /// The first count among `names` (a non-negative integer, or a string holding one).
    pub fn count(&self, names: &[&str]) -> Option<u64> {
        names.iter().find_map(|name| match self.get(name)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    }

    /// The value of the first key ending in `status` (`BuildStatus`, `ScanStatus`, `Status`…).
    pub fn status(&self) -> Option<String> {
        self.0.iter().find_map(|(key, value)| {
            let key = fold(key);
            (key.ends_with("status") && !key.ends_with("statusdesc"))
                .then(|| value.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
                .flatten()
        })
    }

    fn get(&self, name: &str) -> Option<&Value> {
        let wanted = fold(name);
        self.0
            .iter()
            .find(|(key, _)| fold(key) == wanted)
            .map(|(_, value)| value)
    }
}

/// `RepoName`, `repoName`, `repo_name` → `reponame`.
fn fold(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// A JSON value as text (strings as-is, numbers rendered).
pub fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_whatever_their_case() {
        let data = serde_json::json!({"RepoName": "app", "repo_namespace_name": "team", "BuildStatus": "SUCCESS", "Size": 12});
        let fields = Fields::new(Some(data));
        assert_eq!(fields.text(&["repoName"]).as_deref(), Some("app"));
        assert_eq!(fields.text(&["RepoNamespaceName"]).as_deref(), Some("team"));
        assert_eq!(fields.text(&["size"]).as_deref(), Some("12"));
        assert_eq!(fields.status().as_deref(), Some("SUCCESS"));
        assert_eq!(Fields::new(None).text(&["x"]), None);
    }
}
