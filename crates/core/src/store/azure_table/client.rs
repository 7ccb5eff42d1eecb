//! The few Table service REST operations the store needs, signed with Shared Key Lite, JSON with
//! no metadata, every request under the store's timeout.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::sign::{Account, now_rfc1123};
use crate::store::StoreError;
use crate::store::remote::{REQUEST_TIMEOUT, backend, http_client, transport};

/// Table service REST version.
const VERSION: &str = "2019-02-02";

/// Key characters kept as they are inside `(PartitionKey='…',RowKey='…')`.
const KEY_IN_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'|');
/// Query values: everything but unreserved characters is encoded.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Whether a conditional write took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Write {
    /// It did.
    Done,
    /// Someone else changed or created the entity first.
    Lost,
}

/// One table in one account.
#[derive(Debug)]
pub(super) struct TableClient {
    account: Account,
    table: String,
}

impl TableClient {
    pub fn new(account: Account, table: &str) -> Result<Self, StoreError> {
        Ok(TableClient {
            account,
            table: table.to_owned(),
        })
    }

    /// Creates the table; an existing one (409) is fine.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let body = serde_json::json!({ "TableName": self.table });
        let reply = self
            .send(Method::POST, "/Tables", "", Some(&body), None)
            .await?;
        match reply.status() {
            s if s.is_success() || s == StatusCode::CONFLICT => Ok(()),
            s => Err(failed("create table", s, reply).await),
        }
    }

    /// One entity and its ETag, if it exists.
    pub async fn get(&self, pk: &str, rk: &str) -> Result<Option<(Value, String)>, StoreError> {
        let reply = self
            .send(Method::GET, &self.entity_path(pk, rk), "", None, None)
            .await?;
        match reply.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                let etag = header(&reply, "etag");
                let entity = json_body(reply, "read entity").await?;
                Ok(Some((entity, etag)))
            }
            s => Err(failed("get entity", s, reply).await),
        }
    }

    /// Inserts an entity; [`Write::Lost`] if it exists.
    pub async fn insert(&self, entity: &Value) -> Result<Write, StoreError> {
        let path = format!("/{}", self.table);
        let reply = self
            .send(Method::POST, &path, "", Some(entity), None)
            .await?;
        match reply.status() {
            s if s.is_success() => Ok(Write::Done),
            StatusCode::CONFLICT => Ok(Write::Lost),
            s => Err(failed("insert entity", s, reply).await),
        }
    }

    /// Replaces an entity whose ETag is still `etag`; with `None`, inserts or replaces.
    pub async fn replace(&self, entity: &Value, etag: Option<&str>) -> Result<Write, StoreError> {
        let pk = entity
            .get("PartitionKey")
            .and_then(Value::as_str)
            .unwrap_or("");
        let rk = entity.get("RowKey").and_then(Value::as_str).unwrap_or("");
        let path = self.entity_path(pk, rk);
        let reply = self
            .send(Method::PUT, &path, "", Some(entity), etag)
            .await?;
        match reply.status() {
            s if s.is_success() => Ok(Write::Done),
            StatusCode::PRECONDITION_FAILED | StatusCode::NOT_FOUND if etag.is_some() => {
                Ok(Write::Lost)
            }
            s => Err(failed("replace entity", s, reply).await),
        }
    }

    /// Deletes an entity whatever its ETag; a missing one is fine.
    pub async fn delete(&self, pk: &str, rk: &str) -> Result<(), StoreError> {
        let path = self.entity_path(pk, rk);
        let reply = self
            .send(Method::DELETE, &path, "", None, Some("*"))
            .await?;
        match reply.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            s => Err(failed("delete entity", s, reply).await),
        }
    }

    /// Every entity matching an OData `$filter`, following continuation tokens.
    pub async fn query(
        &self,
        filter: &str,
        select: Option<&str>,
    ) -> Result<Vec<Value>, StoreError> {
        let path = format!("/{}()", self.table);
        let mut query = format!("?$filter={}", utf8_percent_encode(filter, QUERY));
        if let Some(select) = select {
            query.push_str(&format!("&$select={}", utf8_percent_encode(select, QUERY)));
        }
        let mut out = Vec::new();
        let mut next = String::new();
        loop {
            let reply = self
                .send(Method::GET, &path, &format!("{query}{next}"), None, None)
                .await?;
            if !reply.status().is_success() {
                let status = reply.status();
                return Err(failed("query entities", status, reply).await);
            }
            let (pk, rk) = (
                header(&reply, "x-ms-continuation-NextPartitionKey"),
                header(&reply, "x-ms-continuation-NextRowKey"),
            );
            let page = json_body(reply, "read query").await?;
            if let Some(Value::Array(values)) = page.get("value").cloned() {
                out.extend(values);
            }
            if pk.is_empty() {
                return Ok(out);
            }
            next = format!(
                "&NextPartitionKey={}&NextRowKey={}",
                utf8_percent_encode(&pk, QUERY),
                utf8_percent_encode(&rk, QUERY)
            );
        }
    }

    fn entity_path(&self, pk: &str, rk: &str) -> String {
        format!(
            "/{}(PartitionKey='{}',RowKey='{}')",
            self.table,
            utf8_percent_encode(pk, KEY_IN_PATH),
            utf8_percent_encode(rk, KEY_IN_PATH)
        )
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<reqwest::Response, StoreError> {
        let url = reqwest::Url::parse(&format!("{}{path}{query}", self.account.endpoint))
            .map_err(|e| backend(format!("table URL: {e}")))?;
        let date = now_rfc1123();
        let authorization = self.account.authorization(&date, url.path());
        let mut request = http_client()?
            .request(method, url)
            .timeout(REQUEST_TIMEOUT)
            .header("x-ms-date", &date)
            .header("x-ms-version", VERSION)
            .header("accept", "application/json;odata=nometadata")
            .header("dataserviceversion", "3.0;NetFx")
            .header("maxdataserviceversion", "3.0;NetFx")
            .header("authorization", authorization);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .header("prefer", "return-no-content")
                .body(body.to_string());
        }
        if let Some(etag) = if_match {
            request = request.header("if-match", etag);
        }
        request
            .send()
            .await
            .map_err(|e| transport("table storage", e))
    }
}

async fn json_body(reply: reqwest::Response, what: &str) -> Result<Value, StoreError> {
    let bytes = reply.bytes().await.map_err(|e| transport(what, e))?;
    Ok(serde_json::from_slice(&bytes)?)
}

fn header(reply: &reqwest::Response, name: &str) -> String {
    reply
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// An error naming the operation, the status and the service's error code (never the request).
async fn failed(what: &str, status: StatusCode, reply: reqwest::Response) -> StoreError {
    let text = reply.text().await.unwrap_or_default();
    let code = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.pointer("/odata.error/code")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    StoreError::Refused {
        what: format!("table storage {what}"),
        status: status.as_u16(),
        code,
    }
}
