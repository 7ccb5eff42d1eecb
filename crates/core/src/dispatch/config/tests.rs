use std::collections::HashMap;

use crate::config::Config;
use crate::dispatch::TargetKind;

fn env() -> HashMap<String, String> {
    [
        ("DINGTALK_TOKEN", "tok-123"),
        ("DINGTALK_SECRET", "SECsecret-456"),
        ("DEPLOYER_WHSEC", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ("PASS", "pa55word"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The issue's two targets, as written.
#[test]
fn accepts_the_issue_targets_and_redacts_their_secrets() {
    let text = r#"
[[targets]]
name = "ops-robot"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=${env:DINGTALK_TOKEN}"
secret = "${env:DINGTALK_SECRET}"
message = "markdown"

[[targets]]
name = "deployer"
type = "webhook"
url = "https://deploy.example.com/hooks/registry"
signing = { scheme = "standard-webhooks", secret = "${env:DEPLOYER_WHSEC}" }
"#;
    let config = Config::from_toml(text, &env()).unwrap();
    assert!(matches!(config.targets[0].kind, TargetKind::Dingtalk(_)));
    let TargetKind::Webhook(hook) = &config.targets[1].kind else {
        panic!("webhook expected");
    };
    assert!(hook.signing.is_some());
    let debug = format!("{config:?}");
    for secret in ["tok-123", "SECsecret", "MfKQ9r8G"] {
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
    }
}

/// Every option of every kind at once.
#[test]
fn accepts_every_option() {
    let text = r#"
[[targets]]
name = "robot"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=x"
message = "action_card"
at_mobiles = ["13800000000"]
at_all = true
keyword = "registry"
template = "{{ kind }} {{ reference }}"
timeout = "5s"

[[targets]]
name = "teams"
type = "teams"
url = "https://example.webhook.office.com/x"
template = "{{ reference }}"

[[targets]]
name = "slack"
type = "slack"
url = "https://hooks.slack.com/services/T/B/C"

[[targets]]
name = "bearer"
type = "webhook"
url = "https://example.com/a"
format = "cloudevents-binary"
auth = { bearer = "t0ken" }
headers = { X-Team = "ops" }

[[targets]]
name = "basic"
type = "webhook"
url = "https://example.com/b"
format = "original"
auth = { basic = { username = "relay", password = "${env:PASS}" } }
"#;
    let config = Config::from_toml(text, &env()).unwrap();
    assert_eq!(config.targets.len(), 5);
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("t0ken") && !debug.contains("pa55word"),
        "{debug}"
    );
}

#[test]
fn errors_name_the_key() {
    let cases = [
        (
            "type='dingtalk'\nurl='https://x/'\ntemplate='{{ oops'",
            "targets[0].template",
        ),
        (
            "type='slack'\nurl='https://x/'\ntemplate='{{ a|nope }}'",
            "unknown filter",
        ),
        (
            "type='dingtalk'\nurl='https://x/'\nmessage='card'",
            "targets[0].message",
        ),
        (
            "type='webhook'\nurl='https://x/'\nformat='xml'",
            "targets[0].format",
        ),
        (
            "type='webhook'\nurl='https://x/'\nsigning={scheme='hmac', secret='x'}",
            "targets[0].signing.scheme",
        ),
        (
            "type='webhook'\nurl='https://x/'\nsigning={scheme='standard-webhooks', secret='whsec_nope!'}",
            "targets[0].signing.secret",
        ),
        (
            "type='webhook'\nurl='https://x/'\nheaders={webhook-id='x'}",
            "set by regrelay",
        ),
        (
            "type='webhook'\nurl='https://x/'\nauth={token='x'}",
            "token",
        ),
        ("type='teams'\nurl='https://x/'\nsecret='x'", "secret"),
    ];
    for (body, needle) in cases {
        let text = format!("[[targets]]\nname='a'\n{body}");
        let err = Config::from_toml(&text, &env()).unwrap_err().to_string();
        assert!(err.contains(needle), "{needle} not in: {err}");
    }
}

#[test]
fn a_wrong_type_or_setting_is_reported_at_its_key() {
    let load = |toml: &str| {
        crate::config::Config::from_toml(toml, &std::collections::HashMap::<String, String>::new())
            .unwrap_err()
            .to_string()
    };
    let typo = load(
        "[[targets]]\nname = \"ok\"\ntype = \"log\"\n\n[[targets]]\nname = \"a\"\ntype = \"webhok\"\nurl = \"https://e.example\"\n",
    );
    assert!(typo.starts_with("targets[1].type: "), "{typo}");
    assert!(
        typo.contains("webhok") && typo.contains("webhook"),
        "{typo}"
    );
    let missing = load("[[targets]]\nname = \"a\"\nurl = \"https://e.example\"\n");
    assert!(missing.starts_with("targets[0].type: missing"), "{missing}");
    let field =
        load("[[targets]]\nname = \"a\"\ntype = \"webhook\"\nurll = \"https://e.example\"\n");
    assert!(field.starts_with("targets[0]: "), "{field}");
    assert!(field.contains("urll"), "{field}");
}
