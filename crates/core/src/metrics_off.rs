//! Builds without the `metrics` feature (the Lambda): no Prometheus registry; the stages' calls
//! feed only the CloudWatch EMF lines ([`crate::emf`]), when the shell turned them on.

use crate::common::Attempt;

pub(crate) fn received(schema: &str) {
    crate::emf::received(schema);
}

pub(crate) fn matched(rule: &str) {
    crate::emf::matched(rule);
}

pub(crate) fn attempted(attempt: &Attempt, seconds: f64) {
    let outcome = attempt.class.as_str();
    crate::emf::attempted(&attempt.target, outcome, seconds);
}

/// Without the feature, the metrics path answers 404 naming it.
pub(crate) fn reply(_queue: Option<&crate::queue::WorkQueue>) -> crate::reply::Reply {
    crate::reply::Reply::error(
        http::StatusCode::NOT_FOUND,
        "metrics are not part of this build (feature `metrics`)",
    )
}
