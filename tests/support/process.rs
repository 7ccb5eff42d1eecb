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
}

impl ServeProcess {
    /// Starts `regrelay serve --config <config>` on a free port and waits until it answers.
    pub async fn start(config: PathBuf) -> ServeProcess {
        let mut process = ServeProcess {
            config,
            port: crate::free_port(),
            child: None,
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
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
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

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
