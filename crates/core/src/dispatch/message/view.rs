//! What chat templates see: the normalized event plus the few values every message wants and no
//! template should have to compute (the `repository:tag` reference, a short digest, a readable
//! time, a portal link when one can be derived).

use serde::Serialize;

use crate::event::RegistryEvent;

/// Hex characters of a digest shown in messages.
const SHORT_DIGEST_LEN: usize = 12;
/// Where an ACR resource id starts inside an Event Grid topic or CloudEvents source.
const ACR_PROVIDER: &str = "/providers/microsoft.containerregistry/registries/";
/// The Azure portal blade of one repository of a registry.
const PORTAL_REPOSITORY: &str =
    "https://portal.azure.com/#view/Microsoft_Azure_ContainerRegistries/RepositoryBlade/id/";

/// The template context of one event. Absent values are left out (undefined in templates).
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// Event id.
    pub id: String,
    /// Full event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Action wire name (`push`, `delete`, `chart_push`, `chart_delete`).
    pub action: &'static str,
    /// Whether the action removes something.
    pub is_delete: bool,
    /// Human label of the event type, e.g. `Image pushed`.
    pub kind: String,
    /// `repository:tag`, else `repository@sha256:<short>`, else the repository or the subject.
    pub reference: String,
    /// Registry login server or name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// Repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Full digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// First 12 hex characters of the digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_digest: Option<String>,
    /// Connected registry that produced the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected_registry: Option<String>,
    /// `name version` of a Helm chart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// One push of a multi-platform image: `linux/amd64, linux/arm64/v8` (or short digests
    /// where the platform is not known), and `+ N attestation(s)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platforms: Option<String>,
    /// Event time as `YYYY-MM-DD HH:MM:SS UTC` (or as received when it does not parse).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Who caused the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// A browser link to the repository, when one can be derived (ACR: the Azure portal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The whole normalized event, for custom templates.
    pub event: RegistryEvent,
}

impl View {
    /// Builds the view of `event`.
    pub fn of(event: &RegistryEvent) -> View {
        let short_digest = event.digest.as_deref().map(short_digest);
        View {
            id: event.id.clone(),
            event_type: event.event_type.clone(),
            action: event.action.as_str(),
            is_delete: event.action.is_delete(),
            kind: kind_label(event),
            reference: reference(event, short_digest.as_deref()),
            registry: event.registry.clone(),
            repository: event.repository.clone(),
            tag: event.tag.clone(),
            digest: event.digest.clone(),
            short_digest,
            connected_registry: event.connected_registry.clone(),
            chart: event.chart.as_ref().and_then(|c| {
                let text = [c.name.as_deref(), c.version.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                (!text.is_empty()).then_some(text)
            }),
            platforms: platforms(event),
            time: readable_time(event),
            actor: event.actor.clone(),
            link: portal_link(event),
            event: event.clone(),
        }
    }
}

/// The first 12 hex characters after the algorithm prefix (`sha256:`), or of the whole value.
pub fn short_digest(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, hex)| hex);
    hex.chars().take(SHORT_DIGEST_LEN).collect()
}

/// `Image pushed`, `Helm chart deleted`; other types are humanized from their last segment.
fn kind_label(event: &RegistryEvent) -> String {
    let known = event.action.label();
    if event.event_type.starts_with("Microsoft.ContainerRegistry.") {
        return known.to_owned();
    }
    let last = event.event_type.rsplit('.').next().unwrap_or(known);
    humanize(last)
}

/// `ImageScanCompleted` → `Image scan completed`.
fn humanize(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn reference(event: &RegistryEvent, short: Option<&str>) -> String {
    match (&event.repository, &event.tag, short) {
        (Some(repo), Some(tag), _) => format!("{repo}:{tag}"),
        (Some(repo), None, Some(short)) => format!("{repo}@sha256:{short}"),
        (Some(repo), None, None) => repo.clone(),
        (None, ..) => event
            .subject
            .clone()
            .unwrap_or_else(|| "(unknown artifact)".to_owned()),
    }
}

fn platforms(event: &RegistryEvent) -> Option<String> {
    if event.platforms.is_empty() {
        return None;
    }
    let mut names: Vec<String> = event
        .platforms
        .iter()
        .map(|p| p.name().unwrap_or_else(|| short_digest(&p.digest)))
        .collect();
    if !event.attestations.is_empty() {
        names.push(format!("+ {} attestation(s)", event.attestations.len()));
    }
    Some(names.join(", "))
}

fn readable_time(event: &RegistryEvent) -> Option<String> {
    let text = event.time.as_deref().or(event.time_raw.as_deref())?;
    Some(match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(time) => time
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        Err(_) => text.to_owned(),
    })
}

/// The Azure portal's repository blade, when the event names its registry's resource id.
fn portal_link(event: &RegistryEvent) -> Option<String> {
    let source = event.source.as_deref()?;
    let start = source.to_ascii_lowercase().find(ACR_PROVIDER)?;
    let name_start = start + ACR_PROVIDER.len();
    let name_len = source[name_start..]
        .find('/')
        .unwrap_or(source.len() - name_start);
    if name_len == 0 {
        return None;
    }
    let resource_id = &source[..name_start + name_len];
    let repository = event.repository.as_deref()?;
    Some(format!(
        "{PORTAL_REPOSITORY}{}/repository/{}",
        encode(resource_id),
        encode(repository)
    ))
}

fn encode(text: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_digest_takes_twelve_hex_characters() {
        assert_eq!(
            short_digest("sha256:213bbc182920ab41e18edc"),
            "213bbc182920"
        );
        assert_eq!(short_digest("abc"), "abc");
    }

    #[test]
    fn humanizes_unknown_types() {
        assert_eq!(humanize("ImageScanCompleted"), "Image scan completed");
    }
}
