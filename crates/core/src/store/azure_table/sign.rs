//! The storage account from a connection string, and Shared Key Lite signing for the Table
//! service.
//!
//! Shared Key Lite for tables signs `Date + "\n" + CanonicalizedResource`, where the date is the
//! `x-ms-date` header and the resource is `/<account>` followed by the request's encoded URI path
//! (only a `comp` query parameter would be appended; table operations have none). The signature is
//! HMAC-SHA256 under the base64-decoded account key, base64-encoded, sent as
//! `Authorization: SharedKeyLite <account>:<signature>` ("Authorize with Shared Key", Azure
//! Storage REST docs).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::common::Secret;
use crate::store::StoreError;

/// Azurite's well-known development account (public, documented with the emulator).
const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const DEV_TABLE_ENDPOINT: &str = "http://127.0.0.1:10002/devstoreaccount1";
const DEV_QUEUE_ENDPOINT: &str = "http://127.0.0.1:10001/devstoreaccount1";

/// The decoded account key; never printed.
#[derive(Clone)]
pub(crate) struct AccountKey(Vec<u8>);

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A storage account and its Table service endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    /// Account name.
    pub name: String,
    /// Table endpoint, without a trailing slash (path-style for Azurite).
    pub endpoint: String,
    /// Queue endpoint, without a trailing slash (the delivery queue's service).
    pub queue_endpoint: String,
    key: AccountKey,
}

impl Account {
    /// Parses a connection string: `AccountName`, `AccountKey`, `DefaultEndpointsProtocol`,
    /// `EndpointSuffix`, `TableEndpoint`, or `UseDevelopmentStorage=true` for Azurite. Errors
    /// name the setting at fault, never its value.
    pub fn from_connection_string(text: &Secret) -> Result<Account, StoreError> {
        let mut name = None;
        let mut key = None;
        let mut protocol = "https".to_owned();
        let mut suffix = "core.windows.net".to_owned();
        let mut endpoint = None;
        let mut queue_endpoint = None;
        let mut development = false;
        for part in text
            .expose()
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let Some((k, v)) = part.split_once('=') else {
                return Err(invalid("a part without '='"));
            };
            match k.trim() {
                "AccountName" => name = Some(v.trim().to_owned()),
                "AccountKey" => key = Some(v.trim().to_owned()),
                "DefaultEndpointsProtocol" => v.trim().clone_into(&mut protocol),
                "EndpointSuffix" => v.trim().clone_into(&mut suffix),
                "TableEndpoint" => endpoint = Some(v.trim().trim_end_matches('/').to_owned()),
                "QueueEndpoint" => {
                    queue_endpoint = Some(v.trim().trim_end_matches('/').to_owned());
                }
                "UseDevelopmentStorage" => development = v.trim().eq_ignore_ascii_case("true"),
                "SharedAccessSignature" => {
                    return Err(invalid(
                        "SharedAccessSignature is not supported; use AccountKey",
                    ));
                }
                _ => {}
            }
        }
        if development {
            name.get_or_insert_with(|| DEV_ACCOUNT.to_owned());
            key.get_or_insert_with(|| DEV_KEY.to_owned());
            endpoint.get_or_insert_with(|| DEV_TABLE_ENDPOINT.to_owned());
            queue_endpoint.get_or_insert_with(|| DEV_QUEUE_ENDPOINT.to_owned());
        }
        let name = name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid("AccountName is missing"))?;
        let key = key.ok_or_else(|| invalid("AccountKey is missing"))?;
        let key = STANDARD
            .decode(key)
            .map_err(|_| invalid("AccountKey is not base64"))?;
        let endpoint = endpoint.unwrap_or_else(|| format!("{protocol}://{name}.table.{suffix}"));
        let queue_endpoint =
            queue_endpoint.unwrap_or_else(|| format!("{protocol}://{name}.queue.{suffix}"));
        let http = |url: &str| url.starts_with("https://") || url.starts_with("http://");
        if !http(&endpoint) {
            return Err(invalid("TableEndpoint is not an http(s) URL"));
        }
        if !http(&queue_endpoint) {
            return Err(invalid("QueueEndpoint is not an http(s) URL"));
        }
        Ok(Account {
            name,
            endpoint,
            queue_endpoint,
            key: AccountKey(key),
        })
    }

    /// The `Authorization` header for a request to `path` (the URL's encoded path) at `date`
    /// (the `x-ms-date` header).
    pub fn authorization(&self, date: &str, path: &str) -> String {
        let signature = self.sign(&string_to_sign(&self.name, date, path));
        format!("SharedKeyLite {}:{signature}", self.name)
    }

    /// Base64(HMAC-SHA256) of `string_to_sign` under the account key.
    pub(crate) fn sign(&self, string_to_sign: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key.0) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        mac.update(string_to_sign.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }
}

/// Shared Key Lite's string to sign for the Table service.
fn string_to_sign(account: &str, date: &str, path: &str) -> String {
    format!("{date}\n/{account}{path}")
}

/// `x-ms-date` for now (RFC 1123).
pub(crate) fn now_rfc1123() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn invalid(what: &str) -> StoreError {
    StoreError::Open(format!("store.connection_string: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn azurite() -> Account {
        Account::from_connection_string(&Secret::new("UseDevelopmentStorage=true")).unwrap()
    }

    /// The documented shape: the date, a newline, then `/<account>` and the encoded path. For
    /// Azurite's path-style URLs the account appears twice, once from the rule and once from the
    /// path. The expected signature was computed independently with Python's `hmac` module:
    /// `base64(hmac.new(b64decode(DEV_KEY), sts.encode(), sha256).digest())`.
    #[test]
    fn signs_the_documented_string() {
        let date = "Wed, 01 May 2024 08:00:00 GMT";
        let path = "/devstoreaccount1/regrelay(PartitionKey='e1',RowKey='event')";
        assert_eq!(
            string_to_sign("devstoreaccount1", date, path),
            "Wed, 01 May 2024 08:00:00 GMT\n/devstoreaccount1/devstoreaccount1/regrelay(PartitionKey='e1',RowKey='event')"
        );
        assert_eq!(
            azurite().authorization(date, path),
            format!("SharedKeyLite devstoreaccount1:{PY_SIGNATURE}")
        );
    }

    const PY_SIGNATURE: &str = "X1wuX0XSMGDNPF+cBnMG7UVaFubpfD4+FdJ4n1xBPAE=";

    #[test]
    fn connection_strings_name_their_endpoint_and_hide_the_key() {
        let dev = azurite();
        assert_eq!(dev.endpoint, DEV_TABLE_ENDPOINT);
        assert_eq!(dev.queue_endpoint, DEV_QUEUE_ENDPOINT);
        let prod = Account::from_connection_string(&Secret::new(
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0;EndpointSuffix=core.chinacloudapi.cn",
        ))
        .unwrap();
        assert_eq!(prod.endpoint, "https://acct.table.core.chinacloudapi.cn");
        assert_eq!(
            prod.queue_endpoint,
            "https://acct.queue.core.chinacloudapi.cn"
        );
        assert!(!format!("{prod:?}").contains("c2VjcmV0"));
        let custom = Account::from_connection_string(&Secret::new(
            "AccountName=a;AccountKey=c2VjcmV0;TableEndpoint=http://127.0.0.1:9/a/",
        ))
        .unwrap();
        assert_eq!(custom.endpoint, "http://127.0.0.1:9/a");
        let err =
            Account::from_connection_string(&Secret::new("AccountName=a;AccountKey=!!notbase64"))
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("AccountKey") && !err.contains("notbase64"),
            "{err}"
        );
        assert!(Account::from_connection_string(&Secret::new("AccountKey=c2VjcmV0")).is_err());
    }
}
