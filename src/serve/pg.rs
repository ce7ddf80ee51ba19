//! The PostgreSQL wire protocol over the catalog: SCRAM-SHA-256 logins ([`super::auth`]), the
//! read-only guard ([`super::guard`]), a deadline, cancel requests and a memory pool for every
//! statement, a cap on connections, and TLS when given a certificate. datafusion-postgres answers
//! what clients send (pg_catalog, SET/SHOW, cursors, parameter binding); this module decides who
//! gets there and what may run.

use std::fmt::Debug;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{Query, Statement};
use datafusion_postgres::arrow_pg::datatypes::df;
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_postgres::{DfSessionService, Parser, QueryHook};
use futures::{FutureExt, Sink, StreamExt};
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::ScramAuth;
use pgwire::api::auth::{DefaultServerParameterProvider, StartupHandler};
use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, Response};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, ConnectionHandle, ConnectionManager, PgWireConnectionState, PgWireServerHandlers,
    Type,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::types::format::FormatOptions;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use super::Live;
use super::auth::{ITERATIONS, ScramSource, Users};
use super::guard::{self, Verdict};

/// What one statement may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest a statement runs, planning and sending its rows included; a client's
    /// `SET statement_timeout` may shorten it, not lengthen it.
    pub statement_timeout: Duration,
    /// Bytes of memory that one statement's operators may reserve (DataFusion's memory pool).
    pub memory_limit: usize,
    /// Connections open at once; one more is refused with SQLSTATE 53300.
    pub max_connections: usize,
    /// A logged-in connection that runs nothing for this long is closed (`None`: never), so idle
    /// and abandoned clients cannot hold every slot.
    pub idle_timeout: Option<Duration>,
}

/// A connection that has not logged in within this long (or within the idle timeout, if shorter)
/// is closed: PostgreSQL's own `authentication_timeout`.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(60);

/// The server's certificate chain and private key, PEM files.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub struct Options {
    pub listen: SocketAddr,
    pub users: Users,
    pub limits: Limits,
    pub tls: Option<Tls>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{path}: {message}")]
    Tls { path: String, message: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

/// Listen on `options.listen`, call `ready` with the bound address (port 0 picks one), and serve
/// until the task is dropped.
pub async fn serve(live: Arc<Live>, options: Options, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let tls = options.tls.as_ref().map(load_tls).transpose()?;
    let listener =
        TcpListener::bind(options.listen).await.map_err(|source| ServeError::Bind { addr: options.listen, source })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind { addr: options.listen, source })?;
    let shared = Arc::new(Shared {
        live,
        scram_source: Arc::new(ScramSource::new(options.users)),
        cert_pem: tls.as_ref().map(|(_, pem)| pem.clone()),
        limits: options.limits,
        hooks: guard::hooks(),
        connections: Arc::new(ConnectionManager::new()),
        // Describing a prepared statement reads only its plan; this parser's context is never used.
        describer: DfSessionService::new(Arc::new(SessionContext::new())).query_parser(),
    });
    let acceptor = tls.map(|(acceptor, _)| acceptor);
    let slots = Arc::new(Semaphore::new(options.limits.max_connections));
    ready(addr);
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: the next accept may succeed.
                eprintln!("gongkai: accepting a connection failed: {e}");
                continue;
            }
        };
        let permit = slots.clone().try_acquire_owned().ok();
        let activity = Arc::new(Activity::new());
        let handlers =
            Arc::new(Connection { shared: shared.clone(), full: permit.is_none(), activity: activity.clone() });
        let acceptor = acceptor.clone();
        let idle_timeout = options.limits.idle_timeout;
        tokio::spawn(async move {
            // Dropping the connection's future closes its socket.
            tokio::select! {
                result = pgwire::tokio::process_socket(socket, acceptor, handlers) => {
                    if let Err(e) = result {
                        eprintln!("gongkai: connection from {peer}: {e}");
                    }
                }
                why = activity.expired(idle_timeout) => eprintln!("gongkai: connection from {peer} closed: {why}"),
            }
            drop(permit);
        });
    }
}

/// Whether `serve` could use these files (for `gongkai check`).
pub fn check_tls(tls: &Tls) -> Result<(), ServeError> {
    load_tls(tls).map(|_| ())
}

/// The acceptor and the certificate as PEM (for SCRAM channel binding). A file that cannot be
/// used stops the server: it never falls back to plain text.
fn load_tls(tls: &Tls) -> Result<(TlsAcceptor, Vec<u8>), ServeError> {
    use tokio_rustls::rustls;
    let err = |path: &PathBuf, message: String| ServeError::Tls { path: path.display().to_string(), message };
    let cert_pem = std::fs::read(&tls.cert).map_err(|e| err(&tls.cert, e.to_string()))?;
    let key_pem = std::fs::read(&tls.key).map_err(|e| err(&tls.key, e.to_string()))?;
    let certs = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(&tls.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(err(&tls.cert, "no certificate in the file".into()));
    }
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| err(&tls.key, e.to_string()))?
        .ok_or_else(|| err(&tls.key, "no private key in the file".into()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| err(&tls.cert, e.to_string()))?;
    Ok((TlsAcceptor::from(Arc::new(config)), cert_pem))
}

/// What every connection shares.
struct Shared {
    live: Arc<Live>,
    scram_source: Arc<ScramSource>,
    cert_pem: Option<Vec<u8>>,
    limits: Limits,
    hooks: Vec<Arc<dyn QueryHook>>,
    connections: Arc<ConnectionManager>,
    describer: Arc<Parser>,
}

impl Shared {
    /// The catalog as the warehouse is now, with a memory pool of its own for one statement.
    async fn statement_context(&self) -> PgWireResult<Arc<SessionContext>> {
        self.live.bounded(self.limits.memory_limit).await.map_err(|e| internal(format!("opening the warehouse: {e}")))
    }

    fn service(&self, ctx: Arc<SessionContext>) -> DfSessionService {
        DfSessionService::new_with_hooks(ctx, self.hooks.clone())
    }

    /// When the statement now starting must end: the server's limit, or the client's
    /// `statement_timeout` if shorter.
    fn deadline(&self, client: &(impl ClientInfo + ?Sized)) -> Instant {
        // Where datafusion-postgres's SET hook keeps the client's statement_timeout.
        let asked = client
            .metadata()
            .get("statement_timeout_ms")
            .and_then(|ms| ms.parse::<u64>().ok())
            .map(Duration::from_millis);
        let limit = asked.map_or(self.limits.statement_timeout, |asked| asked.min(self.limits.statement_timeout));
        Instant::now() + limit
    }
}

/// What one connection is doing, for the login and idle timeouts.
struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` of the last statement's start or end.
    last_ms: AtomicU64,
    /// Statements whose rows are still being produced.
    running: AtomicUsize,
    logged_in: AtomicBool,
}

impl Activity {
    fn new() -> Self {
        Activity {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
            running: AtomicUsize::new(0),
            logged_in: AtomicBool::new(false),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Held while a statement runs, its rows included.
    fn busy(self: &Arc<Self>) -> Arc<Busy> {
        self.running.fetch_add(1, Ordering::Relaxed);
        self.touch();
        Arc::new(Busy(self.clone()))
    }

    fn last(&self) -> Instant {
        self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    /// Resolves once the connection has gone past its login timeout without logging in, or past
    /// `idle` with nothing running; says which.
    async fn expired(&self, idle: Option<Duration>) -> &'static str {
        loop {
            if !self.logged_in.load(Ordering::Relaxed) {
                let login = idle.map_or(LOGIN_TIMEOUT, |idle| idle.min(LOGIN_TIMEOUT));
                tokio::time::sleep_until(self.opened + login).await;
                if !self.logged_in.load(Ordering::Relaxed) {
                    return "no login within the login timeout";
                }
                continue;
            }
            let Some(idle) = idle else { return std::future::pending().await };
            tokio::time::sleep_until(self.last() + idle).await;
            if self.running.load(Ordering::Relaxed) > 0 {
                // A running statement is bounded by its own deadline; idle time starts after it.
                self.touch();
            } else if self.last() + idle <= Instant::now() {
                return "idle past the idle timeout";
            }
        }
    }
}

/// A running statement; the last clone dropped ends it.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// What ends a statement early: its deadline, and a cancel request from the client (psql's
/// Ctrl-C).
#[derive(Clone)]
struct Stop {
    deadline: Instant,
    cancel: futures::future::Shared<futures::future::BoxFuture<'static, ()>>,
    /// The statement counts as running until its rows are sent or dropped.
    busy: Arc<Busy>,
}

impl Stop {
    /// `work` (planning, and whatever a hook does), unless the deadline passes first. pgwire
    /// itself answers a cancel request while `do_query` runs.
    async fn run<T>(deadline: Instant, work: impl std::future::Future<Output = PgWireResult<T>>) -> PgWireResult<T> {
        tokio::time::timeout_at(deadline, work).await.map_err(|_| timed_out())?
    }

    /// Once `do_query` has its responses. The rows are produced as they are sent, after pgwire
    /// stopped listening for cancel requests, so the request is listened for here; taking the
    /// connection's cancel receiver ends pgwire's, which is why this comes last in `do_query`.
    async fn for_rows(deadline: Instant, client: &(impl ClientInfo + ?Sized), busy: Arc<Busy>) -> Stop {
        let receiver = match client.session_extensions().get::<Arc<ConnectionHandle>>() {
            Some(handle) => Some(handle.start_query().await),
            None => None,
        };
        let cancel = async move {
            // Err: the next statement took the receiver; this one is past cancelling.
            let requested = match receiver {
                Some(rx) => rx.await.is_ok(),
                None => false,
            };
            if !requested {
                std::future::pending::<()>().await;
            }
        };
        Stop { deadline, cancel: cancel.boxed().shared(), busy }
    }

    /// The rows of `response`, cut off with SQLSTATE 57014 when the statement is stopped;
    /// dropping the stream stops the query's work.
    fn rows(&self, response: Response) -> Response {
        match response {
            Response::Query(mut query) => {
                let rows = std::mem::replace(&mut query.data_rows, Box::pin(futures::stream::empty()));
                query.data_rows = self.limit(rows);
                Response::Query(query)
            }
            Response::CopyOut(mut copy) => {
                let data = std::mem::replace(copy.data_stream(), Box::pin(futures::stream::empty()));
                *copy.data_stream() = self.limit(data);
                Response::CopyOut(copy)
            }
            other => other,
        }
    }

    fn limit<T: Send + 'static>(
        &self,
        items: std::pin::Pin<Box<dyn futures::Stream<Item = PgWireResult<T>> + Send>>,
    ) -> std::pin::Pin<Box<dyn futures::Stream<Item = PgWireResult<T>> + Send>> {
        let timer = Box::pin(tokio::time::sleep_until(self.deadline));
        let state = Some((items, timer, self.cancel.clone(), self.busy.clone()));
        Box::pin(futures::stream::unfold(state, |state| async move {
            let (mut items, mut timer, cancel, busy) = state?;
            tokio::select! {
                biased;
                _ = &mut timer => Some((Err(timed_out()), None)),
                _ = cancel.clone() => Some((Err(cancelled()), None)),
                item = items.next() => item.map(|item| (item, Some((items, timer, cancel, busy)))),
            }
        }))
    }
}

/// The handlers of one connection.
struct Connection {
    shared: Arc<Shared>,
    /// The server already has `max_connections` open: this one is refused at startup.
    full: bool,
    activity: Arc<Activity>,
}

impl PgWireServerHandlers for Connection {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::new(Queries { shared: self.shared.clone(), activity: self.activity.clone() })
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::new(Queries { shared: self.shared.clone(), activity: self.activity.clone() })
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        let mut scram = ScramAuth::new(self.shared.scram_source.clone());
        scram.set_iterations(ITERATIONS);
        if let Some(pem) = &self.shared.cert_pem {
            // Channel binding (SCRAM-SHA-256-PLUS) where the certificate allows it; plain SCRAM
            // otherwise.
            if let Err(e) = scram.configure_certificate(pem) {
                eprintln!("gongkai: SCRAM channel binding is off: {e}");
            }
        }
        let sasl = SASLAuthStartupHandler::new(Arc::new(DefaultServerParameterProvider::default()))
            .with_scram(scram)
            .with_connection_manager(self.shared.connections.clone());
        Arc::new(Login { sasl, full: self.full, tls: self.shared.cert_pem.is_some(), activity: self.activity.clone() })
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        Arc::new(DefaultCancelHandler::new(self.shared.connections.clone()))
    }
}

/// SCRAM-SHA-256 for everyone; before it, the connection cap and (with TLS configured) the
/// refusal of unencrypted connections.
struct Login {
    sasl: SASLAuthStartupHandler<DefaultServerParameterProvider>,
    full: bool,
    tls: bool,
    activity: Arc<Activity>,
}

#[async_trait]
impl StartupHandler for Login {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if matches!(message, PgWireFrontendMessage::Startup(_)) {
            if self.full {
                return Err(fatal("53300", "too many connections: the server's max_connections are in use".into()));
            }
            if self.tls && !client.is_secure() {
                return Err(fatal("28000", "this server accepts only TLS connections (sslmode=require)".into()));
            }
        }
        self.sasl.on_startup(client, message).await?;
        if matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            self.activity.touch();
            self.activity.logged_in.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Simple and extended queries through the guard, each statement on the current catalog with its
/// own memory pool and deadline.
struct Queries {
    shared: Arc<Shared>,
    activity: Arc<Activity>,
}

#[async_trait]
impl SimpleQueryHandler for Queries {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statements =
            PostgresCompatibilityParser::new().parse(query).map_err(|e| match guard::refuse_unparsed(query) {
                Some(why) => guard::read_only_error(why),
                None => user_error("42601", e.to_string()),
            })?;
        if statements.is_empty() {
            return Ok(vec![Response::EmptyQuery]);
        }
        let busy = self.activity.busy();
        let mut results = Vec::new();
        'statement: for mut statement in statements {
            super::catalog_sql::reword(&mut statement);
            let deadline = self.shared.deadline(client);
            let ctx = self.shared.statement_context().await?;
            if let Some(copy) = guard::copy_to_stdout(&statement) {
                let (query, format) = copy.map_err(|why| user_error("0A000", why))?;
                let response = Stop::run(deadline, copy_out(&ctx, query, format)).await?;
                results.push((response, deadline));
                continue;
            }
            for hook in &self.shared.hooks {
                if let Some(result) = hook.handle_simple_query(&statement, &ctx, client).await {
                    results.push((result?, deadline));
                    continue 'statement;
                }
            }
            let response = Stop::run(deadline, run_query(&ctx, statement, client.metadata())).await?;
            results.push((response, deadline));
        }
        let stop = Stop::for_rows(Instant::now(), client, busy).await;
        Ok(results.into_iter().map(|(response, deadline)| Stop { deadline, ..stop.clone() }.rows(response)).collect())
    }
}

/// Plan one statement that no hook answered, check the plan, and start it.
async fn run_query(
    ctx: &SessionContext,
    statement: Statement,
    metadata: &std::collections::HashMap<String, String>,
) -> PgWireResult<Response> {
    if guard::classify(&statement) != Verdict::Query {
        return Err(guard::read_only_error(format!("{statement}: not a query")));
    }
    let df = planned(ctx, statement).await?;
    let format = Arc::new(FormatOptions::from_client_metadata(metadata));
    Ok(Response::Query(df::encode_dataframe(df, &Format::UnifiedText, Some(format)).await?))
}

/// A query statement planned, its plan checked by the guard, and ready to run.
async fn planned(ctx: &SessionContext, statement: Statement) -> PgWireResult<datafusion::dataframe::DataFrame> {
    let plan = ctx
        .state()
        .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(statement)))
        .await
        .map_err(api_error)?;
    guard::check_plan(&plan)?;
    ctx.execute_logical_plan(plan).await.map_err(api_error)
}

/// `COPY (query) TO STDOUT`: the query planned and checked as any query, its rows sent as COPY
/// data in the format asked for.
async fn copy_out(ctx: &SessionContext, query: Query, format: guard::CopyFormat) -> PgWireResult<Response> {
    use datafusion_postgres::arrow_pg::datatypes::arrow_schema_to_pg_fields;
    use datafusion_postgres::arrow_pg::encoder::encode_value;
    use guard::CopyFormat;
    use pgwire::api::results::{CopyCsvOptions, CopyEncoder, CopyResponse, CopyTextOptions};
    use pgwire::messages::copy::CopyData;

    let df = planned(ctx, Statement::Query(Box::new(query))).await?;
    let schema = Arc::new(df.schema().as_arrow().clone());
    let wire = if format == CopyFormat::Binary { Format::UnifiedBinary } else { Format::UnifiedText };
    let fields = Arc::new(arrow_schema_to_pg_fields(&schema, &wire, None)?);
    let columns = fields.len();
    let mut header = None;
    let mut encoder = match &format {
        CopyFormat::Binary => CopyEncoder::new_binary(fields.clone()),
        CopyFormat::Text { delimiter, null } => CopyEncoder::new_text(
            fields.clone(),
            CopyTextOptions { delimiter: delimiter.to_string().into(), null_string: null.as_str().into() },
        ),
        CopyFormat::Csv { delimiter, null, header: with_header } => {
            if *with_header {
                let mut line = csv::WriterBuilder::new().delimiter(*delimiter as u8).from_writer(Vec::new());
                line.write_record(schema.fields().iter().map(|f| f.name())).map_err(|e| internal(e.to_string()))?;
                let line = line.into_inner().map_err(|e| internal(e.to_string()))?;
                header = Some(CopyData::new(line.into()));
            }
            let options = CopyCsvOptions {
                delimiter: delimiter.to_string().into(),
                null_string: null.as_str().into(),
                ..CopyCsvOptions::default()
            };
            CopyEncoder::new_csv(fields.clone(), options)
        }
    };
    let batches = df.execute_stream().await.map_err(api_error)?;
    let rows = batches.flat_map(move |batch| {
        let encoded = batch.map_err(api_error).and_then(|batch| {
            let mut out = Vec::with_capacity(batch.num_rows());
            for row in 0..batch.num_rows() {
                for (i, column) in batch.columns().iter().enumerate() {
                    encode_value(&mut encoder, column, row, schema.field(i), &fields[i])?;
                }
                out.push(encoder.take_copy());
            }
            Ok(out)
        });
        let items: Vec<PgWireResult<CopyData>> = match encoded {
            Ok(rows) => rows.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        futures::stream::iter(items)
    });
    let data = futures::stream::iter(header.map(Ok)).chain(rows);
    let code = if format == CopyFormat::Binary { 1 } else { 0 };
    Ok(Response::CopyOut(CopyResponse::new(code, columns, data)))
}

type PgStatement = (String, Option<(Statement, LogicalPlan)>);

#[async_trait]
impl ExtendedQueryHandler for Queries {
    type Statement = PgStatement;
    type QueryParser = Planner;

    fn query_parser(&self) -> Arc<Planner> {
        Arc::new(Planner { shared: self.shared.clone() })
    }

    async fn do_query<C>(&self, client: &mut C, portal: &Portal<PgStatement>, max_rows: usize) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = PgStatement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let busy = self.activity.busy();
        let deadline = self.shared.deadline(client);
        let service = self.shared.service(self.shared.statement_context().await?);
        let response = Stop::run(deadline, ExtendedQueryHandler::do_query(&service, client, portal, max_rows)).await?;
        Ok(Stop::for_rows(deadline, client, busy).await.rows(response))
    }
}

/// Parses and plans prepared statements (datafusion-postgres's parser on the current catalog),
/// then checks the plan of every query.
struct Planner {
    shared: Arc<Shared>,
}

#[async_trait]
impl QueryParser for Planner {
    type Statement = PgStatement;

    async fn parse_sql<C>(&self, client: &C, sql: &str, types: &[Option<Type>]) -> PgWireResult<Option<PgStatement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let service = self.shared.service(self.shared.live.current().await.map_err(|e| internal(e.to_string()))?);
        // A catalog query DataFusion cannot plan as written is planned reworded.
        let reworded = super::catalog_sql::reword_sql(sql);
        let parsed =
            service.query_parser().parse_sql(client, reworded.as_deref().unwrap_or(sql), types).await.map_err(|e| {
                match guard::refuse_unparsed(sql) {
                    Some(why) => guard::read_only_error(why),
                    None => e,
                }
            })?;
        if let Some((_, Some((statement, plan)))) = &parsed {
            match guard::classify(statement) {
                Verdict::Query => guard::check_plan(plan)?,
                Verdict::Session => {}
                Verdict::Refused(why) => return Err(guard::read_only_error(why)),
            }
        }
        Ok(parsed)
    }

    fn get_parameter_types(&self, statement: &PgStatement) -> PgWireResult<Vec<Type>> {
        self.shared.describer.get_parameter_types(statement)
    }

    fn get_result_schema(&self, statement: &PgStatement, format: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        self.shared.describer.get_result_schema(statement, format)
    }
}

fn timed_out() -> PgWireError {
    user_error("57014", "canceling statement due to statement timeout".into())
}

fn cancelled() -> PgWireError {
    user_error("57014", "canceling statement due to user request".into())
}

fn user_error(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".into(), code.into(), message)))
}

fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("FATAL".into(), code.into(), message)))
}

fn internal(message: String) -> PgWireError {
    user_error("XX000", message)
}

fn api_error(e: datafusion::error::DataFusionError) -> PgWireError {
    PgWireError::ApiError(Box::new(e))
}
