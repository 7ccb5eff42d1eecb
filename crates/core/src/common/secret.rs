//! Secrets and `${env:NAME}` references in configuration values.
//!
//! Operators keep secrets out of config files by writing `${env:NAME}`; regrelay substitutes the
//! environment variable once, at load. A [`Secret`] never prints its value: `Debug` and `Display`
//! show `[redacted]`, so a logged config or error cannot leak it.

use std::fmt;

use super::error::ConfigError;

/// A secret string whose `Debug`/`Display` are redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value, for the one place that must use it (a signature, a header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where `${env:NAME}` references are looked up (the process environment, or a map in tests).
pub trait Env {
    /// The value of variable `name`, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<S: std::hash::BuildHasher> Env for std::collections::HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Replaces every `${env:NAME}` in `value`; `key` names the config key for errors.
pub fn expand(value: &str, key: &str, env: &dyn Env) -> Result<String, ConfigError> {
    const OPEN: &str = "${env:";
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let end = after
            .find('}')
            .ok_or_else(|| ConfigError::invalid(key, "unterminated '${env:' reference"))?;
        let name = &after[..end];
        if name.is_empty() {
            return Err(ConfigError::invalid(
                key,
                "empty variable name in '${env:}'",
            ));
        }
        let found = env.var(name).ok_or_else(|| {
            ConfigError::invalid(key, format!("environment variable {name} is not set"))
        })?;
        out.push_str(&found);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn expands_references_and_names_missing_ones() {
        let env: HashMap<String, String> = [("TOKEN".to_owned(), "abc".to_owned())].into();
        assert_eq!(
            expand("https://x/?t=${env:TOKEN}&a=1", "k", &env).unwrap(),
            "https://x/?t=abc&a=1"
        );
        assert_eq!(expand("plain", "k", &env).unwrap(), "plain");
        let err = expand("${env:MISSING}", "targets[0].url", &env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("targets[0].url") && err.contains("MISSING"),
            "{err}"
        );
        assert!(expand("${env:TOKEN", "k", &env).is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
    }
}
