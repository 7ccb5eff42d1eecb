//! `[inbound]`: who may send, what a request may hold, and how SNS and Alibaba EventBridge
//! senders are verified. Secrets are expanded from the environment once, here.

use std::time::Duration;

use serde::Deserialize;

use crate::common::ConfigError;
use crate::common::duration::{self, MAX_CONFIG_WAIT};
use crate::common::secret::{self, Env, Secret};
use crate::verify::alibaba::AlibabaInbound;

/// Default cap on request bodies: Event Grid's own 1 MB limit on a batch, with room for headers.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default origin allowed in the CloudEvents webhook handshake.
pub const DEFAULT_ALLOWED_ORIGIN: &str = "eventgrid.azure.net";
/// Default host patterns SNS certificates and subscription URLs may come from (`{region}` is one
/// AWS region id, e.g. `us-east-1`, `cn-north-1`, `us-gov-west-1`).
pub const DEFAULT_SNS_HOSTS: [&str; 2] = [
    "sns.{region}.amazonaws.com",
    "sns.{region}.amazonaws.com.cn",
];
/// Default oldest SNS message accepted.
pub const DEFAULT_SNS_MAX_AGE: Duration = Duration::from_secs(3600);
/// Default cap on registry events in one request.
pub const DEFAULT_MAX_EVENTS: usize = 1000;

/// `[inbound]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInbound {
    /// Shared secret senders must present as `Authorization: Bearer <secret>` or
    /// `?access_token=<secret>`; comma-separated values are all accepted (rotation).
    pub secret: Option<String>,
    /// Origins allowed in the CloudEvents webhook handshake; default `["eventgrid.azure.net"]`.
    pub allowed_origins: Option<Vec<String>>,
    /// Rate granted in the handshake: `*` (default) or requests per minute.
    pub allowed_rate: Option<String>,
    /// Hosts SNS certificate and `SubscribeURL` fetches may go to; `*` stands for one DNS label.
    /// `{region}` stands for one AWS region id. Default `["sns.{region}.amazonaws.com",
    /// "sns.{region}.amazonaws.com.cn"]`.
    pub sns_allowed_hosts: Option<Vec<String>>,
    /// Verify SNS message signatures (default `true`).
    pub sns_verify_signatures: Option<bool>,
    /// Verify Alibaba Cloud EventBridge HTTP target signatures (default `false`); requests with
    /// Alibaba EventBridge events and no signature are then refused.
    pub alibaba_verify_signatures: Option<bool>,
    /// Regions whose EventBridge sends here: their certificate hosts are allowed.
    pub alibaba_regions: Option<Vec<String>>,
    /// Further certificate hosts (`*` = one DNS label), e.g. a loopback test server.
    pub alibaba_cert_hosts: Option<Vec<String>>,
    /// Token set on the EventBridge target; requests must be signed with it. Implies verification.
    pub alibaba_signature_token: Option<String>,
    /// Secret for reading history (`GET /api/events/{id}`), distinct from the senders' `secret`;
    /// comma-separated values are all accepted (rotation).
    pub read_secret: Option<String>,
    /// Secret for changing things through the API and console (redriving dead letters),
    /// distinct from the read and sender secrets; comma-separated values are all accepted.
    pub write_secret: Option<String>,
    /// Most registry events accepted in one request (default 1000); more get 413.
    pub max_events: Option<usize>,
    /// SNS topic ARNs (`*` = any run of characters within one ARN field) whose messages are
    /// accepted and whose subscriptions are confirmed. Required for SNS traffic: without it every
    /// SNS message gets 403. An entry may be `${env:NAME}` holding a comma-separated list.
    pub sns_topics: Option<Vec<String>>,
    /// Oldest SNS message accepted, by its `Timestamp` (default `1h`).
    pub sns_max_age: Option<String>,
    /// Trust `X-Forwarded-Proto`/`X-Forwarded-Host` (default false): only behind a proxy that
    /// sets them itself, for the URL Alibaba EventBridge signatures cover.
    pub trust_forwarded_headers: Option<bool>,
}

/// How requests are accepted.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Shared secrets, any of which authorizes a request (several during rotation). Empty: no check.
    pub secrets: Vec<Secret>,
    /// Secrets for reading history. Empty: history is readable only when `secrets` is empty too.
    pub read_secrets: Vec<Secret>,
    /// Secrets for redrive. Empty: redrive over HTTP is open only when no other secret is set.
    pub write_secrets: Vec<Secret>,
    /// Most registry events accepted in one request.
    pub max_events: usize,
    /// Origins allowed in the CloudEvents webhook handshake (`*` allows any).
    pub allowed_origins: Vec<String>,
    /// `WebHook-Allowed-Rate` to grant (`*` or requests per minute).
    pub allowed_rate: String,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Amazon SNS: signature checks and where certificates and confirmations may be fetched.
    pub sns: SnsInbound,
    /// Alibaba Cloud EventBridge signature checks.
    pub alibaba: AlibabaInbound,
}

/// Amazon SNS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsInbound {
    /// Host patterns (`*` = one DNS label, `{region}` = one AWS region id) for `SigningCertURL`
    /// and `SubscribeURL`.
    pub allowed_hosts: Vec<String>,
    /// Whether signatures are verified.
    pub verify_signatures: bool,
    /// Topic ARN patterns whose messages are accepted. Empty: no SNS message is.
    pub topics: Vec<String>,
    /// Oldest message accepted, by its `Timestamp`.
    pub max_age: Duration,
}

impl Default for SnsInbound {
    fn default() -> Self {
        SnsInbound {
            allowed_hosts: DEFAULT_SNS_HOSTS.map(str::to_owned).to_vec(),
            verify_signatures: true,
            topics: Vec::new(),
            max_age: DEFAULT_SNS_MAX_AGE,
        }
    }
}

impl RawInbound {
    /// Validates `[inbound]`; `max_body_bytes` is `server.max_body_bytes`, which it enforces.
    pub(crate) fn build(
        &self,
        max_body_bytes: Option<usize>,
        env: &dyn Env,
    ) -> Result<Inbound, ConfigError> {
        let secrets = secret_list(self.secret.as_deref(), "inbound.secret", env)?;
        let read_secrets = secret_list(self.read_secret.as_deref(), "inbound.read_secret", env)?;
        let write_secrets = secret_list(self.write_secret.as_deref(), "inbound.write_secret", env)?;
        let max_events = self.max_events.unwrap_or(DEFAULT_MAX_EVENTS);
        if max_events == 0 {
            return Err(ConfigError::invalid(
                "inbound.max_events",
                "must be positive",
            ));
        }
        let allowed_origins = self
            .allowed_origins
            .clone()
            .unwrap_or_else(|| vec![DEFAULT_ALLOWED_ORIGIN.to_owned()]);
        let allowed_rate = self.allowed_rate.clone().unwrap_or_else(|| "*".to_owned());
        if allowed_rate != "*" && allowed_rate.parse::<u32>().map_or(true, |n| n == 0) {
            return Err(ConfigError::invalid(
                "inbound.allowed_rate",
                "must be * or a positive number of requests per minute",
            ));
        }
        let max_body_bytes = max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        if max_body_bytes == 0 {
            return Err(ConfigError::invalid(
                "server.max_body_bytes",
                "must be positive",
            ));
        }
        let sns = self.sns(env)?;
        let alibaba = self.alibaba(env)?;
        Ok(Inbound {
            secrets,
            read_secrets,
            write_secrets,
            max_events,
            allowed_origins,
            allowed_rate,
            max_body_bytes,
            sns,
            alibaba,
        })
    }

    fn alibaba(&self, env: &dyn Env) -> Result<AlibabaInbound, ConfigError> {
        let token = match &self.alibaba_signature_token {
            Some(text) => Some(Secret::new(secret::expand(
                text,
                "inbound.alibaba_signature_token",
                env,
            )?)),
            None => None,
        };
        let mut cert_hosts: Vec<String> = Vec::new();
        for region in self.alibaba_regions.iter().flatten() {
            let region = region.trim();
            if region.is_empty()
                || !region
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(ConfigError::invalid(
                    "inbound.alibaba_regions",
                    "region ids are letters, digits and '-' (e.g. cn-hangzhou)",
                ));
            }
            cert_hosts.extend(AlibabaInbound::region_hosts(region));
        }
        cert_hosts.extend(self.alibaba_cert_hosts.iter().flatten().cloned());
        let verify = self.alibaba_verify_signatures.unwrap_or(false) || token.is_some();
        if verify && cert_hosts.is_empty() {
            return Err(ConfigError::invalid(
                "inbound.alibaba_regions",
                "name the regions whose EventBridge sends here, so their certificate hosts are allowed",
            ));
        }
        Ok(AlibabaInbound {
            verify,
            cert_hosts,
            token,
            trust_forwarded: self.trust_forwarded_headers.unwrap_or(false),
        })
    }

    fn sns(&self, env: &dyn Env) -> Result<SnsInbound, ConfigError> {
        let default = SnsInbound::default();
        let allowed_hosts = self
            .sns_allowed_hosts
            .clone()
            .unwrap_or(default.allowed_hosts);
        if allowed_hosts.iter().any(|h| h.trim().is_empty()) {
            return Err(ConfigError::invalid(
                "inbound.sns_allowed_hosts",
                "host patterns must not be empty",
            ));
        }
        // Entries may be `${env:NAME}` holding a comma-separated list (Terraform sets one).
        let mut topics = Vec::new();
        for entry in self.sns_topics.iter().flatten() {
            let expanded = secret::expand(entry, "inbound.sns_topics", env)?;
            topics.extend(
                expanded
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            );
        }
        if let Some(bad) = topics.iter().find(|t| !t.starts_with("arn:")) {
            return Err(ConfigError::invalid(
                "inbound.sns_topics",
                format!(
                    "'{bad}' is not a topic ARN pattern (arn:aws:sns:<region>:<account>:<topic>, * allowed)"
                ),
            ));
        }
        let max_age = match &self.sns_max_age {
            Some(text) => match duration::parse(text) {
                Ok(d) if d > MAX_CONFIG_WAIT => {
                    return Err(ConfigError::invalid(
                        "inbound.sns_max_age",
                        "must be at most 1d",
                    ));
                }
                Ok(d) => d,
                Err(m) => return Err(ConfigError::invalid("inbound.sns_max_age", m)),
            },
            None => default.max_age,
        };
        Ok(SnsInbound {
            allowed_hosts,
            verify_signatures: self.sns_verify_signatures.unwrap_or(true),
            topics,
            max_age,
        })
    }
}

/// A comma-separated secret list (rotation). Unset: empty. Set but empty after expansion (an
/// unset variable, `""`, `","`): an error, never a silently disabled check.
fn secret_list(text: Option<&str>, key: &str, env: &dyn Env) -> Result<Vec<Secret>, ConfigError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let secrets: Vec<Secret> = secret::expand(text, key, env)?
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Secret::new(s.to_owned()))
        .collect();
    if secrets.is_empty() {
        return Err(ConfigError::invalid(
            key,
            "is set but empty: an empty secret would turn authentication off; remove the key or give it a value",
        ));
    }
    Ok(secrets)
}
