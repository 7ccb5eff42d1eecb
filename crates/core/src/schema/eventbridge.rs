//! Amazon EventBridge events (`version`, `id`, `detail-type`, `source`, `account`, `time`,
//! `region`, `resources`, `detail`), as a direct Lambda invocation, an API destination's body or an
//! SNS message, and the ECR (and Inspector) `detail` objects regrelay reads.
//!
//! Field names are kebab-case as in the ECR user guide's samples; every field is optional and
//! decoded leniently.

use std::borrow::Cow;

use serde::Deserialize;

use super::lenient::{self, Obj};

/// One EventBridge event.
#[derive(Debug, Default, Deserialize)]
pub struct EventBridgeEvent<'a> {
    /// Event id.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub id: Option<Cow<'a, str>>,
    /// Detail type, e.g. `ECR Image Action`.
    #[serde(
        borrow,
        default,
        rename = "detail-type",
        deserialize_with = "lenient::opt_str"
    )]
    pub detail_type: Option<Cow<'a, str>>,
    /// Source, e.g. `aws.ecr`.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub source: Option<Cow<'a, str>>,
    /// AWS account id.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub account: Option<Cow<'a, str>>,
    /// Event time (RFC 3339).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub time: Option<Cow<'a, str>>,
    /// AWS region.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub region: Option<Cow<'a, str>>,
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
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub result: Option<Cow<'a, str>>,
    /// `PUSH`, `DELETE`, … (image and referrer actions).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub action_type: Option<Cow<'a, str>>,
    /// Repository name (an ARN in Inspector events).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub repository_name: Option<Cow<'a, str>>,
    /// Image digest.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub image_digest: Option<Cow<'a, str>>,
    /// Image tag (absent on untagged pushes).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub image_tag: Option<Cow<'a, str>>,
    /// Image tags (scan events).
    #[serde(default)]
    pub image_tags: serde_json::Value,
    /// Manifest media type.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub manifest_media_type: Option<Cow<'a, str>>,
    /// Artifact media type.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub artifact_media_type: Option<Cow<'a, str>>,
    /// `COMPLETE`, `FAILED`, `INITIAL_SCAN_COMPLETE`, … (scan events).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub scan_status: Option<Cow<'a, str>>,
    /// Findings per severity (`CRITICAL`, …; Inspector adds `TOTAL`).
    #[serde(default)]
    pub finding_severity_counts: serde_json::Value,
    /// `SUCCESS` or `FAILURE` (pull-through cache).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub sync_status: Option<Cow<'a, str>>,
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
