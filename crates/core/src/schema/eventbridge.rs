//! Amazon EventBridge events (`version`, `id`, `detail-type`, `source`, `account`, `time`,
//! `region`, `resources`, `detail`), as a direct Lambda invocation, an API destination's body or an
//! SNS message, and the ECR (and Inspector) `detail` objects regrelay reads.
//!
//! Field names are kebab-case as in the ECR user guide's samples; every field is optional and
//! decoded leniently.

use serde::Deserialize;

use super::lenient::{self, Obj, Text};

/// One EventBridge event.
#[derive(Debug, Default, Deserialize)]
pub struct EventBridgeEvent<'a> {
    /// Event id.
    #[serde(borrow, default)]
    pub id: Text<'a>,
    /// Detail type, e.g. `ECR Image Action`.
    #[serde(borrow, default, rename = "detail-type")]
    pub detail_type: Text<'a>,
    /// Source, e.g. `aws.ecr`.
    #[serde(borrow, default)]
    pub source: Text<'a>,
    /// AWS account id.
    #[serde(borrow, default)]
    pub account: Text<'a>,
    /// Event time (RFC 3339).
    #[serde(borrow, default)]
    pub time: Text<'a>,
    /// AWS region.
    #[serde(borrow, default)]
    pub region: Text<'a>,
    /// The ECR or Inspector detail.
    #[serde(borrow, default)]
    pub detail: Obj<EcrDetail<'a>>,
}

/// `detail` of ECR events (`ECR Image Action`, `ECR Image Scan`, `ECR Pull Through Cache
/// Action`, `ECR Replication Action`, `ECR Referrer Action`) and of `Inspector2 Scan`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct EcrDetail<'a> {
    /// `SUCCESS` or `FAILURE` (image and replication actions).
    #[serde(borrow, default)]
    pub result: Text<'a>,
    /// `PUSH`, `DELETE`, … (image and referrer actions).
    #[serde(borrow, default)]
    pub action_type: Text<'a>,
    /// Repository name (an ARN in Inspector events).
    #[serde(borrow, default)]
    pub repository_name: Text<'a>,
    /// Image digest.
    #[serde(borrow, default)]
    pub image_digest: Text<'a>,
    /// Image tag (absent on untagged pushes).
    #[serde(borrow, default)]
    pub image_tag: Text<'a>,
    /// Image tags (scan events).
    #[serde(default)]
    pub image_tags: serde_json::Value,
    /// Manifest media type.
    #[serde(borrow, default)]
    pub manifest_media_type: Text<'a>,
    /// Artifact media type.
    #[serde(borrow, default)]
    pub artifact_media_type: Text<'a>,
    /// `COMPLETE`, `FAILED`, `INITIAL_SCAN_COMPLETE`, … (scan events).
    #[serde(borrow, default)]
    pub scan_status: Text<'a>,
    /// Findings per severity (`CRITICAL`, …; Inspector adds `TOTAL`).
    #[serde(default)]
    pub finding_severity_counts: serde_json::Value,
    /// `SUCCESS` or `FAILURE` (pull-through cache).
    #[serde(borrow, default)]
    pub sync_status: Text<'a>,
}

impl EcrDetail<'_> {
    /// The repository name, with an Inspector-style ARN reduced to the name.
    pub fn repository(&self) -> Option<&str> {
        let name = self.repository_name.as_deref()?;
        let name = match name.strip_prefix("arn:") {
            Some(arn) => arn.split_once(":repository/").map_or(name, |(_, n)| n),
            None => name,
        };
        (!name.is_empty()).then_some(name)
    }

    /// The single tag, or else the first of `image-tags`.
    pub fn tag(&self) -> Option<String> {
        lenient::owned(&self.image_tag).or_else(|| {
            self.image_tags
                .as_array()?
                .iter()
                .find_map(|t| t.as_str().filter(|t| !t.is_empty()))
                .map(str::to_owned)
        })
    }
}
