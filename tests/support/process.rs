//! `regrelay serve` as a child process on a fixed loopback port, which a test can kill (SIGKILL,
//! no chance to finish anything) and start again on the same port and store.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running (or stopped) `regrelay serve`.
pub struct ServeProcess {
    config: PathBuf,
    /// The port it listens on.
    pub port: u16,
    child: Option<Child>,
    env: Vec<(String, String)>,
}

impl ServeProcess {
    /// Starts `regrelay serve --config <config>` on a free port and waits until it answers.
    pub async fn start(config: PathBuf) -> ServeProcess {
        Self::start_with_env(config, Vec::new()).await
    }

    /// Starts it with extra environment variables (e.g. AWS credentials for moto).
    pub async fn start_with_env(config: PathBuf, env: Vec<(String, String)>) -> ServeProcess {
        let mut process = ServeProcess {
            config,
            port: crate::free_port(),
            child: None,
            env,
        };
        process.restart().await;
        process
    }

    /// The events URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/api/events", self.port)
    }

    /// Kills the process at once (SIGKILL), mid-request if it is in one.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again (killing it first if it runs) and waits until it answers.
    pub async fn restart(&mut self) {
        self.kill();
        let child = Command::new(crate::binary("regrelay"))
            .args(["serve", "--config"])
            .arg(&self.config)
            // A config without `[store]` keeps `regrelay.db` beside it, not in the tree.
            .current_dir(self.config.parent().unwrap_or(std::path::Path::new(".")))
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .env(
                "RUST_LOG",
                std::env::var("REGRELAY_TEST_SERVE_RUST_LOG").unwrap_or_else(|_| "error".into()),
            )
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(log_file())
            .spawn()
            .expect("spawn regrelay serve");
        self.child = Some(child);
        let health = format!("http://127.0.0.1:{}/api/health", self.port);
        let client = crate::client();
        for _ in 0..400 {
            if client
                .get(&health)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("regrelay serve did not come up on port {}", self.port);
    }
}

/// Where a `serve` process's log goes: the file named by `REGRELAY_TEST_SERVE_LOG` (appended,
/// for debugging a test), else nowhere.
fn log_file() -> Stdio {
    std::env::var_os("REGRELAY_TEST_SERVE_LOG")
        .and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        })
        .map_or_else(Stdio::null, Stdio::from)
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
