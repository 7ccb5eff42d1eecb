//! Amazon SNS at the door: a request with `x-amz-sns-message-type` is verified (signature over
//! the canonical string, certificate from an allowlisted https host), then a
//! `SubscriptionConfirmation` is confirmed by fetching its `SubscribeURL` (allowlisted host only),
//! an `UnsubscribeConfirmation` acknowledged, and a `Notification` unwrapped: its `Message` goes
//! on as the request body, as if the event had been posted directly.
//!
//! SNS can also invoke a Lambda function directly with a `Records` envelope (IAM, not a
//! subscription handshake, authorizes it): each record's message is verified the same way and
//! its `Message` goes on as a request of its own.
//!
//! Replies: 400 for a body that is not an SNS message, 403 for a bad or unverifiable signature or
//! a URL outside `inbound.sns_allowed_hosts`, 503 when the certificate or confirmation fetch fails
//! (SNS retries).

use bytes::Bytes;
use http::{HeaderValue, StatusCode};

use super::Pipeline;
use crate::config::SnsInbound;
use crate::handshake::signing::{self, SignatureError};
use crate::reply::{InboundRequest, Reply};
use crate::schema::sns::{self, LambdaSnsEvent, SnsMessage};
use crate::store::Reception;

impl Pipeline {
    /// Passes non-SNS requests through; answers SNS handshakes; unwraps notifications.
    pub(super) async fn unwrap_sns(
        &self,
        request: InboundRequest,
        reception: &mut Reception,
    ) -> Result<InboundRequest, Reply> {
        if !request.headers.contains_key(sns::HEADER_MESSAGE_TYPE) {
            return Ok(request);
        }
        let Ok(message) = SnsMessage::parse(&request.body) else {
            return Err(self
                .rejected(
                    reception,
                    StatusCode::BAD_REQUEST,
                    "body is not an SNS message",
                )
                .await);
        };
        let config = &self.inner.config.inbound.sns;
        if let Err(error) = admit(&message, config).await {
            let text = format!("SNS message refused: {error}");
            return Err(self.rejected(reception, error.status(), &text).await);
        }
        match message.kind() {
            sns::SUBSCRIPTION_CONFIRMATION => Err(self.confirm(&message, reception).await),
            sns::UNSUBSCRIBE_CONFIRMATION => {
                Err(self.acknowledged(reception, "sns_unsubscribe").await)
            }
            sns::NOTIFICATION => Ok(message_request(
                &request,
                message.message.as_deref().unwrap_or_default(),
            )),
            other => {
                let text = format!("unknown SNS message type '{other}'");
                Err(self
                    .rejected(reception, StatusCode::BAD_REQUEST, &text)
                    .await)
            }
        }
    }

    /// For a Lambda SNS event: each record's message, verified, as the request it carries;
    /// `None` for any other body.
    pub(super) async fn unwrap_lambda_sns(
        &self,
        request: &InboundRequest,
        reception: &mut Reception,
    ) -> Option<Result<Vec<InboundRequest>, Reply>> {
        let event = LambdaSnsEvent::detect(&request.body)?;
        let config = &self.inner.config.inbound.sns;
        let mut inner = Vec::with_capacity(event.records.len());
        for record in &event.records {
            if let Err(error) = admit(&record.sns, config).await {
                let text = format!("SNS message refused: {error}");
                return Some(Err(self.rejected(reception, error.status(), &text).await));
            }
            let body = record.sns.message.as_deref().unwrap_or_default();
            inner.push(message_request(request, body));
        }
        Some(Ok(inner))
    }

    async fn confirm(&self, message: &SnsMessage<'_>, reception: &mut Reception) -> Reply {
        let allowed = &self.inner.config.inbound.sns.allowed_hosts;
        let Some(url) = message.subscribe_url.as_deref() else {
            return self
                .rejected(
                    reception,
                    StatusCode::BAD_REQUEST,
                    "SubscriptionConfirmation without SubscribeURL",
                )
                .await;
        };
        if !signing::url_allowed(url, allowed) {
            let text = format!("SubscribeURL host not in inbound.sns_allowed_hosts: {url}");
            return self.rejected(reception, StatusCode::FORBIDDEN, &text).await;
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
                self.acknowledged(reception, "sns_subscription").await
            }
            Ok(response) => {
                let text = format!("SubscribeURL answered {}", response.status());
                self.rejected(reception, StatusCode::SERVICE_UNAVAILABLE, &text)
                    .await
            }
            Err(error) => {
                let text = format!("cannot fetch SubscribeURL: {error}");
                self.rejected(reception, StatusCode::SERVICE_UNAVAILABLE, &text)
                    .await
            }
        }
    }
}

/// The request a notification's message would have been if posted directly (JSON, no SNS header).
fn message_request(outer: &InboundRequest, message: &str) -> InboundRequest {
    let mut inner = outer.clone();
    inner.headers.remove(sns::HEADER_MESSAGE_TYPE);
    inner.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    inner.body = Bytes::copy_from_slice(message.as_bytes());
    inner
}

/// Admits an SNS message: its topic on `inbound.sns_topics`, its `Timestamp` within
/// `inbound.sns_max_age`, then (unless turned off) its signature.
pub async fn admit(message: &SnsMessage<'_>, config: &SnsInbound) -> Result<(), SignatureError> {
    let topic = message.topic_arn.as_deref().unwrap_or_default();
    if !topic_allowed(topic, &config.topics) {
        tracing::warn!(
            topic,
            "Refused an SNS message from a topic not in inbound.sns_topics."
        );
        return Err(SignatureError::NotAllowed(format!(
            "topic '{topic}' is not in inbound.sns_topics"
        )));
    }
    check_age(
        message.timestamp.as_deref(),
        config.max_age,
        chrono::Utc::now(),
    )?;
    if config.verify_signatures {
        verify(message, &config.allowed_hosts).await?;
    }
    Ok(())
}

/// Whether `topic` matches one of the ARN patterns (`*` = any run of characters within one
/// `:`-separated field).
pub fn topic_allowed(topic: &str, patterns: &[String]) -> bool {
    let fields: Vec<&str> = topic.split(':').collect();
    patterns.iter().any(|pattern| {
        let wanted: Vec<&str> = pattern.trim().split(':').collect();
        wanted.len() == fields.len()
            && wanted
                .iter()
                .zip(&fields)
                .all(|(p, f)| crate::filter::glob::Glob::new(p).matches(f))
    })
}

/// The message's `Timestamp` must be at most `max_age` old (and not more than 5 minutes ahead).
fn check_age(
    timestamp: Option<&str>,
    max_age: std::time::Duration,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), SignatureError> {
    let text = timestamp.ok_or(SignatureError::Missing("Timestamp"))?;
    let sent =
        chrono::DateTime::parse_from_rfc3339(text.trim()).map_err(|_| SignatureError::Stale)?;
    let age = now.signed_duration_since(sent);
    let max = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
    if age > max || age < -chrono::Duration::minutes(5) {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// Verifies an SNS message's signature (version 1: SHA1withRSA, 2: SHA256withRSA).
pub async fn verify(
    message: &SnsMessage<'_>,
    allowed_hosts: &[String],
) -> Result<(), SignatureError> {
    let sha1 = match message.signature_version.as_deref() {
        Some("1") => true,
        Some("2") => false,
        Some(other) => return Err(SignatureError::Version(other.to_owned())),
        None => return Err(SignatureError::Missing("SignatureVersion")),
    };
    let signature = message
        .signature
        .as_deref()
        .ok_or(SignatureError::Missing("Signature"))?;
    let url = message
        .signing_cert_url
        .as_deref()
        .ok_or(SignatureError::Missing("SigningCertURL"))?;
    let text = message.string_to_sign();
    signing::verified(url, allowed_hosts, |key| {
        signing::verify_rsa(key, sha1, text.as_bytes(), signature)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_match_field_by_field() {
        let allowed = vec![
            "arn:aws:sns:*:123456789012:registry-*".to_owned(),
            "arn:aws-cn:sns:cn-north-1:210987654321:ecr".to_owned(),
        ];
        assert!(topic_allowed(
            "arn:aws:sns:us-east-1:123456789012:registry-events",
            &allowed
        ));
        assert!(topic_allowed(
            "arn:aws-cn:sns:cn-north-1:210987654321:ecr",
            &allowed
        ));
        assert!(!topic_allowed(
            "arn:aws:sns:us-east-1:999999999999:registry-events",
            &allowed
        ));
        assert!(!topic_allowed(
            "arn:aws:sns:us-east-1:123456789012:other",
            &allowed
        ));
        assert!(!topic_allowed(
            "arn:aws:sns:us-east-1:123456789012:registry-x:extra",
            &allowed
        ));
        assert!(!topic_allowed("", &allowed));
        assert!(!topic_allowed(
            "arn:aws:sns:us-east-1:123456789012:registry-events",
            &[]
        ));
    }

    #[test]
    fn old_messages_are_stale() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z")
            .unwrap()
            .to_utc();
        let hour = std::time::Duration::from_secs(3600);
        assert_eq!(
            check_age(Some("2026-12-04T11:30:00.000Z"), hour, now),
            Ok(())
        );
        assert_eq!(
            check_age(Some("2026-12-04T10:59:59Z"), hour, now),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            check_age(Some("2026-12-04T12:10:00Z"), hour, now),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            check_age(Some("yesterday"), hour, now),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            check_age(None, hour, now),
            Err(SignatureError::Missing("Timestamp"))
        );
    }
}
