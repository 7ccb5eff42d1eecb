//! An Azure Storage queue over its REST API, signed with Shared Key: create, put (hidden until
//! due, up to the service's 7-day limit), and — for tests and draining — get and delete.
//!
//! Messages are base64-encoded, as the Functions host's queue extension expects by default
//! (`extensions.queues.messageEncoding = "base64"`). Shared Key for the Queue service signs
//! `VERB`, eleven standard header slots (only `Content-Length` and `Content-Type` are used here;
//! `Content-Length` is empty when zero), the `x-ms-*` headers sorted, and the resource:
//! `/<account><path>` followed by each query parameter as `\nname:value`, names sorted
//! ("Authorize with Shared Key", Azure Storage REST docs).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};

use crate::common::Secret;
use crate::store::StoreError;
use crate::store::azure_table::sign::{Account, now_rfc1123};
use crate::store::remote::{REQUEST_TIMEOUT, backend, http_client, transport};

/// Queue service REST version.
const VERSION: &str = "2020-10-02";
/// The longest a message can stay hidden (7 days).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(7 * 86_400);

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Message id.
    pub id: String,
    /// Pop receipt, for delete.
    pub pop_receipt: String,
    /// Times it was dequeued, this one included.
    pub dequeue_count: u32,
    /// The message text, base64-decoded.
    pub text: String,
}

/// One queue in one account.
#[derive(Debug)]
pub struct StorageQueue {
    account: Account,
    name: String,
    /// Set once the queue is known to exist (created on first use).
    ready: tokio::sync::OnceCell<()>,
}

impl StorageQueue {
    /// The queue `name` in the account of `connection_string`.
    pub fn open(connection_string: &Secret, name: &str) -> Result<Self, StoreError> {
        let account = Account::from_connection_string(connection_string)?;
        Ok(StorageQueue {
            account,
            name: name.to_owned(),
            ready: tokio::sync::OnceCell::new(),
        })
    }

    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The queue the Functions host moves messages to after its dequeue limit (`<name>-poison`);
    /// `regrelay serve` polling this queue does the same.
    pub fn poison(&self) -> StorageQueue {
        StorageQueue {
            account: self.account.clone(),
            name: format!("{}-poison", self.name),
            ready: tokio::sync::OnceCell::new(),
        }
    }

    /// Creates the queue; an existing one is fine.
    pub async fn create(&self) -> Result<(), StoreError> {
        let path = format!("/{}", self.name);
        let reply = self.send(Method::PUT, &path, &[], None).await?;
        match reply.status() {
            s if s.is_success() || s == StatusCode::CONFLICT => Ok(()),
            s => Err(failed("create queue", s, reply).await),
        }
    }

    /// Puts one message, invisible for `delay` (at most 7 days), never expiring.
    pub async fn put(&self, text: &str, delay: Duration) -> Result<(), StoreError> {
        self.ready.get_or_try_init(|| self.create()).await?;
        let visible = delay.min(MAX_VISIBILITY).as_secs().to_string();
        let body = format!(
            "<QueueMessage><MessageText>{}</MessageText></QueueMessage>",
            STANDARD.encode(text)
        );
        let path = format!("/{}/messages", self.name);
        let query = [
            ("messagettl", "-1"),
            ("visibilitytimeout", visible.as_str()),
        ];
        let reply = self.send(Method::POST, &path, &query, Some(body)).await?;
        match reply.status() {
            s if s.is_success() => Ok(()),
            s => Err(failed("put message", s, reply).await),
        }
    }

    /// [`StorageQueue::put`] of an owned text (for many puts in flight at once).
    pub async fn put_owned(&self, text: String, delay: Duration) -> Result<(), StoreError> {
        self.put(&text, delay).await
    }

    /// Gets up to `count` (1–32) visible messages, hiding them for `hide`.
    pub async fn get(&self, count: u8, hide: Duration) -> Result<Vec<Received>, StoreError> {
        let count = count.clamp(1, 32).to_string();
        let hide = hide.as_secs().max(1).to_string();
        let path = format!("/{}/messages", self.name);
        let query = [
            ("numofmessages", count.as_str()),
            ("visibilitytimeout", hide.as_str()),
        ];
        let reply = self.send(Method::GET, &path, &query, None).await?;
        let status = reply.status();
        if !status.is_success() {
            return Err(failed("get messages", status, reply).await);
        }
        let xml = reply
            .text()
            .await
            .map_err(|e| transport("queue get messages", e))?;
        parse_messages(&xml)
    }

    /// Deletes a received message.
    pub async fn delete(&self, message: &Received) -> Result<(), StoreError> {
        let path = format!("/{}/messages/{}", self.name, message.id);
        let query = [("popreceipt", message.pop_receipt.as_str())];
        let reply = self.send(Method::DELETE, &path, &query, None).await?;
        match reply.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            s => Err(failed("delete message", s, reply).await),
        }
    }

    /// The service's approximate count of messages in the queue.
    pub async fn approximate_count(&self) -> Result<u64, StoreError> {
        let path = format!("/{}", self.name);
        let reply = self
            .send(Method::GET, &path, &[("comp", "metadata")], None)
            .await?;
        let status = reply.status();
        if !status.is_success() {
            return Err(failed("queue metadata", status, reply).await);
        }
        Ok(reply
            .headers()
            .get("x-ms-approximate-messages-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<reqwest::Response, StoreError> {
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.account.queue_endpoint))
            .map_err(|e| backend(format!("queue URL: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().copied());
        }
        let date = now_rfc1123();
        let length = body.as_ref().map_or(0, String::len);
        let content_type = if body.is_some() {
            "application/xml"
        } else {
            ""
        };
        let signed = string_to_sign(&StringToSign {
            method: method.as_str(),
            content_length: length,
            content_type,
            date: &date,
            account: &self.account.name,
            path: url.path(),
            query,
        });
        let authorization = format!(
            "SharedKey {}:{}",
            self.account.name,
            self.account.sign(&signed)
        );
        let mut request = http_client()?
            .request(method, url)
            .timeout(REQUEST_TIMEOUT)
            .header("x-ms-date", &date)
            .header("x-ms-version", VERSION)
            .header("authorization", authorization);
        if let Some(body) = body {
            request = request.header("content-type", content_type).body(body);
        }
        request
            .send()
            .await
            .map_err(|e| transport("queue storage", e))
    }
}

/// The parts of a request Shared Key signs here.
struct StringToSign<'a> {
    method: &'a str,
    content_length: usize,
    content_type: &'a str,
    date: &'a str,
    account: &'a str,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
}

fn string_to_sign(r: &StringToSign<'_>) -> String {
    let length = if r.content_length == 0 {
        String::new()
    } else {
        r.content_length.to_string()
    };
    let mut params: Vec<(String, &str)> = r
        .query
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), *v))
        .collect();
    params.sort();
    let mut resource = format!("/{}{}", r.account, r.path);
    for (name, value) in params {
        resource.push_str(&format!("\n{name}:{value}"));
    }
    format!(
        "{}\n\n\n{length}\n\n{}\n\n\n\n\n\n\nx-ms-date:{}\nx-ms-version:{VERSION}\n{resource}",
        r.method, r.content_type, r.date
    )
}

/// The messages of a Get Messages reply.
pub fn parse_messages(xml: &str) -> Result<Vec<Received>, StoreError> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<QueueMessage>") {
        let after = &rest[start + "<QueueMessage>".len()..];
        let end = after
            .find("</QueueMessage>")
            .ok_or_else(|| backend("queue reply: unterminated QueueMessage"))?;
        let message = &after[..end];
        let field = |tag: &str| element(message, tag).unwrap_or_default();
        let text = STANDARD
            .decode(field("MessageText"))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| backend("queue reply: MessageText is not base64 UTF-8"))?;
        out.push(Received {
            id: field("MessageId").to_owned(),
            pop_receipt: field("PopReceipt").to_owned(),
            dequeue_count: field("DequeueCount").parse().unwrap_or(1),
            text,
        });
        rest = &after[end..];
    }
    Ok(out)
}

/// The text of the first `<tag>…</tag>` in `xml`.
fn element<'x>(xml: &'x str, tag: &str) -> Option<&'x str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&format!("</{tag}>"))?;
    Some(&xml[start..start + len])
}

/// An error naming the operation, the status and the service's error code.
async fn failed(what: &str, status: StatusCode, reply: reqwest::Response) -> StoreError {
    let code = reply
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    StoreError::Refused {
        what: format!("queue storage {what}"),
        status: status.as_u16(),
        code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string to sign for a Put Message on Azurite; the signature was computed independently
    /// with Python: `base64(hmac.new(b64decode(DEV_KEY), sts.encode(), sha256).digest())`.
    #[test]
    fn signs_the_documented_string() {
        let sts = string_to_sign(&StringToSign {
            method: "POST",
            content_length: 80,
            content_type: "application/xml",
            date: "Wed, 01 May 2024 08:00:00 GMT",
            account: "devstoreaccount1",
            path: "/devstoreaccount1/work/messages",
            query: &[("visibilitytimeout", "10"), ("messagettl", "-1")],
        });
        assert_eq!(
            sts,
            "POST\n\n\n80\n\napplication/xml\n\n\n\n\n\n\nx-ms-date:Wed, 01 May 2024 08:00:00 GMT\nx-ms-version:2020-10-02\n/devstoreaccount1/devstoreaccount1/work/messages\nmessagettl:-1\nvisibilitytimeout:10"
        );
        let account =
            Account::from_connection_string(&Secret::new("UseDevelopmentStorage=true")).unwrap();
        assert_eq!(account.sign(&sts), PY_SIGNATURE);
    }

    const PY_SIGNATURE: &str = "90OTBbebimWR8kFDivWbgUGjKIDlVpdKeMi165UIgP0=";

    #[test]
    fn get_messages_replies_are_read() {
        let xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList><QueueMessage><MessageId>m1</MessageId><InsertionTime>x</InsertionTime><PopReceipt>AgAA+/=</PopReceipt><DequeueCount>3</DequeueCount><MessageText>aGVsbG8=</MessageText></QueueMessage></QueueMessagesList>";
        let got = parse_messages(xml).unwrap();
        assert_eq!(
            got,
            vec![Received {
                id: "m1".into(),
                pop_receipt: "AgAA+/=".into(),
                dequeue_count: 3,
                text: "hello".into()
            }]
        );
        assert!(
            parse_messages("<QueueMessage><MessageText>!!</MessageText></QueueMessage>").is_err()
        );
        assert!(parse_messages("<QueueMessage>").is_err());
    }
}
