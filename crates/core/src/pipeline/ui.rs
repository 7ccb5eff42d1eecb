//! The console's static files, embedded in the binary: one page, one script, one stylesheet,
//! no framework and nothing fetched from elsewhere. Served at `/ui/` (and `/api/ui/`, where the
//! Azure Functions host routes HTTP functions) with a strict content security policy: the page
//! may only talk to its own origin, run its own script, and never be framed.

use http::StatusCode;

use crate::reply::Reply;

const INDEX: &str = include_str!("ui/index.html");
const SCRIPT: &str = include_str!("ui/app.js");
const STYLE: &str = include_str!("ui/app.css");

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The asset part of a console path (`""` for the page), or `None` when the path is not the
/// console's.
pub(super) fn asset_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api").unwrap_or(path);
    let rest = rest.strip_prefix("/ui")?;
    if rest.is_empty() {
        return Some("");
    }
    rest.strip_prefix('/')
}

/// The asset's reply; the page's bare path (`/ui`) is redirected to `/ui/` so relative links
/// work behind any prefix (an API Gateway stage, the Functions host's `/api`).
pub(super) fn serve(asset: &str, original_path: &str) -> Reply {
    let (body, content_type) = match asset {
        "" if !original_path.ends_with('/') => {
            return Reply::empty(StatusCode::FOUND).with_header("location", "ui/");
        }
        "" | "index.html" => (INDEX, "text/html; charset=utf-8"),
        "app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "app.css" => (STYLE, "text/css; charset=utf-8"),
        _ => {
            return Reply::error(
                StatusCode::NOT_FOUND,
                &format!("the console has no file '{asset}'"),
            );
        }
    };
    Reply::empty(StatusCode::OK)
        .with_body(body)
        .with_header("content-type", content_type)
        .with_header("content-security-policy", POLICY)
        .with_header("x-content-type-options", "nosniff")
        .with_header("referrer-policy", "no-referrer")
        .with_header("cache-control", "no-cache")
}

#[cfg(test)]
mod tests {
    use super::{asset_of, serve};

    #[test]
    fn console_paths() {
        assert_eq!(asset_of("/ui"), Some(""));
        assert_eq!(asset_of("/api/ui/app.js"), Some("app.js"));
        assert_eq!(asset_of("/uix"), None);
        assert_eq!(serve("", "/api/ui").header("location"), Some("ui/"));
        assert_eq!(serve("", "/ui/").status, 200);
        assert_eq!(serve("../Cargo.toml", "/ui/../Cargo.toml").status, 404);
        assert!(
            serve("app.js", "/ui/app.js")
                .header("content-security-policy")
                .is_some_and(|p| p.contains("script-src 'self'"))
        );
    }
}
