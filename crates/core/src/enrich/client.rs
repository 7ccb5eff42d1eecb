//! The registry requests of enrichment: one request, answering the registry's auth challenge
//! once — basic credentials, or a token from its token service (Distribution's token flow) —
//! with bounded reads and failures in words.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};

use super::config::RegistryAccess;
use super::{Enricher, MAX_TOKEN, keep, parse};

impl Enricher {
    /// One registry request, answering its auth challenge once (basic, or a token).
    pub(super) async fn get(
        &self,
        access: &RegistryAccess,
        repository: &str,
        method: Method,
        path: &str,
        accept: &str,
    ) -> Result<reqwest::Response, String> {
        let client = crate::http::client()?;
        let url = access
            .url
            .join(path)
            .map_err(|e| format!("bad registry path: {e}"))?;
        let scope = format!("repository:{repository}:pull");
        let token_key = format!("{}|{scope}", access.host);
        let send = |auth: Option<Auth>| {
            let mut request = client
                .request(method.clone(), url.clone())
                .header("accept", accept);
            request = match auth {
                Some(Auth::Bearer(token)) => request.bearer_auth(token),
                Some(Auth::Basic) => match &access.credentials {
                    Some((user, password)) => request.basic_auth(user, Some(password.expose())),
                    None => request,
                },
                None => request,
            };
            request.send()
        };
        let cached = self.cached(|c| {
            c.tokens
                .get(&token_key)
                .filter(|(_, until)| Instant::now() < *until)
                .map(|(t, _)| t.clone())
        });
        let first = send(cached.map(Auth::Bearer))
            .await
            .map_err(|e| transport(&e))?;
        if first.status() != StatusCode::UNAUTHORIZED {
            return ok(first);
        }
        let header = first
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let retry = match parse::challenge(header) {
            Some(parse::Challenge::Basic) if access.credentials.is_some() => Auth::Basic,
            Some(parse::Challenge::Basic) => {
                return Err("the registry asks for credentials; set username and password in [[registries]]".into());
            }
            Some(parse::Challenge::Bearer {
                realm,
                service,
                scope: asked,
            }) => {
                let scope = asked.unwrap_or(scope);
                let (token, ttl) = self
                    .token(access, &realm, service.as_deref(), &scope)
                    .await?;
                self.remember(|c| {
                    keep(
                        &mut c.tokens,
                        token_key,
                        (token.clone(), Instant::now() + ttl),
                    )
                });
                Auth::Bearer(token)
            }
            None => return Err("the registry refused (401) without a usable challenge".into()),
        };
        ok(send(Some(retry)).await.map_err(|e| transport(&e))?)
    }

    /// A token from the registry's token service, and how long it lasts.
    async fn token(
        &self,
        access: &RegistryAccess,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<(String, Duration), String> {
        let mut url =
            reqwest::Url::parse(realm).map_err(|_| "the token realm is not a URL".to_owned())?;
        let plain_ok = access.url.scheme() == "http";
        if url.scheme() != "https" && !(plain_ok && url.scheme() == "http") {
            return Err("the token realm is not https; credentials are not sent there".into());
        }
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            query.append_pair("scope", scope);
        }
        let mut request = crate::http::client()?.get(url);
        if let Some((user, password)) = &access.credentials {
            request = request.basic_auth(user, Some(password.expose()));
        }
        let reply = ok(request.send().await.map_err(|e| transport(&e))?)?;
        let body = read_limited(reply, MAX_TOKEN).await?;
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
            expires_in: Option<u64>,
        }
        let parsed: Token = serde_json::from_slice(&body)
            .map_err(|_| "the token service's reply is not a token".to_owned())?;
        let token = parsed
            .token
            .or(parsed.access_token)
            .filter(|t| !t.is_empty())
            .ok_or("the token service gave no token")?;
        let ttl = Duration::from_secs(parsed.expires_in.unwrap_or(60).clamp(10, 3600))
            .saturating_sub(Duration::from_secs(5));
        Ok((token, ttl))
    }
}

enum Auth {
    Basic,
    Bearer(String),
}

fn ok(reply: reqwest::Response) -> Result<reqwest::Response, String> {
    match reply.status() {
        s if s.is_success() => Ok(reply),
        s => Err(format!("the registry answered {}", s.as_u16())),
    }
}

fn transport(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the registry did not answer in time".into()
    } else if error.is_connect() {
        "could not connect to the registry".into()
    } else {
        "the request to the registry failed".into()
    }
}

pub(super) async fn read_limited(
    mut reply: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = reply.chunk().await.map_err(|e| transport(&e))? {
        if body.len() + chunk.len() > max {
            return Err(format!("the registry's answer is over {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
