use super::{CoalescePolicy, Role, plan, role};
use crate::event::{Action, RegistryEvent, RegistryKind, Schema};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

fn push(id: &str, media: Option<&str>, tag: Option<&str>, repository: &str) -> RegistryEvent {
    RegistryEvent {
        registry_kind: RegistryKind::Distribution,
        registry: Some("r.example".into()),
        repository: Some(repository.into()),
        tag: tag.map(str::to_owned),
        digest: Some(format!("sha256:{id}")),
        media_type: media.map(str::to_owned),
        ..RegistryEvent::new(id, "push", Action::Push, Schema::Distribution)
    }
}

#[test]
fn roles_follow_the_media_type_and_the_tag() {
    assert_eq!(
        role(&push("a", Some(OCI_MANIFEST), None, "r")),
        Role::Member
    );
    assert_eq!(
        role(&push("b", Some(OCI_MANIFEST), Some("v1"), "r")),
        Role::Alone,
        "single-platform pushes are never delayed"
    );
    assert_eq!(
        role(&push("c", Some(OCI_INDEX), Some("v1"), "r")),
        Role::Index
    );
    assert_eq!(
        role(&push("d", Some(DOCKER_LIST), None, "r")),
        Role::Index,
        "an index pushed by digest too"
    );
    assert_eq!(
        role(&push(
            "e",
            Some("application/vnd.cncf.helm.config.v1+json"),
            None,
            "r"
        )),
        Role::Alone,
        "other artifacts are not held"
    );
    assert_eq!(
        role(&push("e", None, None, "r")),
        Role::Member,
        "no media type: by tag"
    );
    let mut harbor = push("h", None, Some("v1"), "r");
    assert_eq!(role(&harbor), Role::Alone);
    harbor.registry_kind = RegistryKind::Harbor;
    assert_eq!(
        role(&harbor),
        Role::Index,
        "a tagged Harbor push folds its tagless manifests"
    );
    let mut delete = push("f", Some(OCI_MANIFEST), None, "r");
    delete.action = Action::Delete;
    assert_eq!(role(&delete), Role::Alone);
    let mut no_digest = push("g", Some(OCI_MANIFEST), None, "r");
    no_digest.digest = None;
    assert_eq!(role(&no_digest), Role::Alone);
}

#[test]
fn the_plan_names_the_index_each_member_folds_into() {
    let events = [
        push("m1", Some(OCI_MANIFEST), None, "team/app"),
        push("m2", Some(OCI_MANIFEST), None, "team/app"),
        push("other", Some(OCI_MANIFEST), None, "team/web"),
        push("idx", Some(OCI_INDEX), Some("v2"), "team/app"),
        push("single", Some(OCI_MANIFEST), Some("v1"), "team/app"),
    ];
    let plan = plan(&events, &CoalescePolicy::default());
    assert!(plan[0].contains("folded into idx"), "{}", plan[0]);
    assert!(plan[2].contains("held up to 5s"), "{}", plan[2]);
    assert!(
        plan[3].contains("folds the manifests held for it (2 in this payload: m1, m2)"),
        "{}",
        plan[3]
    );
    assert_eq!(plan[4], "");
    let off = CoalescePolicy {
        enabled: false,
        ..CoalescePolicy::default()
    };
    assert!(super::plan(&events, &off).iter().all(String::is_empty));
}
