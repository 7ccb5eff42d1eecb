//! Docker Hub webhooks and Alibaba ACR classic webhooks: pushes only, no envelope, no id.
//!
//! The id is derived from the payload (`schema::detect::derived_id`). Docker Hub sends no digest;
//! its registry is `docker.io`. Alibaba's registry is derived from the region as the Personal
//! Edition endpoint `registry.<region>.aliyuncs.com`; its times have no zone and are read as UTC.

use super::{Classified, blank, id, set_time};
use crate::event::{Action, RegistryKind, Schema};
use crate::schema::Parsed;
use crate::schema::docker_hub::PushPayload;
use crate::schema::lenient::owned;

/// Classifies a Docker Hub or Alibaba classic webhook.
pub(super) fn classify(parsed: &Parsed<'_>, payload: &PushPayload<'_>) -> Classified {
    let schema = parsed.schema();
    let (event_type, kind) = match schema {
        Schema::AlibabaWebhook => ("alibaba_webhook.push", RegistryKind::Alibaba),
        _ => ("docker_hub.push", RegistryKind::DockerHub),
    };
    let mut event = blank(
        id(parsed),
        event_type.to_owned(),
        Action::Push,
        schema,
        kind,
    );
    if let Some(repository) = payload.repository.get() {
        event.repository = repository.full_name();
        event.namespace = owned(&repository.namespace);
        event.location = owned(&repository.region);
    }
    let push = payload.push_data.get();
    event.tag = push.and_then(|p| owned(&p.tag));
    event.digest = push.and_then(|p| owned(&p.digest));
    event.actor = push.and_then(|p| owned(&p.pusher));
    event.registry = match kind {
        RegistryKind::Alibaba => event
            .location
            .as_ref()
            .map(|region| format!("registry.{region}.aliyuncs.com")),
        _ => Some("docker.io".to_owned()),
    };
    set_time(&mut event, &[push.and_then(|p| p.pushed_at.as_deref())]);
    Classified::Registry(Box::new(event))
}
