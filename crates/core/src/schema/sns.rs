//! Amazon SNS messages delivered over HTTP(S): the JSON envelope (sent as `text/plain`), its
//! message types, and the canonical string its signature covers; and the `Records` envelope in
//! which SNS invokes a Lambda function directly (each record's `Sns` is the same message).

use std::borrow::Cow;

use serde::Deserialize;

use super::lenient::Text;

/// Header naming the SNS message type.
pub const HEADER_MESSAGE_TYPE: &str = "x-amz-sns-message-type";
/// `Type` of a subscription confirmation.
pub const SUBSCRIPTION_CONFIRMATION: &str = "SubscriptionConfirmation";
/// `Type` of an unsubscribe confirmation.
pub const UNSUBSCRIBE_CONFIRMATION: &str = "UnsubscribeConfirmation";
/// `Type` of a notification.
pub const NOTIFICATION: &str = "Notification";

/// An SNS HTTP(S) message.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsMessage<'a> {
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    #[serde(borrow, default)]
    pub r#type: Text<'a>,
    /// Message id.
    #[serde(borrow, default)]
    pub message_id: Text<'a>,
    /// Confirmation token.
    #[serde(borrow, default)]
    pub token: Text<'a>,
    /// Topic ARN.
    #[serde(borrow, default)]
    pub topic_arn: Text<'a>,
    /// Subject (notifications, optional).
    #[serde(borrow, default)]
    pub subject: Text<'a>,
    /// The message: for notifications, the published text (here a JSON event).
    #[serde(borrow, default)]
    pub message: Text<'a>,
    /// Time of publication.
    #[serde(borrow, default)]
    pub timestamp: Text<'a>,
    /// `1` (SHA1withRSA) or `2` (SHA256withRSA).
    #[serde(borrow, default)]
    pub signature_version: Text<'a>,
    /// Base64 signature.
    #[serde(borrow, default)]
    pub signature: Text<'a>,
    /// Where the signing certificate is.
    #[serde(borrow, default, rename = "SigningCertURL", alias = "SigningCertUrl")]
    pub signing_cert_url: Text<'a>,
    /// URL to visit to confirm the subscription.
    #[serde(borrow, default, rename = "SubscribeURL", alias = "SubscribeUrl")]
    pub subscribe_url: Text<'a>,
}

impl SnsMessage<'_> {
    /// Decodes an SNS message body.
    pub fn parse(body: &[u8]) -> Result<SnsMessage<'_>, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The message type.
    pub fn kind(&self) -> &str {
        self.r#type.as_deref().unwrap_or_default()
    }

    /// Whether the body looks like an SNS message at all (type, topic and message id).
    pub fn is_sns(&self) -> bool {
        self.r#type.is_some() && self.topic_arn.is_some() && self.message_id.is_some()
    }

    /// The string the signature covers: `Name\nvalue\n` for each documented field present, in
    /// order (`Subject` only on notifications that have one).
    pub fn string_to_sign(&self) -> String {
        let notification = self.kind() == NOTIFICATION;
        let fields: [(&str, &Option<Cow<'_, str>>); 7] = if notification {
            [
                ("Message", &self.message),
                ("MessageId", &self.message_id),
                ("Subject", &self.subject),
                ("Timestamp", &self.timestamp),
                ("TopicArn", &self.topic_arn),
                ("Type", &self.r#type),
                ("", &None),
            ]
        } else {
            [
                ("Message", &self.message),
                ("MessageId", &self.message_id),
                ("SubscribeURL", &self.subscribe_url),
                ("Timestamp", &self.timestamp),
                ("Token", &self.token),
                ("TopicArn", &self.topic_arn),
                ("Type", &self.r#type),
            ]
        };
        let mut out = String::new();
        for (name, value) in fields {
            if let (false, Some(value)) = (name.is_empty(), value) {
                out.push_str(name);
                out.push('\n');
                out.push_str(value);
                out.push('\n');
            }
        }
        out
    }
}

/// `EventSource` of a record SNS delivers to Lambda.
pub const LAMBDA_EVENT_SOURCE: &str = "aws:sns";

/// The event SNS invokes a Lambda function with: `{"Records":[{"EventSource":"aws:sns","Sns":{…}}]}`.
#[derive(Debug, Deserialize)]
pub struct LambdaSnsEvent<'a> {
    /// The records (SNS sends one per invocation).
    #[serde(borrow, rename = "Records")]
    pub records: Vec<LambdaSnsRecord<'a>>,
}

/// One record of a [`LambdaSnsEvent`].
#[derive(Debug, Deserialize)]
pub struct LambdaSnsRecord<'a> {
    /// `aws:sns` (the field is spelled `EventSource` here, `eventSource` in some copies).
    #[serde(borrow, default, rename = "EventSource", alias = "eventSource")]
    pub event_source: Text<'a>,
    /// The SNS message (with `SigningCertUrl` and `UnsubscribeUrl` spelled the Lambda way).
    #[serde(borrow, rename = "Sns")]
    pub sns: SnsMessage<'a>,
}

impl LambdaSnsEvent<'_> {
    /// Decodes a body that is a Lambda SNS event; `None` for anything else (cheaply, without a
    /// full parse, when the body does not open with a `Records` key).
    pub fn detect(body: &[u8]) -> Option<LambdaSnsEvent<'_>> {
        let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
        let head = &body[start..body.len().min(start + 64)];
        if head.first() != Some(&b'{') || !contains(head, b"\"Records\"") {
            return None;
        }
        let event: LambdaSnsEvent<'_> = serde_json::from_slice(body).ok()?;
        let all_sns = event.records.iter().all(|r| {
            r.event_source.as_deref() == Some(LAMBDA_EVENT_SOURCE) && r.sns.kind() == NOTIFICATION
        });
        (all_sns && !event.records.is_empty()).then_some(event)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_string_follows_the_documented_order() {
        let body = br#"{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"{}","Timestamp":"2024-01-01T00:00:00.000Z","SignatureVersion":"1","Signature":"x","SigningCertURL":"https://sns.us-east-1.amazonaws.com/c.pem"}"#;
        let message = SnsMessage::parse(body).unwrap();
        assert!(message.is_sns());
        assert_eq!(
            message.string_to_sign(),
            "Message\n{}\nMessageId\nm\nTimestamp\n2024-01-01T00:00:00.000Z\nTopicArn\nt\nType\nNotification\n"
        );
    }
}
