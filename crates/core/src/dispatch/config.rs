//! `[[targets]]`: how operators write targets, and their validation into [`Target`]s.
//!
//! URLs, secrets, tokens and header values may use `${env:NAME}`; secrets become [`Secret`]s
//! and never print. Templates are compiled and tried on sample events here, so a broken one
//! fails the load with its key.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::common::secret::{self, Env, Secret};
use crate::common::{ConfigError, duration};
use crate::dispatch::message::Messages;
use crate::dispatch::webhook::{self, Auth, BodyFormat, signing::SigningKey};
use crate::dispatch::{Endpoint, Target, TargetKind, dingtalk, log::Log, slack, teams};

/// Default per-target request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// `[[targets]]`. The kind-specific settings are kept as a table and read in [`RawTarget::build`],
/// where the target's index is known: a wrong `type` or setting is then reported at its key
/// (`targets[2].type: …`) rather than at the `[[targets]]` header, which is all a flattened,
/// tagged enum lets the TOML reader say.
#[derive(Debug, Deserialize)]
pub struct RawTarget {
    /// Name rules use to refer to the target.
    pub name: String,
    /// `type` and the kind-specific settings.
    #[serde(flatten)]
    pub settings: toml::Table,
}

/// The `type` names of [`RawTargetKind`].
const KINDS: [&str; 5] = ["webhook", "dingtalk", "teams", "slack", "log"];

/// Target kinds, by `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawTargetKind {
    /// HTTP(S) POST of the event.
    Webhook {
        /// Target URL (`${env:NAME}` allowed).
        url: String,
        /// Extra request headers (`${env:NAME}` allowed in values).
        #[serde(default)]
        headers: BTreeMap<String, String>,
        /// Per-attempt timeout, e.g. `10s` (default 10s).
        timeout: Option<String>,
        /// Body: `normalized` (default), `cloudevents`, `cloudevents-binary` or `original`.
        format: Option<String>,
        /// `{ bearer = "…" }` or `{ basic = { username = "…", password = "…" } }`.
        auth: Option<RawAuth>,
        /// `{ scheme = "standard-webhooks", secret = "whsec_…" }`.
        signing: Option<RawSigning>,
    },
    /// A DingTalk custom robot.
    Dingtalk {
        /// Robot URL with its `access_token`.
        url: String,
        /// The "sign" secret (`SEC…`), if the robot uses that setting.
        secret: Option<String>,
        /// `markdown` (default), `text` or `action_card`.
        message: Option<String>,
        /// Mobiles to mention.
        #[serde(default)]
        at_mobiles: Vec<String>,
        /// Mention everyone.
        #[serde(default)]
        at_all: bool,
        /// A keyword the robot requires, put in front of every message.
        keyword: Option<String>,
        /// A minijinja template for the message text.
        template: Option<String>,
        /// Per-attempt timeout (default 10s).
        timeout: Option<String>,
    },
    /// A Microsoft Teams workflow or incoming webhook.
    Teams {
        /// Webhook URL.
        url: String,
        /// A minijinja template for the card's text.
        template: Option<String>,
        /// Per-attempt timeout (default 10s).
        timeout: Option<String>,
    },
    /// A Slack incoming webhook.
    Slack {
        /// Webhook URL.
        url: String,
        /// A minijinja template (Slack `mrkdwn`) for the message section.
        template: Option<String>,
        /// Per-attempt timeout (default 10s).
        timeout: Option<String>,
    },
    /// One JSON line per event on standard output.
    Log {},
}

/// `auth` of a webhook target.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawAuth {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic …`.
    Basic {
        /// User name.
        username: String,
        /// Password (`${env:NAME}` recommended).
        password: String,
    },
}

/// `signing` of a webhook target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSigning {
    /// `standard-webhooks`, the only scheme so far.
    pub scheme: String,
    /// `whsec_` + base64 key.
    pub secret: String,
}

impl RawTarget {
    /// The settings, read as the kind `type` names.
    pub fn kind(&self, key: &str) -> Result<RawTargetKind, ConfigError> {
        let at = |field: &str| format!("{key}.{field}");
        match self.settings.get("type") {
            None => {
                return Err(ConfigError::invalid(
                    at("type"),
                    format!("missing; one of {}", KINDS.join(", ")),
                ));
            }
            Some(toml::Value::String(kind)) if KINDS.contains(&kind.as_str()) => {}
            Some(other) => {
                return Err(ConfigError::invalid(
                    at("type"),
                    format!("unknown target type {other}; one of {}", KINDS.join(", ")),
                ));
            }
        }
        RawTargetKind::deserialize(toml::Value::Table(self.settings.clone()))
            .map_err(|e| ConfigError::invalid(key, e.message().to_owned()))
    }

    pub(crate) fn build(&self, key: &str, env: &dyn Env) -> Result<Target, ConfigError> {
        let at = |field: &str| format!("{key}.{field}");
        let kind = match &self.kind(key)? {
            RawTargetKind::Webhook {
                url,
                headers,
                timeout,
                format,
                auth,
                signing,
            } => TargetKind::Webhook(webhook::Webhook {
                endpoint: endpoint(url, &at("url"), env)?,
                headers: build_headers(headers, key, env)?,
                timeout: parse_timeout(timeout.as_deref(), &at("timeout"))?,
                format: body_format(format.as_deref(), &at("format"))?,
                auth: auth
                    .as_ref()
                    .map(|a| build_auth(a, &at("auth"), env))
                    .transpose()?,
                signing: signing
                    .as_ref()
                    .map(|s| build_signing(s, &at("signing"), env))
                    .transpose()?,
            }),
            RawTargetKind::Dingtalk {
                url,
                secret,
                message,
                at_mobiles,
                at_all,
                keyword,
                template,
                timeout,
            } => TargetKind::Dingtalk(dingtalk::Dingtalk {
                endpoint: endpoint(url, &at("url"), env)?,
                secret: secret
                    .as_deref()
                    .map(|s| secret::expand(s, &at("secret"), env).map(Secret::new))
                    .transpose()?,
                message: message_type(message.as_deref(), &at("message"))?,
                at_mobiles: at_mobiles.clone(),
                at_all: *at_all,
                keyword: keyword.clone().filter(|k| !k.is_empty()),
                messages: messages(template.as_deref(), &at("template"))?,
                timeout: parse_timeout(timeout.as_deref(), &at("timeout"))?,
            }),
            RawTargetKind::Teams {
                url,
                template,
                timeout,
            } => TargetKind::Teams(teams::Teams {
                endpoint: endpoint(url, &at("url"), env)?,
                timeout: parse_timeout(timeout.as_deref(), &at("timeout"))?,
                messages: messages(template.as_deref(), &at("template"))?,
            }),
            RawTargetKind::Slack {
                url,
                template,
                timeout,
            } => TargetKind::Slack(slack::Slack {
                endpoint: endpoint(url, &at("url"), env)?,
                timeout: parse_timeout(timeout.as_deref(), &at("timeout"))?,
                messages: messages(template.as_deref(), &at("template"))?,
            }),
            RawTargetKind::Log {} => TargetKind::Log(Log),
        };
        Ok(Target {
            name: self.name.clone(),
            kind,
        })
    }
}

fn endpoint(url: &str, key: &str, env: &dyn Env) -> Result<Endpoint, ConfigError> {
    let url = secret::expand(url, key, env)?;
    Endpoint::parse(&url).map_err(|m| ConfigError::invalid(key, m))
}

fn build_headers(
    headers: &BTreeMap<String, String>,
    key: &str,
    env: &dyn Env,
) -> Result<webhook::RedactedHeaders, ConfigError> {
    let mut pairs = Vec::new();
    for (name, value) in headers {
        pairs.push((
            name.clone(),
            secret::expand(value, &format!("{key}.headers.{name}"), env)?,
        ));
    }
    webhook::RedactedHeaders::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .map_err(|m| ConfigError::invalid(format!("{key}.headers"), m))
}

fn build_auth(auth: &RawAuth, key: &str, env: &dyn Env) -> Result<Auth, ConfigError> {
    Ok(match auth {
        RawAuth::Bearer(token) => Auth::Bearer(Secret::new(secret::expand(
            token,
            &format!("{key}.bearer"),
            env,
        )?)),
        RawAuth::Basic { username, password } => Auth::Basic {
            username: secret::expand(username, &format!("{key}.basic.username"), env)?,
            password: Secret::new(secret::expand(
                password,
                &format!("{key}.basic.password"),
                env,
            )?),
        },
    })
}

fn build_signing(
    signing: &RawSigning,
    key: &str,
    env: &dyn Env,
) -> Result<SigningKey, ConfigError> {
    if signing.scheme != "standard-webhooks" {
        return Err(ConfigError::invalid(
            format!("{key}.scheme"),
            format!("'{}' is not standard-webhooks", signing.scheme),
        ));
    }
    let secret_key = format!("{key}.secret");
    let text = secret::expand(&signing.secret, &secret_key, env)?;
    SigningKey::from_secret(&text).map_err(|m| ConfigError::invalid(secret_key, m))
}

fn body_format(text: Option<&str>, key: &str) -> Result<BodyFormat, ConfigError> {
    match text.unwrap_or("normalized") {
        "normalized" => Ok(BodyFormat::Normalized),
        "cloudevents" => Ok(BodyFormat::CloudEvents),
        "cloudevents-binary" => Ok(BodyFormat::CloudEventsBinary),
        "original" => Ok(BodyFormat::Original),
        other => Err(ConfigError::invalid(
            key,
            format!("'{other}' is not normalized, cloudevents, cloudevents-binary or original"),
        )),
    }
}

fn message_type(text: Option<&str>, key: &str) -> Result<dingtalk::MessageType, ConfigError> {
    match text.unwrap_or("markdown") {
        "markdown" => Ok(dingtalk::MessageType::Markdown),
        "text" => Ok(dingtalk::MessageType::Text),
        "action_card" => Ok(dingtalk::MessageType::ActionCard),
        other => Err(ConfigError::invalid(
            key,
            format!("'{other}' is not markdown, text or action_card"),
        )),
    }
}

fn messages(template: Option<&str>, key: &str) -> Result<Messages, ConfigError> {
    Messages::new(template).map_err(|e| ConfigError::invalid(key, e.to_string()))
}

fn parse_timeout(text: Option<&str>, key: &str) -> Result<Duration, ConfigError> {
    let Some(text) = text else {
        return Ok(DEFAULT_TIMEOUT);
    };
    let timeout = duration::parse(text).map_err(|m| ConfigError::invalid(key, m))?;
    if timeout.is_zero() || timeout > Duration::from_secs(300) {
        return Err(ConfigError::invalid(key, "must be between 1ms and 300s"));
    }
    Ok(timeout)
}

#[cfg(test)]
mod tests;
