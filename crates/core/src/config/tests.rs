use std::collections::HashMap;

use super::*;

fn env() -> HashMap<String, String> {
    [
        ("HOOK_TOKEN".to_owned(), "s3cr3t".to_owned()),
        ("IN".to_owned(), "old,new".to_owned()),
    ]
    .into()
}

/// The foundation issue's example must load unchanged.
#[test]
fn accepts_the_issue_example() {
    let text = r#"
[[targets]]
name = "sink"
type = "webhook"
url = "http://127.0.0.1:9999/hook"

[[rules]]
name = "everything"
notifications = ["*:*"]
targets = ["sink"]
"#;
    let config = Config::from_toml(text, &env()).unwrap();
    assert_eq!(config.targets.len(), 1);
    assert_eq!(config.rules[0].targets, vec![0]);
    assert!(config.inbound.secrets.is_empty());
    assert_eq!(config.inbound.allowed_origins, vec!["eventgrid.azure.net"]);
}

#[test]
fn secrets_are_expanded_and_redacted() {
    let text = r#"
[inbound]
secret = "${env:IN}"

[[targets]]
name = "sink"
type = "webhook"
url = "https://hooks.example.com/x?token=${env:HOOK_TOKEN}"
headers = { Authorization = "Bearer ${env:HOOK_TOKEN}" }
"#;
    let config = Config::from_toml(text, &env()).unwrap();
    assert_eq!(config.inbound.secrets.len(), 2);
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("s3cr3t") && !debug.contains("old"),
        "{debug}"
    );
    assert!(debug.contains("hooks.example.com/x?[redacted]"), "{debug}");
}

#[test]
fn errors_name_the_key() {
    let cases = [
        (
            "[[targets]]\nname='a'\ntype='webhook'\nurl='ftp://x'",
            "targets[0].url",
        ),
        (
            "[[targets]]\nname='a'\ntype='webhook'\nurl='${env:NOPE}'",
            "NOPE",
        ),
        (
            "[[targets]]\nname='a'\ntype='carrier-pigeon'",
            "carrier-pigeon",
        ),
        (
            "[[targets]]\nname='a'\ntype='webhook'\nurl='http://x'\nurll='y'",
            "urll",
        ),
        (
            "[[targets]]\nname='a'\ntype='log'\n[[targets]]\nname='a'\ntype='log'",
            "used twice",
        ),
        (
            "[[rules]]\nname='r'\nnotifications=['x:pulled']\ntargets=[]",
            "rules[0].notifications[0]",
        ),
        (
            "[[rules]]\nname='r'\ntargets=['ghost']",
            "unknown target 'ghost'",
        ),
        (
            "[[targets]]\nname='a'\ntype='webhook'\nurl='http://x'\ntimeout='10'",
            "targets[0].timeout",
        ),
        ("[surprise]\nx=1", "surprise"),
    ];
    for (text, needle) in cases {
        let err = Config::from_toml(text, &env()).unwrap_err().to_string();
        assert!(err.contains(needle), "{needle} not in: {err}");
    }
}

#[test]
fn server_listen_is_read_and_checked() {
    let config = Config::from_toml("[server]\nlisten = \"0.0.0.0:9000\"\n", &env()).unwrap();
    assert_eq!(config.server.listen.as_deref(), Some("0.0.0.0:9000"));
    let error = Config::from_toml("[server]\nlisten = \"localhost\"\n", &env()).unwrap_err();
    assert!(error.to_string().starts_with("server.listen:"), "{error}");
}
