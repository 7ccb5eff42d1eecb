//! Builds without the `metrics` feature (the Lambda): the stages' calls do nothing.

use crate::common::Attempt;

pub(crate) fn received(_schema: &str) {}
pub(crate) fn matched(_rule: &str) {}
pub(crate) fn attempted(_attempt: &Attempt, _seconds: f64) {}

/// Without the feature, the metrics path answers 404 naming it.
pub(crate) fn reply(_queue: Option<&crate::queue::WorkQueue>) -> crate::reply::Reply {
    crate::reply::Reply::error(
        http::StatusCode::NOT_FOUND,
        "metrics are not part of this build (feature `metrics`)",
    )
}
