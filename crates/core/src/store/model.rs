//! Records the store keeps, shared by every backend and by `regrelay events`.

use serde::{Deserialize, Serialize};

use crate::common::Attempt;
use crate::event::RegistryEvent;
use crate::filter::Decision;

/// One inbound request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reception {
    /// Request id (generated).
    pub id: String,
    /// When it arrived (RFC 3339 UTC).
    pub received_at: String,
    /// What it was.
    pub kind: ReceptionKind,
    /// Body format (`event_grid`, `structured`, `batch`, `binary`), when events.
    pub format: Option<String>,
    /// SHA-256 of the body, hex.
    pub payload_sha256: String,
    /// Status we answered.
    pub status: u16,
    /// Event ids it carried.
    pub event_ids: Vec<String>,
    /// Error message when rejected.
    pub error: Option<String>,
    /// The request body as text, when `store.keep_payloads` is on (cut to fit the store, and
    /// marked so, on the remote backends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// What a request turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceptionKind {
    /// Events, decoded and routed.
    Events,
    /// An Event Grid subscription validation (maybe with other events).
    Validation,
    /// An Event Grid subscription deletion notice.
    Deletion,
    /// An SNS subscription confirmation, confirmed.
    SnsSubscription,
    /// An SNS unsubscribe confirmation, acknowledged.
    SnsUnsubscribe,
    /// Refused; the reception's `error` says why.
    Rejected,
}

impl ReceptionKind {
    /// The name in history and replies (`events`, `sns_subscription`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ReceptionKind::Events => "events",
            ReceptionKind::Validation => "validation",
            ReceptionKind::Deletion => "deletion",
            ReceptionKind::SnsSubscription => "sns_subscription",
            ReceptionKind::SnsUnsubscribe => "sns_unsubscribe",
            ReceptionKind::Rejected => "rejected",
        }
    }
}

/// One event as normalized and decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The normalized event.
    pub event: RegistryEvent,
    /// The event exactly as received.
    pub raw: String,
    /// When first received (RFC 3339 UTC).
    pub received_at: String,
    /// Each rule's decision.
    pub decisions: Vec<Decision>,
    /// Targets that should receive it.
    pub targets: Vec<String>,
    /// The reception that first carried it.
    pub reception_id: String,
    /// Coalescing: held for its push's index, or the event of a push that folded manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalescing: Option<Coalescing>,
    /// What could not be done for it, in words (a registry lookup that failed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How coalescing treated an event (written once, with the record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Coalescing {
    /// A tagless manifest of a push, held until `until` (RFC 3339) for the push's index; its
    /// pairs then say whether it was folded into that event or released alone.
    Held {
        /// End of the window.
        until: String,
        /// Targets of rules that opted out of coalescing: sent at once, never folded.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        prompt: Vec<String>,
    },
    /// The event of one push (its index): the manifests folded into it.
    Push {
        /// The manifests' events, in arrival order.
        folded: Vec<FoldedManifest>,
    },
}

/// A manifest event folded into its push's event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldedManifest {
    /// Its event id.
    pub id: String,
    /// Its digest.
    pub digest: Option<String>,
    /// Its media type.
    pub media_type: Option<String>,
}

/// Where an (event, target) pair stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Decided, not yet attempted.
    Pending,
    /// The target accepted the event.
    Delivered,
    /// Failed so far; the sender's retry (or a redrive) will try again.
    FailedRetrying,
    /// Failed permanently; kept for listing and redrive.
    DeadLettered,
    /// A repeat of an already delivered pair, not sent again.
    SkippedDuplicate,
    /// A manifest folded into its push's event (coalescing); the reason names that event.
    Folded,
}

impl DeliveryState {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::FailedRetrying => "failed_retrying",
            DeliveryState::DeadLettered => "dead_lettered",
            DeliveryState::SkippedDuplicate => "skipped_duplicate",
            DeliveryState::Folded => "folded",
        }
    }

    /// Parses a wire name (`scheduled`, the console's word for a queued retry, is
    /// `failed_retrying`).
    pub fn parse(text: &str) -> Option<Self> {
        if text == "scheduled" {
            return Some(Self::FailedRetrying);
        }
        [
            Self::Pending,
            Self::Delivered,
            Self::FailedRetrying,
            Self::DeadLettered,
            Self::SkippedDuplicate,
            Self::Folded,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The ledger entry of one (event, target) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairState {
    /// Target name.
    pub target: String,
    /// Current state.
    pub state: DeliveryState,
    /// Attempts so far.
    pub attempts: u32,
    /// Why it is in this state, when not delivered.
    pub reason: Option<String>,
}

/// Everything known about one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// The event, its decisions and targets.
    pub record: EventRecord,
    /// Every request that carried it (first delivery and sender retries).
    pub receptions: Vec<Reception>,
    /// Per-target ledger.
    pub pairs: Vec<PairState>,
    /// Every attempt, oldest first.
    pub attempts: Vec<Attempt>,
}

/// A line of `regrelay events list` and of the console's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSummary {
    /// Event id.
    pub id: String,
    /// When first received.
    pub received_at: String,
    /// Action.
    pub action: String,
    /// Which kind of registry sent it (`acr`, `harbor`, ...).
    #[serde(default)]
    pub registry_kind: String,
    /// Repository.
    pub repository: Option<String>,
    /// Tag.
    pub tag: Option<String>,
    /// Manifest digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Overall state: the worst pair state, or `no_targets`.
    pub state: String,
    /// Each target's state, in the order the rules chose them.
    #[serde(default)]
    pub pairs: Vec<PairState>,
}

/// One listed event: its record and its pairs.
pub type Listed = (EventRecord, Vec<PairState>);

/// Filters for listing events. Every set field must hold; the backends narrow by time and
/// repository in their queries where they can and apply [`ListFilter::admits`] to the rest.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only events received at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only events received before this time (RFC 3339).
    pub until: Option<String>,
    /// Only this repository.
    pub repository: Option<String>,
    /// Only this tag.
    pub tag: Option<String>,
    /// Only this kind of registry (`acr`, `ecr`, `harbor`, `distribution`, ...).
    pub registry_kind: Option<String>,
    /// Only events routed to this target.
    pub target: Option<String>,
    /// Only events with a pair in this state (of `target`, when set).
    pub state: Option<DeliveryState>,
    /// At most this many.
    pub limit: usize,
}

impl ListFilter {
    /// Whether an event and its pairs pass every set field.
    pub fn admits(&self, record: &EventRecord, pairs: &[PairState]) -> bool {
        let event = &record.event;
        let same = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have == Some(w))
        };
        let in_time = self
            .since
            .as_deref()
            .is_none_or(|s| record.received_at.as_str() >= s)
            && self
                .until
                .as_deref()
                .is_none_or(|u| record.received_at.as_str() < u);
        let routed = self.target.as_deref().is_none_or(|t| {
            record.targets.iter().any(|n| n == t) || pairs.iter().any(|p| p.target == t)
        });
        let in_state = self.state.is_none_or(|s| {
            pairs
                .iter()
                .any(|p| p.state == s && self.target.as_deref().is_none_or(|t| p.target == t))
        });
        in_time
            && routed
            && in_state
            && same(&self.repository, event.repository.as_deref())
            && same(&self.tag, event.tag.as_deref())
            && same(&self.registry_kind, Some(event.registry_kind.as_str()))
    }
}

/// The overall state of an event from its pairs: the least finished one wins.
pub fn overall_state(pairs: &[PairState]) -> String {
    const ORDER: [DeliveryState; 6] = [
        DeliveryState::FailedRetrying,
        DeliveryState::Pending,
        DeliveryState::DeadLettered,
        DeliveryState::Delivered,
        DeliveryState::SkippedDuplicate,
        DeliveryState::Folded,
    ];
    ORDER
        .iter()
        .find(|s| pairs.iter().any(|p| p.state == **s))
        .map_or("no_targets", |s| s.as_str())
        .to_owned()
}

/// Whether a target is taking deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Deliveries go out.
    #[default]
    Active,
    /// Too many failures in a row: deliveries wait (in the queue, or for the sender's retry)
    /// while one probe at a time checks whether it is back.
    Paused,
}

/// A target's health, shared by every instance on one store. Writes are conditional on
/// `version` ([`Store::swap_health`](super::Store::swap_health)), so a pause or a recovery is
/// decided (and announced) once.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TargetHealth {
    /// Target name.
    pub target: String,
    /// Active or paused.
    pub state: HealthState,
    /// Retryable failures in a row (reset by a success).
    pub failures: u32,
    /// When it was paused (RFC 3339), while paused.
    pub paused_at: Option<String>,
    /// While paused: when the next probe may go (epoch ms).
    pub next_probe_ms: i64,
    /// While paused: the wait before the probe after next (doubles up to the configured most).
    pub probe_wait_ms: i64,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// Bumped by every write; 0 means never written.
    pub version: u64,
}
