//! Inbound shared-secret check, as the CloudEvents webhook spec's bearer-token model has it:
//! `Authorization: Bearer <secret>` or the `access_token` query parameter (the form Event Grid
//! subscriptions use, kept secret in the endpoint URL). Compared in constant time.

use http::StatusCode;
use subtle::ConstantTimeEq;

use super::config::Inbound;
use crate::common::Secret;
use crate::reply::{InboundRequest, Reply};

/// `Ok` when the platform authenticated the request, no secret is configured, or the request
/// presents one of the configured secrets.
pub(crate) fn check(request: &InboundRequest, inbound: &Inbound) -> Result<(), Reply> {
    if request.platform_authenticated {
        return Ok(());
    }
    check_secrets(request, &inbound.secrets)
}

/// `Ok` when the request may read history: it presents a read secret; or no read secret is set
/// and no sender secret either (a local setup with no secrets at all). With only sender secrets
/// set, history stays closed: every sender holds those.
pub(crate) fn check_read(request: &InboundRequest, inbound: &Inbound) -> Result<(), Reply> {
    if inbound.read_secrets.is_empty() {
        if inbound.secrets.is_empty() {
            return Ok(());
        }
        return Err(Reply::error(
            StatusCode::FORBIDDEN,
            "reading history needs inbound.read_secret, which is not configured",
        ));
    }
    check_secrets(request, &inbound.read_secrets)
}

/// `Ok` when the request may change things (redrive): it presents a write secret; or no secret
/// of any kind is configured (a local setup). Read and sender secrets never grant it.
pub(crate) fn check_write(request: &InboundRequest, inbound: &Inbound) -> Result<(), Reply> {
    if inbound.write_secrets.is_empty() {
        if inbound.secrets.is_empty() && inbound.read_secrets.is_empty() {
            return Ok(());
        }
        return Err(Reply::error(
            StatusCode::FORBIDDEN,
            "redrive needs inbound.write_secret, which is not configured",
        ));
    }
    check_secrets(request, &inbound.write_secrets)
}

fn check_secrets(request: &InboundRequest, secrets: &[Secret]) -> Result<(), Reply> {
    if secrets.is_empty() {
        return Ok(());
    }
    let presented = bearer(request).or_else(|| query_token(request));
    let Some(presented) = presented else {
        return Err(unauthorized(
            "missing credentials: send Authorization: Bearer <secret> or ?access_token=<secret>",
        ));
    };
    let ok = secrets.iter().fold(false, |found, secret| {
        found | bool::from(secret.expose().as_bytes().ct_eq(presented.as_bytes()))
    });
    if ok {
        Ok(())
    } else {
        Err(unauthorized("invalid credentials"))
    }
}

fn unauthorized(message: &str) -> Reply {
    Reply::error(StatusCode::UNAUTHORIZED, message).with_header("www-authenticate", "Bearer")
}

fn bearer(request: &InboundRequest) -> Option<String> {
    let value = request
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn query_token(request: &InboundRequest) -> Option<String> {
    crate::reply::form_pairs(request.query.as_deref()?)
        .find_map(|(name, value)| if name == "access_token" { value } else { None })
}
