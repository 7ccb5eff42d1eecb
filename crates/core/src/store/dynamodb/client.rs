//! DynamoDB's JSON API: `POST /` with `X-Amz-Target: DynamoDB_20120810.<Op>`, signed with SigV4,
//! every request under the store's timeout.

use serde_json::{Value, json};

use super::sigv4::{self, Request, Scope};
use crate::store::StoreError;
use crate::store::config::AwsCredentials;
use crate::store::remote::{REQUEST_TIMEOUT, backend, http_client, transport};

/// How a call failed.
#[derive(Debug)]
pub(crate) enum CallError {
    /// A `ConditionExpression` did not hold; the item as it was, when DynamoDB returned it.
    ConditionFailed(Option<Value>),
    /// Anything else.
    Store(StoreError),
}

impl From<StoreError> for CallError {
    fn from(error: StoreError) -> Self {
        CallError::Store(error)
    }
}

impl From<CallError> for StoreError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::ConditionFailed(_) => backend("dynamodb: condition failed"),
            CallError::Store(error) => error,
        }
    }
}

/// A signed client for one AWS JSON API (DynamoDB, SQS) at one endpoint and region.
#[derive(Debug)]
pub(crate) struct Client {
    url: reqwest::Url,
    host: String,
    region: String,
    credentials: AwsCredentials,
    /// SigV4 service name (`dynamodb`, `sqs`).
    service: &'static str,
    /// `X-Amz-Target` prefix (`DynamoDB_20120810`, `AmazonSQS`).
    target: &'static str,
}

impl Client {
    /// A DynamoDB client.
    pub fn new(
        endpoint: &str,
        region: &str,
        credentials: AwsCredentials,
    ) -> Result<Self, StoreError> {
        Self::for_service(
            endpoint,
            region,
            credentials,
            "dynamodb",
            "DynamoDB_20120810",
        )
    }

    /// A client for another JSON-protocol service.
    pub fn for_service(
        endpoint: &str,
        region: &str,
        credentials: AwsCredentials,
        service: &'static str,
        target: &'static str,
    ) -> Result<Self, StoreError> {
        let url = reqwest::Url::parse(endpoint)
            .map_err(|e| StoreError::Open(format!("store.endpoint is not a URL: {e}")))?;
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(StoreError::Open("store.endpoint has no host".into())),
        };
        Ok(Client {
            url,
            host,
            region: region.to_owned(),
            credentials,
            service,
            target,
        })
    }

    /// Calls operation `op` with `body`; returns the reply's JSON.
    pub async fn call(&self, op: &str, body: &Value) -> Result<Value, CallError> {
        let payload = body.to_string();
        let target = format!("{}.{op}", self.target);
        let date = sigv4::amz_date_now();
        let mut headers = vec![
            ("content-type", "application/x-amz-json-1.0"),
            ("host", self.host.as_str()),
            ("x-amz-date", date.as_str()),
            ("x-amz-target", target.as_str()),
        ];
        if let Some(token) = &self.credentials.session_token {
            headers.push(("x-amz-security-token", token.expose()));
        }
        let authorization = sigv4::authorization(
            &self.credentials,
            Scope {
                region: &self.region,
                service: self.service,
            },
            &date,
            &Request {
                method: "POST",
                path: self.url.path(),
                query: "",
                headers: &headers,
                payload: payload.as_bytes(),
            },
        );
        let mut request = http_client()?
            .post(self.url.clone())
            .timeout(REQUEST_TIMEOUT)
            .body(payload);
        for (name, value) in headers.iter().filter(|(n, _)| *n != "host") {
            request = request.header(*name, *value);
        }
        let reply = request
            .header("authorization", authorization)
            .send()
            .await
            .map_err(|e| transport(&format!("{} {op}", self.service), e))?;
        let status = reply.status();
        let text = reply
            .text()
            .await
            .map_err(|e| transport(&format!("{} {op}", self.service), e))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(json);
        }
        let kind = json
            .get("__type")
            .and_then(Value::as_str)
            .map(|t| t.rsplit('#').next().unwrap_or(t))
            .unwrap_or("");
        if kind == "ConditionalCheckFailedException" {
            return Err(CallError::ConditionFailed(json.get("Item").cloned()));
        }
        let message = json
            .get("message")
            .or_else(|| json.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("");
        Err(StoreError::Refused {
            what: format!("{} {op}", self.service),
            status: status.as_u16(),
            code: format!("{kind} {message}").trim().to_owned(),
        }
        .into())
    }

    /// Creates a table with partition key `pk` and sort key `sk` (strings), on demand; an existing
    /// one is fine.
    pub async fn create_table(&self, table: &str) -> Result<(), StoreError> {
        let attribute = |name: &str| json!({ "AttributeName": name, "AttributeType": "S" });
        let body = json!({
            "TableName": table,
            "AttributeDefinitions": [attribute("pk"), attribute("sk")],
            "KeySchema": [
                { "AttributeName": "pk", "KeyType": "HASH" },
                { "AttributeName": "sk", "KeyType": "RANGE" }
            ],
            "BillingMode": "PAY_PER_REQUEST"
        });
        match self.call("CreateTable", &body).await {
            Ok(_) => Ok(()),
            Err(CallError::Store(e)) if e.to_string().contains("ResourceInUseException") => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every item a `Query` returns, following `LastEvaluatedKey`.
    pub async fn query_all(&self, mut body: Value) -> Result<Vec<Value>, StoreError> {
        let mut items = Vec::new();
        loop {
            let page = self.call("Query", &body).await?;
            if let Some(Value::Array(found)) = page.get("Items") {
                items.extend(found.iter().cloned());
            }
            match page.get("LastEvaluatedKey") {
                Some(last) if !last.is_null() => body["ExclusiveStartKey"] = last.clone(),
                _ => return Ok(items),
            }
        }
    }
}
