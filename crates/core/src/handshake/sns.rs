//! The SNS subscription handshake: a verified `SubscriptionConfirmation` is confirmed by
//! fetching its `SubscribeURL`, from an allowlisted host only, with a timeout.
//!
//! A URL off the list is refused (403); a failed fetch is a 503, so SNS sends the confirmation
//! again.

use http::StatusCode;

use crate::reply::Rejection;
use crate::schema::sns::SnsMessage;
use crate::verify::signing;

/// Confirms the subscription `message` asks for.
pub async fn confirm(message: &SnsMessage<'_>, allowed: &[String]) -> Result<(), Rejection> {
    let Some(url) = message.subscribe_url.as_deref() else {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            "SubscriptionConfirmation without SubscribeURL",
        ));
    };
    if !signing::url_allowed(url, allowed) {
        return Err(Rejection::new(
            StatusCode::FORBIDDEN,
            format!("SubscribeURL host not in inbound.sns_allowed_hosts: {url}"),
        ));
    }
    let fetched = match signing::client() {
        Ok(client) => client
            .get(url)
            .timeout(signing::FETCH_TIMEOUT)
            .send()
            .await
            .map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    match fetched {
        Ok(response) if response.status().is_success() => {
            tracing::info!(
                topic = message.topic_arn.as_deref().unwrap_or(""),
                "Confirmed an SNS subscription."
            );
            Ok(())
        }
        Ok(response) => Err(Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("SubscribeURL answered {}", response.status()),
        )),
        Err(error) => Err(Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cannot fetch SubscribeURL: {error}"),
        )),
    }
}
