//! The closed sets of the model: what happened ([`Action`]), how it ended ([`Outcome`]), which
//! inbound schema carried it ([`Schema`]) and which registry product sent it ([`RegistryKind`]).

use serde::{Deserialize, Serialize};

/// What happened to the artifact: a closed set, one value per kind of registry event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An image or artifact manifest was pushed.
    Push,
    /// An image or artifact manifest (or a tag) was deleted.
    Delete,
    /// A Helm chart was pushed.
    ChartPush,
    /// A Helm chart was deleted.
    ChartDelete,
    /// An artifact was pulled.
    Pull,
    /// A vulnerability scan finished (successfully or not).
    Scan,
    /// An image build finished.
    Build,
    /// An artifact was synchronized from or to another registry (Alibaba instance sync, ECR
    /// pull-through cache).
    Sync,
    /// An artifact was signed.
    Sign,
    /// A delivery chain (build → scan → sync …) finished.
    DeliveryChain,
    /// A replication job changed state.
    Replication,
    /// A quota was exceeded or nearly reached.
    Quota,
    /// A tag retention run finished.
    Retention,
    /// regrelay's own notice to an operator (a target paused or resumed); never from a registry
    /// and never matched by rules.
    Notice,
}

impl Action {
    /// Every action a registry event can have (not [`Action::Notice`], regrelay's own).
    pub const REGISTRY: [Action; 13] = [
        Action::Push,
        Action::Delete,
        Action::ChartPush,
        Action::ChartDelete,
        Action::Pull,
        Action::Scan,
        Action::Build,
        Action::Sync,
        Action::Sign,
        Action::DeliveryChain,
        Action::Replication,
        Action::Quota,
        Action::Retention,
    ];

    /// The registry action with this wire name.
    pub fn parse(name: &str) -> Option<Action> {
        Action::REGISTRY.into_iter().find(|a| a.as_str() == name)
    }

    /// The action's wire name (`push`, `chart_delete`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Push => "push",
            Action::Delete => "delete",
            Action::ChartPush => "chart_push",
            Action::ChartDelete => "chart_delete",
            Action::Pull => "pull",
            Action::Scan => "scan",
            Action::Build => "build",
            Action::Sync => "sync",
            Action::Sign => "sign",
            Action::DeliveryChain => "delivery_chain",
            Action::Replication => "replication",
            Action::Quota => "quota",
            Action::Retention => "retention",
            Action::Notice => "notice",
        }
    }

    /// A short human label (`Image pushed`, `Scan completed`).
    pub fn label(self) -> &'static str {
        match self {
            Action::Push => "Image pushed",
            Action::Delete => "Image deleted",
            Action::ChartPush => "Helm chart pushed",
            Action::ChartDelete => "Helm chart deleted",
            Action::Pull => "Image pulled",
            Action::Scan => "Scan completed",
            Action::Build => "Build completed",
            Action::Sync => "Synchronization completed",
            Action::Sign => "Signing completed",
            Action::DeliveryChain => "Delivery chain completed",
            Action::Replication => "Replication status changed",
            Action::Quota => "Quota event",
            Action::Retention => "Tag retention finished",
            Action::Notice => "regrelay notice",
        }
    }

    /// Whether the action removes something (`delete`, `chart_delete`).
    pub fn is_delete(self) -> bool {
        matches!(self, Action::Delete | Action::ChartDelete)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a reported operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It succeeded.
    Succeeded,
    /// It failed.
    Failed,
    /// It was canceled or stopped before finishing.
    Canceled,
    /// It was refused (policy, quota, permission).
    Denied,
}

impl Outcome {
    /// Reads a sender's status word, case-insensitively: `SUCCESS`, `Succeeded`, `COMPLETE`,
    /// `FAILED`, `Error`, `CANCELED`, `Stopped`, `DENIED`, `Rejected`… Unknown words give `None`.
    pub fn from_status(status: &str) -> Option<Outcome> {
        const WORDS: [(&str, Outcome); 20] = [
            ("success", Outcome::Succeeded),
            ("succeeded", Outcome::Succeeded),
            ("successful", Outcome::Succeeded),
            ("succeed", Outcome::Succeeded),
            ("complete", Outcome::Succeeded),
            ("completed", Outcome::Succeeded),
            ("finished", Outcome::Succeeded),
            ("ok", Outcome::Succeeded),
            ("fail", Outcome::Failed),
            ("failed", Outcome::Failed),
            ("failure", Outcome::Failed),
            ("error", Outcome::Failed),
            ("cancel", Outcome::Canceled),
            ("canceled", Outcome::Canceled),
            ("cancelled", Outcome::Canceled),
            ("stopped", Outcome::Canceled),
            ("deny", Outcome::Denied),
            ("denied", Outcome::Denied),
            ("rejected", Outcome::Denied),
            ("forbidden", Outcome::Denied),
        ];
        let status = status.trim();
        WORDS
            .iter()
            .find(|(word, _)| word.eq_ignore_ascii_case(status))
            .map(|(_, outcome)| *outcome)
    }

    /// The outcome's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Canceled => "canceled",
            Outcome::Denied => "denied",
        }
    }
}

/// The inbound schema an event was received in (the envelope, not the registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schema {
    /// Azure Event Grid event schema.
    EventGrid,
    /// CloudEvents 1.0 (structured, batch or binary mode); Alibaba EventBridge and Harbor's
    /// CloudEvents format included.
    Cloudevents,
    /// An Amazon EventBridge event (`detail-type`, `detail`), direct or through SNS.
    Eventbridge,
    /// Harbor's default webhook payload (`type`, `occur_at`, `event_data`).
    Harbor,
    /// A CNCF Distribution notification envelope (`{"events": […]}`).
    Distribution,
    /// A Docker Hub webhook (`push_data`, `repository`).
    DockerHub,
    /// An ACR native webhook: one Distribution-style event with no envelope.
    AcrWebhook,
    /// Alibaba ACR's classic webhook (trigger) body (`push_data`, `repository.region`).
    AlibabaWebhook,
}

impl Schema {
    /// The schema's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Schema::EventGrid => "event_grid",
            Schema::Cloudevents => "cloudevents",
            Schema::Eventbridge => "eventbridge",
            Schema::Harbor => "harbor",
            Schema::Distribution => "distribution",
            Schema::DockerHub => "docker_hub",
            Schema::AcrWebhook => "acr_webhook",
            Schema::AlibabaWebhook => "alibaba_webhook",
        }
    }
}

/// The registry product that produced an event.
///
/// Defaults to `acr`: history written before other sources were accepted holds only ACR events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryKind {
    /// Azure Container Registry.
    #[default]
    Acr,
    /// Amazon Elastic Container Registry.
    Ecr,
    /// Alibaba Cloud Container Registry (EE instances or Personal Edition).
    Alibaba,
    /// Harbor.
    Harbor,
    /// CNCF Distribution (the reference registry).
    Distribution,
    /// Docker Hub.
    DockerHub,
}

impl RegistryKind {
    /// The kind's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistryKind::Acr => "acr",
            RegistryKind::Ecr => "ecr",
            RegistryKind::Alibaba => "alibaba",
            RegistryKind::Harbor => "harbor",
            RegistryKind::Distribution => "distribution",
            RegistryKind::DockerHub => "docker_hub",
        }
    }
}
