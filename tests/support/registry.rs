//! A real CNCF Distribution registry (Debian's `docker-registry`) on a free loopback port, its
//! notifications pointed at a URL, and images pushed to it with `skopeo` from OCI layouts this
//! module writes itself (no network, no Docker): single-platform images, and multi-platform
//! indexes with a BuildKit-style provenance attestation.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// A running registry; stopped (and its storage removed) when dropped.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub host: String,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry notifying `notify_url` (with `Authorization: Bearer <secret>`), pull
    /// events filtered out at the registry as the docs recommend; `None` when the package is
    /// not installed (a failure under `REGRELAY_REQUIRE_REGISTRY=1`, as in CI).
    pub async fn start(notify_url: &str, secret: &str) -> Option<Registry> {
        let host = format!("127.0.0.1:{}", crate::free_port());
        Self::start_at(host, notify_url, secret).await
    }

    /// [`Registry::start`] on a given `127.0.0.1:<port>` (when the notified server must know
    /// the registry's address first).
    pub async fn start_at(host: String, notify_url: &str, secret: &str) -> Option<Registry> {
        let installed = ["/usr/bin/docker-registry", "/usr/bin/skopeo"]
            .iter()
            .all(|p| Path::new(p).exists());
        if !installed {
            assert!(
                std::env::var("REGRELAY_REQUIRE_REGISTRY").as_deref() != Ok("1"),
                "docker-registry and skopeo are missing but REGRELAY_REQUIRE_REGISTRY=1: run scripts/test-packages.sh"
            );
            eprintln!(
                "skipped: docker-registry and skopeo are not installed (scripts/test-packages.sh)"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("registry dir");
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\nnotifications:\n  endpoints:\n    - name: regrelay\n      url: {notify_url}\n      headers:\n        Authorization: [Bearer {secret}]\n      timeout: 2s\n      threshold: 5\n      backoff: 200ms\n      ignore:\n        actions: [pull]\n",
            root = dir.path().join("data").display(),
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("registry config");
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn docker-registry");
        let registry = Registry { child, host, dir };
        registry.wait_ready().await;
        Some(registry)
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let url = format!("http://{}/v2/", self.host);
        while Instant::now() < deadline {
            if crate::client()
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("docker-registry did not come up on {}", self.host);
    }

    /// Pushes every manifest of the layout's `tag` to `repository:tag` with skopeo.
    pub fn push(&self, layout: &Path, tag: &str, repository: &str) {
        let source = format!("oci:{}:{tag}", layout.display());
        let dest = format!("docker://{}/{repository}:{tag}", self.host);
        skopeo(&["copy", "--all", "--dest-tls-verify=false", &source, &dest]);
    }

    /// Deletes `repository:tag` (skopeo resolves the tag and deletes its manifest).
    pub fn delete(&self, repository: &str, tag: &str) {
        let image = format!("docker://{}/{repository}:{tag}", self.host);
        skopeo(&["delete", "--tls-verify=false", &image]);
    }

    /// A directory for layouts, removed with the registry.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn skopeo(args: &[&str]) {
    let output = Command::new("/usr/bin/skopeo")
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("run skopeo");
    assert!(
        output.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An OCI image layout being written: content-addressed blobs, and `index.json` naming tags.
pub struct Layout {
    root: PathBuf,
    tags: Vec<Value>,
}

impl Layout {
    /// An empty layout at `root`.
    pub fn new(root: PathBuf) -> Layout {
        std::fs::create_dir_all(root.join("blobs/sha256")).expect("layout dir");
        Layout {
            root,
            tags: Vec::new(),
        }
    }

    fn blob(&self, data: &[u8], media_type: &str) -> Value {
        let hex = format!("{:x}", Sha256::digest(data));
        std::fs::write(self.root.join("blobs/sha256").join(&hex), data).expect("blob");
        json!({ "mediaType": media_type, "digest": format!("sha256:{hex}"), "size": data.len() })
    }

    /// An image manifest for one platform (a one-file layer saying `text`); its descriptor.
    fn image(&self, os: &str, architecture: &str, text: &str) -> Value {
        let layer = self.blob(text.as_bytes(), LAYER);
        let config = json!({
            "architecture": architecture, "os": os,
            "rootfs": { "type": "layers", "diff_ids": [layer["digest"]] }
        });
        let config = self.blob(config.to_string().as_bytes(), CONFIG);
        let manifest = json!({ "schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": [layer] });
        let mut descriptor = self.blob(manifest.to_string().as_bytes(), MANIFEST);
        descriptor["platform"] = json!({ "os": os, "architecture": architecture });
        descriptor
    }

    /// Tags a single-platform image `tag`; returns its manifest digest.
    pub fn single(&mut self, tag: &str, text: &str) -> String {
        let mut descriptor = self.image("linux", "amd64", text);
        descriptor["annotations"] = json!({ "org.opencontainers.image.ref.name": tag });
        self.tags.push(descriptor.clone());
        digest(&descriptor)
    }

    /// Tags a `linux/amd64` + `linux/arm64` index `tag` with a provenance attestation for the
    /// first platform (as `docker buildx` pushes it); returns the platform manifests' digests.
    pub fn multi(&mut self, tag: &str, text: &str) -> Vec<String> {
        let amd = self.image("linux", "amd64", &format!("{text} amd64"));
        let arm = self.image("linux", "arm64", &format!("{text} arm64"));
        let statement = self.blob(
            br#"{"_type":"https://in-toto.io/Statement/v0.1"}"#,
            "application/vnd.in-toto+json",
        );
        let config = self.blob(br#"{"architecture":"unknown","os":"unknown"}"#, CONFIG);
        let attestation = json!({ "schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": [statement] });
        let mut attestation = self.blob(attestation.to_string().as_bytes(), MANIFEST);
        attestation["platform"] = json!({ "os": "unknown", "architecture": "unknown" });
        attestation["annotations"] = json!({
            "vnd.docker.reference.type": "attestation-manifest",
            "vnd.docker.reference.digest": amd["digest"],
        });
        let index =
            json!({ "schemaVersion": 2, "mediaType": INDEX, "manifests": [amd, arm, attestation] });
        let mut descriptor = self.blob(index.to_string().as_bytes(), INDEX);
        descriptor["annotations"] = json!({ "org.opencontainers.image.ref.name": tag });
        self.tags.push(descriptor);
        [amd, arm, attestation].iter().map(digest).collect()
    }

    /// Writes `index.json` and `oci-layout`; the layout's path.
    pub fn finish(&self) -> &Path {
        let index = json!({ "schemaVersion": 2, "manifests": self.tags });
        std::fs::write(self.root.join("index.json"), index.to_string()).expect("index.json");
        std::fs::write(
            self.root.join("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .expect("oci-layout");
        &self.root
    }
}

fn digest(descriptor: &Value) -> String {
    descriptor["digest"].as_str().unwrap_or_default().to_owned()
}
