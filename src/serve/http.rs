//! `gongkai serve --http`: the dashboard over the same catalog as the PostgreSQL server.
//!
//! Every page is HTML at its path, JSON at `/api` + the path (`{"title", "tables": {ID: rows}}`)
//! and CSV at `/api` + the path with `table=ID&format=csv`. Only GET and HEAD are served; the
//! pages run fixed SQL of [`super::dashboard`], so nothing a request says can write. Every request
//! but `/healthz` needs the HTTP Basic credentials of a user of the PostgreSQL server (`--users`,
//! GONGKAI_PG_USER): one list of logins for both.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::Live;
use super::auth::Users;
use super::dashboard::{self, Args, PageError};
use super::html;
use super::pg::Limits;
use crate::query::{self, OutputFormat};

/// A request's headers must arrive within this long: a client that trickles them holds its
/// connection slot no longer.
const HEADER_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Options {
    pub listen: SocketAddr,
    /// Who may log in.
    pub users: Users,
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

struct Shared {
    live: Arc<Live>,
    users: Users,
    limits: Limits,
    cache: std::sync::Mutex<PageCache>,
}

/// Listen on `options.listen`, call `ready` with the bound address, and serve until dropped.
pub async fn serve(live: Arc<Live>, options: Options, ready: impl FnOnce(SocketAddr)) -> Result<(), HttpError> {
    let listener =
        TcpListener::bind(options.listen).await.map_err(|source| HttpError::Bind { addr: options.listen, source })?;
    let addr = listener.local_addr().map_err(|source| HttpError::Bind { addr: options.listen, source })?;
    let slots = Arc::new(Semaphore::new(options.limits.max_connections));
    let shared = Arc::new(Shared { live, users: options.users, limits: options.limits, cache: Default::default() });
    let app = router(shared);
    ready(addr);
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("gongkai: accepting an HTTP connection failed: {e}");
                continue;
            }
        };
        // Past the cap a connection is closed at once, as the PostgreSQL server refuses one.
        let Ok(permit) = slots.clone().try_acquire_owned() else { continue };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(socket), service)
                .await;
            if let Err(e) = served
                && !e.is_incomplete_message()
            {
                eprintln!("gongkai: HTTP connection from {peer}: {e}");
            }
            drop(permit);
        });
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/assets/dashboard.css", axum::routing::get(|| async { asset("text/css; charset=utf-8", html::CSS) }))
        .route(
            "/assets/dashboard.js",
            axum::routing::get(|| async { asset("text/javascript; charset=utf-8", html::SCRIPT) }),
        )
        .route("/raw/{id}", axum::routing::get(raw_file))
        .fallback(page)
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

/// Reads only, and only for users: checked before any handler runs.
async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "the dashboard is read-only: GET and HEAD only\n");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    if request.uri().path() != "/healthz" && !authorised(&shared.users, request.headers()).await {
        let mut response = plain(StatusCode::UNAUTHORIZED, "log in with a gongkai user\n");
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Basic realm="gongkai", charset="UTF-8""#));
        return response;
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A raw file sets its own, stricter policy.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"),
        );
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// Whether the request carries the Basic credentials of a user (checked off the async workers:
/// each check is 4,096 rounds of PBKDF2).
async fn authorised(users: &Users, headers: &HeaderMap) -> bool {
    let Some(credentials) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return false;
    };
    let Some((name, password)) = credentials.split_once(':') else { return false };
    let (users, name, password) = (users.clone(), name.to_string(), password.to_string());
    tokio::task::spawn_blocking(move || users.verify(&name, &password)).await.unwrap_or(false)
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    match shared.live.current().await {
        Ok(_) => plain(StatusCode::OK, "ok\n"),
        Err(e) => plain(StatusCode::SERVICE_UNAVAILABLE, &format!("the warehouse cannot be opened: {e}\n")),
    }
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "max-age=300")], body).into_response()
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

fn plain(status: StatusCode, text: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text.to_string()).into_response()
}

/// The archived raw file of a report, as it was fetched. It is never rendered on the dashboard's
/// origin: text comes as plain text, everything else as a download, under a sandboxing policy.
async fn raw_file(State(shared): State<Arc<Shared>>, axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return plain(StatusCode::NOT_FOUND, &format!("{id}: not a report_id\n"));
    }
    let ctx = match shared.live.bounded(shared.limits.memory_limit).await {
        Ok(ctx) => ctx,
        Err(e) => return plain(StatusCode::SERVICE_UNAVAILABLE, &format!("the warehouse cannot be opened: {e}\n")),
    };
    let uri = match dashboard::source_uri(&ctx, &id).await {
        Ok(uri) => uri,
        Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    };
    let Some(uri) = uri else { return plain(StatusCode::NOT_FOUND, &format!("report {id}: not in the warehouse\n")) };
    let path = dashboard::raw_path(&id, &uri);
    let bytes = match shared.live.warehouse().get(&path).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return plain(StatusCode::NOT_FOUND, &format!("{path}: not archived\n")),
        Err(e) => return plain(StatusCode::SERVICE_UNAVAILABLE, &format!("{e}\n")),
    };
    let ext = path.rsplit('.').next().unwrap_or("bin").to_string();
    let content_type = match ext.as_str() {
        "txt" | "md" | "csv" | "html" => "text/plain",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    };
    let disposition = if content_type == "application/octet-stream" {
        format!("attachment; filename=\"{id}.{ext}\"")
    } else {
        format!("inline; filename=\"{id}.{ext}\"")
    };
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    response
}

/// Any other path: a page, as HTML, or under `/api` as JSON or CSV. A page is built once per
/// opening of the warehouse (its numbers change only when a run commits) and served from the
/// cache until the next.
async fn page(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let key = request.uri().to_string();
    let args: Args = request
        .uri()
        .query()
        .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect::<BTreeMap<_, _>>())
        .unwrap_or_default();
    let (api, page_path) = match path.strip_prefix("/api") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => (true, if rest.is_empty() { "/" } else { rest }),
        _ => (false, path.as_str()),
    };
    let failure = |status: StatusCode, message: String| -> Response {
        if api {
            json(status, &serde_json::json!({ "error": message }))
        } else {
            let body = format!("<p class=\"error\">{}</p>", html::escape(&message));
            (status, axum::response::Html(html::frame(&status.to_string(), &body))).into_response()
        }
    };
    let (base, generation) = match shared.live.opened().await {
        Ok(opened) => opened,
        Err(e) => return failure(StatusCode::SERVICE_UNAVAILABLE, format!("the warehouse cannot be opened: {e}")),
    };
    if let Some(hit) = shared.cache.lock().unwrap_or_else(|p| p.into_inner()).get(generation, &key) {
        return hit.response();
    }
    let ctx = match super::with_memory_limit(&base, shared.limits.memory_limit) {
        Ok(ctx) => ctx,
        Err(e) => return failure(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let built = tokio::time::timeout(shared.limits.statement_timeout, dashboard::page(&ctx, page_path, &args)).await;
    let page = match built {
        Err(_) => {
            let limit = shared.limits.statement_timeout;
            return failure(StatusCode::SERVICE_UNAVAILABLE, format!("{page_path}: not built within {limit:?}"));
        }
        Ok(Err(PageError::NotFound(m))) => return failure(StatusCode::NOT_FOUND, m),
        Ok(Err(PageError::BadRequest(m))) => return failure(StatusCode::BAD_REQUEST, m),
        Ok(Err(PageError::Query(m))) => return failure(StatusCode::INTERNAL_SERVER_ERROR, m),
        Ok(Ok(page)) => page,
    };
    let rendered = match render(&page, page_path, api, &args) {
        Ok(rendered) => Arc::new(rendered),
        Err((status, message)) => return failure(status, message),
    };
    shared.cache.lock().unwrap_or_else(|p| p.into_inner()).put(generation, key, rendered.clone());
    rendered.response()
}

/// A page as its response body: HTML, or under `/api` the JSON of its tables or one as CSV.
fn render(page: &dashboard::Page, page_path: &str, api: bool, args: &Args) -> Result<Rendered, (StatusCode, String)> {
    let internal = |e: &dyn std::fmt::Display| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    if !api {
        let body = Bytes::from(page.render());
        return Ok(Rendered { content_type: "text/html; charset=utf-8", disposition: None, body });
    }
    if args.get("format").map(String::as_str) == Some("csv") {
        let ids = page.table_ids().join(", ");
        let Some(name) = args.get("table") else {
            return Err((StatusCode::BAD_REQUEST, format!("format=csv needs table=ID, one of: {ids}")));
        };
        let Some(result) = page.table_named(name) else {
            return Err((StatusCode::NOT_FOUND, format!("{page_path}: no table {name} (tables: {ids})")));
        };
        let mut out = Vec::new();
        query::write(result, OutputFormat::Csv, &mut out).map_err(|e| internal(&e))?;
        let disposition = Some(format!("attachment; filename=\"{name}.csv\""));
        return Ok(Rendered { content_type: "text/csv; charset=utf-8", disposition, body: out.into() });
    }
    let mut tables = serde_json::Map::new();
    for id in page.table_ids() {
        let Some(result) = page.table_named(id) else { continue };
        let mut out = Vec::new();
        query::write(result, OutputFormat::Json, &mut out).map_err(|e| internal(&e))?;
        // query::write's JSON is an array of row objects (or nothing for no rows).
        let rows: serde_json::Value = serde_json::from_slice(&out).unwrap_or(serde_json::Value::Array(Vec::new()));
        tables.insert(id.to_string(), rows);
    }
    let body = serde_json::json!({ "title": page.title, "tables": tables }).to_string();
    Ok(Rendered { content_type: "application/json", disposition: None, body: body.into() })
}

/// A page's response, as built once.
struct Rendered {
    content_type: &'static str,
    disposition: Option<String>,
    body: Bytes,
}

impl Rendered {
    fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Some(v) = self.disposition.as_deref().and_then(|d| HeaderValue::from_str(d).ok()) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
        response
    }
}

/// Pages built at one opening of the warehouse, by request (path and query).
#[derive(Default)]
struct PageCache {
    generation: u64,
    pages: std::collections::HashMap<String, Arc<Rendered>>,
}

/// Pages kept at once, and the largest page kept: the cache holds at most 256 MiB.
const CACHED_PAGES: usize = 256;
const CACHED_BYTES: usize = 1 << 20;

impl PageCache {
    fn get(&mut self, generation: u64, key: &str) -> Option<Arc<Rendered>> {
        if generation != self.generation {
            // The warehouse changed: every page kept is out of date.
            self.pages.clear();
            self.generation = generation;
        }
        self.pages.get(key).cloned()
    }

    fn put(&mut self, generation: u64, key: String, page: Arc<Rendered>) {
        if generation != self.generation || page.body.len() > CACHED_BYTES {
            return;
        }
        if self.pages.len() >= CACHED_PAGES {
            self.pages.clear();
        }
        self.pages.insert(key, page);
    }
}
