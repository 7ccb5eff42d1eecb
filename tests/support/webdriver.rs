//! Headless Chromium driven over the W3C WebDriver protocol (Debian's `chromium` and
//! `chromedriver`, installed by `scripts/test-packages.sh`): a handful of JSON calls over loopback
//! HTTP, enough to open a page, find and click elements, type, wait, and take screenshots.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The key W3C WebDriver names element references by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Longest wait for a condition in the page.
const WAIT: Duration = Duration::from_secs(10);

/// A ChromeDriver process with one headless Chromium session. Both stop when dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Browser {
    /// Starts ChromeDriver on a free loopback port and a headless Chromium session; `None` when
    /// the browser is not installed (and `REGRELAY_REQUIRE_BROWSER` is not `1`, as in CI, where
    /// that is a failure).
    pub async fn start() -> Option<Browser> {
        let found = ["/usr/bin/chromedriver", "/usr/bin/chromium"]
            .iter()
            .all(|p| std::path::Path::new(p).exists());
        if !found {
            assert!(
                std::env::var("REGRELAY_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "chromium and chromedriver are missing but REGRELAY_REQUIRE_BROWSER=1: run scripts/test-packages.sh"
            );
            eprintln!(
                "skipped: chromium and chromedriver are not installed (scripts/test-packages.sh)"
            );
            return None;
        }
        let port = crate::free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            _profile: profile,
        };
        browser.wait_ready().await;
        browser.session = browser.new_session().await;
        Some(browser)
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let ready = crate::client()
                .get(format!("{}/status", self.base))
                .send()
                .await
                .ok();
            if let Some(reply) = ready
                && let Ok(body) = reply.json::<Value>().await
                && body["value"]["ready"] == true
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not become ready");
    }

    async fn new_session(&self) -> String {
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1360,900",
            &format!("--user-data-dir={}", self._profile.path().display()),
        ];
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args },
        }}});
        let reply = self.raw("POST", "/session", Some(caps)).await;
        reply["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {reply}"))
            .to_owned()
    }

    async fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let client = crate::client();
        let request = match method {
            "GET" => client.get(url),
            "DELETE" => client.delete(url),
            _ => client.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let reply = request.send().await.expect("webdriver call");
        let value: Value = reply.json().await.expect("webdriver reply");
        value["value"].clone()
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let value = self
            .raw(method, &format!("/session/{}{path}", self.session), body)
            .await;
        if let Some(error) = value.get("error") {
            panic!("webdriver {method} {path}: {error}: {}", value["message"]);
        }
        value
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url }))).await;
    }

    /// Every element matching the CSS selector, now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .call(
                "POST",
                "/elements",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.wait_for(css, |_| true)
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element {css}"))
    }

    /// Waits (at most 10 s) until the elements matching `css` satisfy `ready`; returns them.
    pub async fn wait_for(&self, css: &str, ready: impl Fn(&[Element]) -> bool) -> Vec<Element> {
        let deadline = Instant::now() + WAIT;
        loop {
            let found = self.find_all(css).await;
            if !found.is_empty() && ready(&found) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {css}; page text: {}",
                self.page_text().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (at most 10 s) until the text of the first element matching `css` contains `want`.
    pub async fn wait_text(&self, css: &str, want: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(element) = self.find_all(css).await.first() {
                let text = self.text(element).await;
                if text.contains(want) {
                    return text;
                }
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for '{want}' in {css}; page text: {}",
                self.page_text().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The rendered text of an element.
    pub async fn text(&self, element: &Element) -> String {
        let path = format!("/element/{}/text", element.0);
        self.call("GET", &path, None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The text of the whole page (for failure messages).
    pub async fn page_text(&self) -> String {
        match self.find_all("body").await.first() {
            Some(body) => self.text(body).await,
            None => String::new(),
        }
    }

    /// Clicks an element.
    pub async fn click(&self, element: &Element) {
        let path = format!("/element/{}/click", element.0);
        self.call("POST", &path, Some(json!({}))).await;
    }

    /// Types `text` into an element (after what it holds).
    pub async fn type_into(&self, element: &Element, text: &str) {
        let path = format!("/element/{}/value", element.0);
        self.call("POST", &path, Some(json!({ "text": text })))
            .await;
    }

    /// Empties an input.
    pub async fn clear(&self, element: &Element) {
        let path = format!("/element/{}/clear", element.0);
        self.call("POST", &path, Some(json!({}))).await;
    }

    /// Runs a script in the page and returns its result.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        let encoded = self.call("GET", "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .expect("screenshot is base64")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes ChromeDriver stop Chromium; Drop cannot await, so the DELETE
        // is written by hand on a blocking socket, bounded by a timeout.
        use std::io::{Read, Write};
        if let Some(address) = self.base.strip_prefix("http://")
            && let Ok(mut socket) = std::net::TcpStream::connect(address)
        {
            let _ = socket.set_read_timeout(Some(Duration::from_secs(5)));
            let request = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n",
                self.session
            );
            if socket.write_all(request.as_bytes()).is_ok() {
                let _ = socket.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
