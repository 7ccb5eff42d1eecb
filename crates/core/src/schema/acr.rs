//! Azure Container Registry `data` payloads (image and chart push/delete, connected registries),
//! plus the Event Grid handshake code that travels in `data` (`validationCode`; the manual
//! `validationUrl` is not needed, as regrelay always answers the handshake synchronously).
//!
//! Field names follow the ACR Event Grid schema; the connected-registry object is accepted under
//! both casings seen in real payloads (`connectedregistry`, `connectedRegistry`).

use std::borrow::Cow;

use serde::Deserialize;

use super::lenient::{self, Obj};

/// The `data` object of an ACR event (every field optional, oddities tolerated).
#[derive(Debug, Default, Deserialize)]
pub struct AcrData<'a> {
    /// Registry-side event id.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub id: Option<Cow<'a, str>>,
    /// Registry-side timestamp.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub timestamp: Option<Cow<'a, str>>,
    /// Registry action (`push`, `delete`, `chart_push`, `chart_delete`).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub action: Option<Cow<'a, str>>,
    /// Azure region.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub location: Option<Cow<'a, str>>,
    /// What the action was applied to.
    #[serde(borrow, default)]
    pub target: Obj<Target<'a>>,
    /// The registry request that caused the event.
    #[serde(borrow, default)]
    pub request: Obj<Request<'a>>,
    /// Who caused the event.
    #[serde(borrow, default)]
    pub actor: Obj<Named<'a>>,
    /// Connected registry, lower-case spelling (Azure/acr quickstart).
    #[serde(borrow, default)]
    pub connectedregistry: Obj<Named<'a>>,
    /// Connected registry, camel-case spelling (Azure docs and SDK models).
    #[serde(
        borrow,
        default,
        rename = "connectedRegistry",
        alias = "ConnectedRegistry"
    )]
    pub connected_registry: Obj<Named<'a>>,
    /// Event Grid subscription validation code.
    #[serde(
        borrow,
        default,
        rename = "validationCode",
        deserialize_with = "lenient::opt_str"
    )]
    pub validation_code: Option<Cow<'a, str>>,
}

impl AcrData<'_> {
    /// The connected registry's name, whichever casing carried it.
    pub fn connected_registry_name(&self) -> Option<&str> {
        self.connectedregistry
            .get()
            .and_then(|c| c.name.as_deref())
            .or_else(|| {
                self.connected_registry
                    .get()
                    .and_then(|c| c.name.as_deref())
            })
            .filter(|n| !n.is_empty())
    }
}

/// `data.target`.
#[derive(Debug, Default, Deserialize)]
pub struct Target<'a> {
    /// Media type.
    #[serde(
        borrow,
        default,
        rename = "mediaType",
        deserialize_with = "lenient::opt_str"
    )]
    pub media_type: Option<Cow<'a, str>>,
    /// Size in bytes.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub size: Option<u64>,
    /// Same as size (older name).
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub length: Option<u64>,
    /// Digest.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub digest: Option<Cow<'a, str>>,
    /// Repository.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub repository: Option<Cow<'a, str>>,
    /// Tag.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub tag: Option<Cow<'a, str>>,
    /// Chart name.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub name: Option<Cow<'a, str>>,
    /// Chart version.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub version: Option<Cow<'a, str>>,
}

/// `data.request`.
#[derive(Debug, Default, Deserialize)]
pub struct Request<'a> {
    /// Request id.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub id: Option<Cow<'a, str>>,
    /// Client address.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub addr: Option<Cow<'a, str>>,
    /// Registry host (login server).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub host: Option<Cow<'a, str>>,
    /// HTTP method.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub method: Option<Cow<'a, str>>,
    /// User agent.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub useragent: Option<Cow<'a, str>>,
}

/// An object whose only field of interest is `name` (`actor`, `connectedRegistry`).
#[derive(Debug, Default, Deserialize)]
pub struct Named<'a> {
    /// The name.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub name: Option<Cow<'a, str>>,
}
