//! Every config file we ship loads as shipped (given the environment it documents), and the
//! issues' example snippets are accepted as written.

use std::collections::HashMap;

use regrelay_core::Config;
use regrelay_tests::root;

fn env() -> HashMap<String, String> {
    [
        ("REGRELAY_INBOUND_SECRET", "s3cret"),
        ("REGRELAY_SINK_URL", "https://hooks.example.com/registry"),
        ("AzureWebJobsStorage", "UseDevelopmentStorage=true"),
        ("REGRELAY_TABLE", "regrelay"),
        ("REGRELAY_DYNAMODB_TABLE", "regrelay-ledger"),
        (
            "REGRELAY_SNS_TOPICS",
            "arn:aws:sns:us-east-1:123456789012:ecr-events",
        ),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ),
        ("REGRELAY_QUEUE", "regrelay-deliveries"),
        (
            "REGRELAY_QUEUE_URL",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/regrelay-deliveries",
        ),
        ("DINGTALK_TOKEN", "t0ken"),
        ("DINGTALK_SECRET", "SECsecret"),
        ("DEPLOYER_WHSEC", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[test]
fn shipped_configs_load() {
    for name in [
        "regrelay.example.toml",
        "azure.example.toml",
        "lambda.example.toml",
    ] {
        let text = std::fs::read_to_string(root().join("config").join(name)).unwrap();
        let config = Config::from_toml(&text, &env()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            !config.rules.is_empty() && !config.targets.is_empty(),
            "{name}"
        );
        // The cloud configs queue on their platform's queue; the local one on its SQLite file
        // once `serve` puts SQLite in place of the unnamed store.
        if name != "regrelay.example.toml" {
            let (mode, queue) = config.delivery_plan().unwrap();
            assert_eq!(mode, regrelay_core::DeliveryMode::Queued, "{name}");
            assert!(queue.is_some_and(|q| !q.is_local()), "{name}");
        }
    }
}

#[test]
fn the_issues_examples_are_accepted_as_written() {
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

[[targets]]
name = "sink"
type = "webhook"
url = "http://127.0.0.1:9999/hook"

[[rules]]
name = "everything"
notifications = ["*:*"]
targets = ["sink"]

[[rules]]
name = "edge-pushes"
event_types = ["Microsoft.ContainerRegistry.ImagePushed"]
advanced_filters = [
  { operator = "IsNotNull", key = "data.connectedregistry" },
  { operator = "StringIn", key = "data.connectedregistry.name", values = ["edge1"] },
]
targets = ["sink"]

[[rules]]
name = "scans"
event_types = ["cr:Artifact:ScanCompleted"]
scope = { instance = "my-ee", namespace = "team", repository = "app" }
tag_regex = "v[0-9]+"
targets = ["ops-robot", "deployer"]
"#;
    let config = Config::from_toml(text, &env()).unwrap();
    assert_eq!(config.targets.len(), 3);
    assert_eq!(config.rules.len(), 3);
    let debug = format!("{config:?}");
    for secret in ["t0ken", "SECsecret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] {
        assert!(!debug.contains(secret), "{secret} leaked into Debug");
    }
}
