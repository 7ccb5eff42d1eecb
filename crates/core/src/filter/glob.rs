//! `*` wildcards for repository names, tags and digests, compiled once.
//!
//! `*` matches any run of characters, `/` included, so `path/to/repo/*` matches every repository
//! below `path/to/repo`. There are no other special characters.

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    parts: Vec<String>,
}

impl Glob {
    /// Compiles `text`.
    pub fn new(text: &str) -> Self {
        Glob {
            text: text.to_owned(),
            parts: text.split('*').map(str::to_owned).collect(),
        }
    }

    /// Whether `value` matches the whole pattern.
    pub fn matches(&self, value: &str) -> bool {
        let [first, middle @ .., last] = self.parts.as_slice() else {
            return self.text == value; // no `*`: one part
        };
        let Some(mut rest) = value.strip_prefix(first.as_str()) else {
            return false;
        };
        for part in middle {
            match rest.find(part.as_str()) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        rest.len() >= last.len() && rest.ends_with(last.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn wildcards_match_runs() {
        let cases = [
            ("*", "anything/at/all", true),
            ("path/to/repo/*", "path/to/repo/app", true),
            ("path/to/repo/*", "path/to/repo/a/b", true),
            ("path/to/repo/*", "path/to/repo", false),
            ("hello-world", "hello-world", true),
            ("hello-world", "hello-world2", false),
            ("v*.*", "v1.2", true),
            ("v*.*", "v12", false),
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("sha256:ab*", "sha256:abcdef", true),
        ];
        for (pattern, value, want) in cases {
            assert_eq!(
                Glob::new(pattern).matches(value),
                want,
                "{pattern} ~ {value}"
            );
        }
    }
}
