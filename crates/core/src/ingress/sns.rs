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
        if config.verify_signatures
            && let Err(error) = verify(&message, &config.allowed_hosts).await
        {
            let text = format!("SNS signature not verified: {error}");
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
            if config.verify_signatures
                && let Err(error) = verify(&record.sns, &config.allowed_hosts).await
            {
                let text = format!("SNS signature not verified: {error}");
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
    let key = signing::public_key(url, allowed_hosts).await?;
    signing::verify_rsa(&key, sha1, message.string_to_sign().as_bytes(), signature)
}
