//! Azure Container Registry `data` payloads (image and chart push/delete, connected registries),
//! plus the Event Grid handshake code that travels in `data` (`validationCode`; the manual
//! `validationUrl` is not needed, as regrelay always answers the handshake synchronously).
//!
//! Field names follow the ACR Event Grid schema; the connected-registry object is accepted under
//! both casings seen in real payloads (`connectedregistry`, `connectedRegistry`).

use serde::Deserialize;

use super::lenient::{self, Obj, Text};

/// The `data` object of an ACR event (every field optional, oddities tolerated).
#[derive(Debug, Default, Deserialize)]
pub struct AcrData<'a> {
    /// Registry-side event id.
    #[serde(borrow, default)]
    pub id: Text<'a>,
    /// Registry-side timestamp.
    #[serde(borrow, default)]
    pub timestamp: Text<'a>,
    /// Registry action (`push`, `delete`, `chart_push`, `chart_delete`).
    #[serde(borrow, default)]
    pub action: Text<'a>,
    /// Azure region.
    #[serde(borrow, default)]
    pub location: Text<'a>,
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
    #[serde(borrow, default, rename = "validationCode")]
    pub validation_code: Text<'a>,
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
    #[serde(borrow, default, rename = "mediaType")]
    pub media_type: Text<'a>,
    /// Size in bytes.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub size: Option<u64>,
    /// Same as size (older name).
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub length: Option<u64>,
    /// Digest.
    #[serde(borrow, default)]
    pub digest: Text<'a>,
    /// Repository.
    #[serde(borrow, default)]
    pub repository: Text<'a>,
    /// Tag.
    #[serde(borrow, default)]
    pub tag: Text<'a>,
    /// Chart name.
    #[serde(borrow, default)]
    pub name: Text<'a>,
    /// Chart version.
    #[serde(borrow, default)]
    pub version: Text<'a>,
}

/// `data.request`.
#[derive(Debug, Default, Deserialize)]
pub struct Request<'a> {
    /// Request id.
    #[serde(borrow, default)]
    pub id: Text<'a>,
    /// Client address.
    #[serde(borrow, default)]
    pub addr: Text<'a>,
    /// Registry host (login server).
    #[serde(borrow, default)]
    pub host: Text<'a>,
    /// HTTP method.
    #[serde(borrow, default)]
    pub method: Text<'a>,
    /// User agent.
    #[serde(borrow, default)]
    pub useragent: Text<'a>,
}

/// An object whose only field of interest is `name` (`actor`, `connectedRegistry`).
#[derive(Debug, Default, Deserialize)]
pub struct Named<'a> {
    /// The name.
    #[serde(borrow, default)]
    pub name: Text<'a>,
}
