//! Amazon SNS at the door: a request with `x-amz-sns-message-type` is admitted (topic on the
//! allowlist, message fresh, signature verified by [`crate::verify::sns`]), then a
//! `SubscriptionConfirmation` is confirmed ([`crate::handshake::sns`]), an
//! `UnsubscribeConfirmation` acknowledged, and a `Notification` unwrapped: its `Message` goes on
//! as the request body, as if the event had been posted directly.
//!
//! SNS can also invoke a Lambda function directly with a `Records` envelope (IAM, not a
//! subscription handshake, authorizes it): each record's message is admitted the same way and
//! its `Message` goes on as a request of its own.
//!
//! Rejections: 400 for a body that is not an SNS message, 403 for a bad or unverifiable signature,
//! a topic off the list or a URL outside `inbound.sns_allowed_hosts`, 503 when the certificate or
//! confirmation fetch fails (SNS retries).

use bytes::Bytes;
use http::{HeaderValue, StatusCode};

use super::Answered;
use super::config::SnsInbound;
use crate::reply::{InboundRequest, Rejection};
use crate::schema::sns::{self, LambdaSnsEvent, SnsMessage};
use crate::verify::signing::SignatureError;

/// What an SNS HTTP message came to: a notification's message as a request of its own, or a
/// handshake answered here.
pub(super) enum Unwrapped {
    /// Not an SNS message: the request goes on unchanged.
    Plain(InboundRequest),
    /// A notification: the message it carries.
    Message(InboundRequest),
    /// A subscription handshake, done.
    Answered(Answered),
}

/// Passes non-SNS requests through; answers SNS handshakes; unwraps notifications.
pub(super) async fn unwrap(
    request: InboundRequest,
    config: &SnsInbound,
) -> Result<Unwrapped, Rejection> {
    if !request.headers.contains_key(sns::HEADER_MESSAGE_TYPE) {
        return Ok(Unwrapped::Plain(request));
    }
    let Ok(message) = SnsMessage::parse(&request.body) else {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            "body is not an SNS message",
        ));
    };
    admitted(&message, config).await?;
    match message.kind() {
        sns::SUBSCRIPTION_CONFIRMATION => {
            crate::handshake::sns::confirm(&message, &config.allowed_hosts).await?;
            Ok(Unwrapped::Answered(Answered::SnsSubscription))
        }
        sns::UNSUBSCRIBE_CONFIRMATION => Ok(Unwrapped::Answered(Answered::SnsUnsubscribe)),
        sns::NOTIFICATION => Ok(Unwrapped::Message(message_request(
            &request,
            message.message.as_deref().unwrap_or_default(),
        ))),
        other => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("unknown SNS message type '{other}'"),
        )),
    }
}

/// For a Lambda SNS event: each record's message, admitted, as the request it carries;
/// `None` for any other body.
pub(super) async fn unwrap_lambda(
    request: &InboundRequest,
    config: &SnsInbound,
) -> Option<Result<Vec<InboundRequest>, Rejection>> {
    let event = LambdaSnsEvent::detect(&request.body)?;
    let mut inner = Vec::with_capacity(event.records.len());
    for record in &event.records {
        if let Err(rejection) = admitted(&record.sns, config).await {
            return Some(Err(rejection));
        }
        let body = record.sns.message.as_deref().unwrap_or_default();
        inner.push(message_request(request, body));
    }
    Some(Ok(inner))
}

/// [`admit`], with a refusal in the sender's terms.
async fn admitted(message: &SnsMessage<'_>, config: &SnsInbound) -> Result<(), Rejection> {
    admit(message, config)
        .await
        .map_err(|error| Rejection::new(error.status(), format!("SNS message refused: {error}")))
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
        crate::verify::sns::verify(message, &config.allowed_hosts).await?;
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
