//! The two things enrichment reads from a registry, parsed strictly: a `WWW-Authenticate`
//! challenge (RFC 7235: a scheme, then `name=value` pairs, values quoted or bare) and an image
//! index (its manifests: platforms, and the attestations BuildKit adds).

use serde::Deserialize;

use crate::event::Platform;

/// Longest challenge header read.
const MAX_CHALLENGE: usize = 4096;

/// How the registry wants to be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// Basic credentials on the request itself.
    Basic,
    /// A token from `realm` (with `service` and `scope`), sent as `Bearer`.
    Bearer {
        /// Token service URL.
        realm: String,
        /// `service` parameter, if given.
        service: Option<String>,
        /// `scope` parameter, if given.
        scope: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` value; `None` when it is neither a Basic nor a Bearer challenge
/// with a realm, or not well formed.
pub fn challenge(header: &str) -> Option<Challenge> {
    if header.len() > MAX_CHALLENGE {
        return None;
    }
    let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    let params = params(rest)?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    Some(Challenge::Bearer {
        realm: get("realm")?,
        service: get("service"),
        scope: get("scope"),
    })
}

/// `a="x", b=y` → pairs; `None` on a malformed list.
fn params(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            if !(c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                return None;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() || chars.next() != Some('=') {
            return None;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => value.push(chars.next()?),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c == ' ' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((name, value));
    }
}

/// What an image index says about its manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexInfo {
    /// The platform manifests.
    pub platforms: Vec<Platform>,
    /// The attestation manifests' digests.
    pub attestations: Vec<String>,
}

#[derive(Deserialize)]
struct Index {
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    platform: Option<WirePlatform>,
    #[serde(default)]
    annotations: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct WirePlatform {
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    variant: Option<String>,
}

/// Parses an image index or manifest list: descriptors annotated as attestations (BuildKit's
/// `vnd.docker.reference.type: attestation-manifest`), or for platform `unknown/unknown`, are
/// attestations; the others are platforms.
pub fn index(body: &[u8]) -> Result<IndexInfo, String> {
    let index: Index = serde_json::from_slice(body)
        .map_err(|e| format!("the index is not an image index: {e}"))?;
    let mut info = IndexInfo::default();
    for m in index.manifests {
        let attestation = m.annotations.as_ref().is_some_and(|a| {
            a.get("vnd.docker.reference.type").map(String::as_str) == Some("attestation-manifest")
        });
        let platform = m.platform.unwrap_or(WirePlatform {
            os: None,
            architecture: None,
            variant: None,
        });
        let unknown = platform.os.as_deref() == Some("unknown")
            && platform.architecture.as_deref() == Some("unknown");
        if attestation || unknown {
            info.attestations.push(m.digest);
        } else {
            info.platforms.push(Platform {
                os: platform.os,
                architecture: platform.architecture,
                variant: platform.variant,
                digest: m.digest,
            });
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::{Challenge, challenge, index};

    #[test]
    fn challenges_as_registries_send_them() {
        assert_eq!(
            challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into()),
            })
        );
        assert_eq!(
            challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            challenge(r#"bearer realm=https://h/t, scope="a\"b""#),
            Some(Challenge::Bearer {
                realm: "https://h/t".into(),
                service: None,
                scope: Some("a\"b".into())
            })
        );
        for bad in [
            "Bearer service=x",
            "Negotiate",
            r#"Bearer realm="open"#,
            "Bearer =x",
            "Bearer re alm=x",
        ] {
            assert_eq!(challenge(bad), None, "{bad}");
        }
    }

    #[test]
    fn indexes_split_platforms_and_attestations() {
        let body = br#"{"schemaVersion":2,"manifests":[
          {"digest":"sha256:a","platform":{"os":"linux","architecture":"amd64"}},
          {"digest":"sha256:b","platform":{"os":"linux","architecture":"arm","variant":"v7"}},
          {"digest":"sha256:c","platform":{"os":"unknown","architecture":"unknown"},
           "annotations":{"vnd.docker.reference.type":"attestation-manifest"}}]}"#;
        let info = index(body).unwrap();
        assert_eq!(info.platforms.len(), 2);
        assert_eq!(info.platforms[1].variant.as_deref(), Some("v7"));
        assert_eq!(info.attestations, ["sha256:c"]);
        assert!(index(b"{}").is_err());
    }
}
