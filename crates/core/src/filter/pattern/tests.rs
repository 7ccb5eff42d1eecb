use super::Pattern;
use crate::event::{Action, RegistryEvent};

fn event(
    action: Action,
    repository: &str,
    tag: Option<&str>,
    digest: Option<&str>,
) -> RegistryEvent {
    serde_json::from_value(serde_json::json!({
        "id": "e1", "type": "Microsoft.ContainerRegistry.ImagePushed", "action": action,
        "schema": "event_grid", "repository": repository, "tag": tag, "digest": digest
    }))
    .unwrap()
}

fn check(pattern: &str, cases: &[(RegistryEvent, bool)]) {
    let pattern = Pattern::parse(pattern).unwrap();
    for (event, want) in cases {
        assert_eq!(pattern.matches(event), *want, "{pattern} on {event:?}");
    }
}

const D: &str = "sha256:92c7f9c92844bbbb5d0a101b22f7c2a7949e40f8ea90c8b3bc396879d95e899a";

/// Seed example 1: `*:*` notifies all actions on all tags and digests on all artifacts.
#[test]
fn seed_1_everything() {
    check(
        "*:*",
        &[
            (event(Action::Push, "a", Some("v1"), Some(D)), true),
            (event(Action::Delete, "x/y", None, Some(D)), true),
            (event(Action::Push, "a", None, None), true),
        ],
    );
}

/// Seed example 2: `*:*:*` notifies all actions on all tags: events without a tag are out.
#[test]
fn seed_2_all_tags() {
    check(
        "*:*:*",
        &[
            (event(Action::Push, "a", Some("v1"), Some(D)), true),
            (event(Action::Delete, "a", None, Some(D)), false),
        ],
    );
}

/// Seed example 3: `*@*:*` notifies all actions on all digests.
#[test]
fn seed_3_all_digests() {
    check(
        "*@*:*",
        &[
            (event(Action::Delete, "a", None, Some(D)), true),
            (event(Action::Push, "a", Some("v1"), None), false),
        ],
    );
}

/// Seed example 4: `path/to/repo:*` notifies all actions on one repository.
#[test]
fn seed_4_one_repository() {
    check(
        "path/to/repo:*",
        &[
            (
                event(Action::Push, "path/to/repo", Some("v1"), Some(D)),
                true,
            ),
            (event(Action::Delete, "path/to/repo", None, Some(D)), true),
            (
                event(Action::Push, "path/to/repo2", Some("v1"), Some(D)),
                false,
            ),
            (
                event(Action::Push, "path/to/repo/sub", Some("v1"), Some(D)),
                false,
            ),
        ],
    );
}

/// Seed example 5: `path/to/repo:myTag:*` notifies all actions on one tag.
#[test]
fn seed_5_one_tag() {
    check(
        "path/to/repo:myTag:*",
        &[
            (
                event(Action::Push, "path/to/repo", Some("myTag"), Some(D)),
                true,
            ),
            (
                event(Action::Push, "path/to/repo", Some("other"), Some(D)),
                false,
            ),
            (event(Action::Delete, "path/to/repo", None, Some(D)), false),
        ],
    );
}

/// Seed example 6: `path/to/repo@myDigest:delete` notifies only deletes of one digest.
#[test]
fn seed_6_delete_of_digest() {
    check(
        "path/to/repo@myDigest:delete",
        &[
            (
                event(Action::Delete, "path/to/repo", None, Some("myDigest")),
                true,
            ),
            (
                event(Action::Push, "path/to/repo", Some("v1"), Some("myDigest")),
                false,
            ),
            (
                event(Action::Delete, "path/to/repo", None, Some("otherDigest")),
                false,
            ),
        ],
    );
}

/// Seed example 7: `path/to/repo/*:push` notifies pushes on every repository below the path.
#[test]
fn seed_7_repository_subtree_pushes() {
    check(
        "path/to/repo/*:push",
        &[
            (
                event(Action::Push, "path/to/repo/app", Some("v1"), Some(D)),
                true,
            ),
            (event(Action::Push, "path/to/repo/a/b", None, Some(D)), true),
            (
                event(Action::Delete, "path/to/repo/app", None, Some(D)),
                false,
            ),
            (
                event(Action::Push, "path/to/other", Some("v1"), Some(D)),
                false,
            ),
        ],
    );
}

/// The quickstart's CLI examples, including a digest that contains a colon.
#[test]
fn quickstart_cli_examples() {
    check(
        "hello-world:*",
        &[(
            event(Action::Push, "hello-world", Some("1.0"), Some(D)),
            true,
        )],
    );
    check(
        "hello-world:1.0:delete",
        &[
            (
                event(Action::Delete, "hello-world", Some("1.0"), Some(D)),
                true,
            ),
            (
                event(Action::Push, "hello-world", Some("1.0"), Some(D)),
                false,
            ),
        ],
    );
    check(
        &format!("hello-world@{D}:push"),
        &[
            (
                event(Action::Push, "hello-world", Some("latest"), Some(D)),
                true,
            ),
            (
                event(
                    Action::Push,
                    "hello-world",
                    Some("latest"),
                    Some("sha256:other"),
                ),
                false,
            ),
        ],
    );
}

#[test]
fn chart_actions_count_as_push_and_delete() {
    check(
        "*:push",
        &[(
            event(Action::ChartPush, "repo", Some("c-1.0.0.tgz"), Some(D)),
            true,
        )],
    );
    check(
        "*:delete",
        &[(event(Action::ChartDelete, "repo", None, Some(D)), true)],
    );
}

/// `*` covers every action but pull; any action may be named, and then only it matches.
#[test]
fn star_leaves_out_pulls_and_actions_can_be_named() {
    check(
        "*:*",
        &[
            (event(Action::Pull, "repo", Some("v1"), Some(D)), false),
            (event(Action::Scan, "repo", Some("v1"), Some(D)), true),
            (event(Action::Replication, "repo", None, None), true),
        ],
    );
    check(
        "repo:pull",
        &[
            (event(Action::Pull, "repo", Some("v1"), Some(D)), true),
            (event(Action::Push, "repo", Some("v1"), Some(D)), false),
        ],
    );
    check(
        "*:chart_push",
        &[
            (
                event(Action::ChartPush, "repo", Some("c-1.0.0.tgz"), Some(D)),
                true,
            ),
            (event(Action::Push, "repo", Some("v1"), Some(D)), false),
        ],
    );
    let star = Pattern::parse("team/*:*").unwrap();
    assert!(star.skips_pull(&event(Action::Pull, "team/app", Some("v1"), Some(D))));
    assert!(!star.skips_pull(&event(Action::Pull, "other/app", Some("v1"), Some(D))));
}

#[test]
fn bad_patterns_say_why() {
    for (text, needle) in [
        ("hello-world", "no ':action'"),
        (
            "hello-world:pulled",
            "action 'pulled' is not *, push, delete",
        ),
        (":push", "name section is empty"),
        ("a@:push", "digest section is empty"),
    ] {
        let err = Pattern::parse(text).unwrap_err();
        assert!(err.contains(needle), "{text}: {err}");
    }
}
