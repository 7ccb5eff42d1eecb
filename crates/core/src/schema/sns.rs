//! Amazon SNS messages delivered over HTTP(S): the JSON envelope (sent as `text/plain`), its
//! message types, and the canonical string its signature covers.

use std::borrow::Cow;

use serde::Deserialize;

use super::lenient;

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
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub r#type: Option<Cow<'a, str>>,
    /// Message id.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub message_id: Option<Cow<'a, str>>,
    /// Confirmation token.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub token: Option<Cow<'a, str>>,
    /// Topic ARN.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub topic_arn: Option<Cow<'a, str>>,
    /// Subject (notifications, optional).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub subject: Option<Cow<'a, str>>,
    /// The message: for notifications, the published text (here a JSON event).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub message: Option<Cow<'a, str>>,
    /// Time of publication.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub timestamp: Option<Cow<'a, str>>,
    /// `1` (SHA1withRSA) or `2` (SHA256withRSA).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub signature_version: Option<Cow<'a, str>>,
    /// Base64 signature.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub signature: Option<Cow<'a, str>>,
    /// Where the signing certificate is.
    #[serde(
        borrow,
        default,
        rename = "SigningCertURL",
        alias = "SigningCertUrl",
        deserialize_with = "lenient::opt_str"
    )]
    pub signing_cert_url: Option<Cow<'a, str>>,
    /// URL to visit to confirm the subscription.
    #[serde(
        borrow,
        default,
        rename = "SubscribeURL",
        alias = "SubscribeUrl",
        deserialize_with = "lenient::opt_str"
    )]
    pub subscribe_url: Option<Cow<'a, str>>,
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
