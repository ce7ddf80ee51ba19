//! Command-line interface: clap subcommands, each calling one library function.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use gongkai::model::{CheckStatus, Report, Table};
use gongkai::pipeline::{self, Outcome, Progress};
use gongkai::query::{self, OutputFormat};
use gongkai::schedule::{self, RunStatus, config};
use gongkai::store::Warehouse;
use gongkai::{catalog, parse, serve, shell, synth};

use crate::settings::{self, ConfigFile, Effective};

#[derive(Parser)]
#[command(
    name = "gongkai",
    version,
    about = "Data warehouse for government-information-disclosure annual reports (政府信息公开工作年度报告)"
)]
pub struct Cli {
    /// Read settings from this TOML file (README: Configuration); flags and GONGKAI_* variables
    /// override its values.
    // An OsString, not a PathBuf, so that an empty GONGKAI_CONFIG is taken as unset (clap's path
    // parser refuses it) the way the scan in `settings::config_path` takes it.
    #[arg(long, global = true, value_name = "FILE", env = settings::CONFIG_ENV, value_parser = clap::builder::OsStringValueParser::new())]
    config: Option<OsString>,
    #[command(subcommand)]
    command: Command,
}

/// The config file as read, and the settings of the subcommand that runs with their origins.
pub struct Loaded {
    file: ConfigFile,
    effective: Vec<Effective>,
}

/// The command line, with the config file's values as defaults below flags and variables (see
/// `settings`). Exits as clap does on a usage error or `--help`.
pub fn parse() -> (Cli, Loaded) {
    let args: Vec<OsString> = std::env::args_os().collect();
    let file = ConfigFile::load(settings::config_path(&args));
    let matches = file.apply(Cli::command()).get_matches_from(&args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let effective = settings::effective(&matches, &file);
    (cli, Loaded { file, effective })
}

#[derive(Subcommand)]
enum Command {
    /// Parse reports into the canonical report of docs/schema.md: every cell, the identity checks, the region.
    Parse {
        /// Report files or directories (searched recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Which reading of a text report's tables to keep (for diagnosing a layout).
        #[arg(long, value_enum, default_value_t = TablesArg::Auto)]
        tables: TablesArg,
    },
    /// Parse reports and land them in the warehouse as region/year-partitioned Parquet (see
    /// README, "The warehouse"); raw bytes are archived, unparseable files quarantined.
    Ingest {
        /// Files, directories, glob patterns, or object-store prefixes (s3://bucket/inbox/, file:///…).
        #[arg(required = true)]
        sources: Vec<String>,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Run one SQL query over the warehouse tables and the views of sql/.
    Query {
        /// The SQL, e.g. "SELECT * FROM province_year_trends".
        sql: String,
        #[command(flatten)]
        catalog: CatalogArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Write the result to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// An interactive SQL shell over the warehouse (history, multi-line statements, \d listings).
    /// Reads statements from standard input when it is not a terminal.
    Sql {
        #[command(flatten)]
        catalog: CatalogArgs,
    },
    /// Serve the warehouse's tables and views, read-only, to PostgreSQL clients (BI tools, psql,
    /// scripts) and as a dashboard in the browser, until SIGTERM/SIGINT (see README: Serving the
    /// warehouse).
    Serve(ServeArgs),
    /// Run every pipeline of the pipelines directory on its cron schedule until SIGTERM/SIGINT
    /// (see README: Pipelines).
    Schedule {
        #[command(flatten)]
        dir: PipelinesDir,
    },
    /// Run one pipeline now, or list the pipelines with their next fire times and last run.
    Pipeline {
        #[command(subcommand)]
        command: PipelineCommand,
    },
    /// Validate the settings (flags, GONGKAI_* variables, config file), every pipeline file and
    /// every view, and report all errors at once, without touching the network.
    Check {
        #[command(flatten)]
        dir: PipelinesDir,
        /// Check the views of this folder instead of the ones built in.
        #[arg(long)]
        sql_dir: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
        /// Files read and parsed at once (checked here for ingest and rebuild).
        #[arg(long)]
        concurrency: Option<usize>,
        #[command(flatten)]
        serve: ServeSettings,
    },
    /// Re-parse every archived raw file with the current parser and rewrite every table.
    Rebuild {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Compact the small files that runs append into larger ones (one commit per table), then
    /// remove the files they replace.
    Optimize {
        #[command(flatten)]
        store: StoreArgs,
        /// Size of a compacted file, in MiB.
        #[arg(long, default_value_t = 128)]
        target_mib: u64,
    },
    /// Generate made-up reports in every layout with their truth: OUT/raw/NAME.ext and
    /// OUT/gold/NAME.json (the gold format, for tools/gold_check.py). Same seed, same files. With
    /// --warehouse instead of --out, the reports go straight into a warehouse.
    Synth {
        /// Number of reports.
        #[arg(long, visible_alias = "reports")]
        count: usize,
        /// Output directory.
        #[arg(long, required_unless_present = "warehouse", conflicts_with = "warehouse")]
        out: Option<PathBuf>,
        /// Ingest the reports into this warehouse as they are generated (no files, no raw archive;
        /// memory stays bounded whatever the count): a warehouse of any size for benchmarks and
        /// demos. Storage settings come from the AWS_* variables.
        #[arg(long)]
        warehouse: Option<String>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Comma-separated layouts, or `all`: tabs, markdown, cell-per-line, docx-lines, one-line,
        /// split-numbers, csv, collapsed, page-breaks, html.
        #[arg(long, default_value = "all")]
        layouts: String,
        /// Years reported on, FIRST..LAST inclusive (2019 and 2020 use the 2019 template).
        #[arg(long, default_value = "2019..2025")]
        years: String,
        /// Share of reports with one injected fault (broken identity, blank, dash, label typo, page break).
        #[arg(long, default_value_t = 0.12)]
        fault_rate: f64,
        /// Every body reports on every year of the range.
        #[arg(long)]
        panel: bool,
        /// Share of reports written a second time in another format (HTML ↔ DOCX, PDF text): the
        /// same report under another name, as crawlers collect a page and its attachment.
        #[arg(long, default_value_t = 0.0)]
        duplicates: f64,
        /// Write only the report files, straight into OUT (no truth).
        #[arg(long)]
        raw_only: bool,
    },
}

/// `gongkai serve`: which servers to start and their limits. Each server is started by its own
/// flag (`--pg`, `--http`); one or both.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct ServeArgs {
    #[command(subcommand)]
    command: Option<ServeCommand>,
    #[command(flatten)]
    catalog: CatalogArgs,
    #[command(flatten)]
    settings: ServeSettings,
}

/// The servers' settings: taken by `serve`, and by `check` to validate them.
#[derive(clap::Args)]
struct ServeSettings {
    /// Serve the PostgreSQL wire protocol on HOST:PORT (PORT alone: 127.0.0.1:PORT; port 0 picks a
    /// free one, printed at start).
    #[arg(long, value_name = "ADDR")]
    pg: Option<String>,
    /// Serve the dashboard (HTML pages, /api JSON and CSV) on HOST:PORT (PORT alone:
    /// 127.0.0.1:PORT; port 0 picks a free one, printed at start). Logins: the same users, by
    /// HTTP Basic authentication.
    #[arg(long, value_name = "ADDR")]
    http: Option<String>,
    /// The users who may log in (to both servers): a TOML file of [[user]] entries from `gongkai
    /// serve hash-password`. GONGKAI_PG_USER with GONGKAI_PG_PASSWORD adds one more.
    #[arg(long = "users", id = "pg_users", value_name = "FILE")]
    pg_users: Option<PathBuf>,
    /// The longest one statement may run (e.g. 60s, 500ms, 5min); clients may set a shorter
    /// statement_timeout.
    #[arg(long, default_value = "60s")]
    statement_timeout: String,
    /// The memory one statement's joins, sorts and aggregations may reserve (e.g. 1GiB, 512MiB).
    #[arg(long, default_value = "1GiB")]
    memory_limit: String,
    /// Connections open at once; more are refused.
    #[arg(long)]
    max_connections: Option<usize>,
    /// Close a logged-in connection that runs nothing for this long (e.g. 10min, 30s; `off`:
    /// never); a connection that has not logged in is closed after 60 s, or this if shorter.
    #[arg(long, default_value = "10min")]
    idle_timeout: String,
    /// TLS certificate chain (PEM); with --tls-key, only TLS connections are accepted.
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for --tls-cert.
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
}

/// The servers' settings checked and parsed.
struct ServeOptions {
    listen: Option<std::net::SocketAddr>,
    http: Option<std::net::SocketAddr>,
    limits: serve::pg::Limits,
    tls: Option<serve::pg::Tls>,
}

impl ServeSettings {
    /// The settings parsed, or every error among them.
    fn resolve(&self) -> Result<ServeOptions, Vec<String>> {
        let mut errors = Vec::new();
        let listen = self
            .pg
            .as_deref()
            .and_then(|pg| serve::parse_listen(pg).map_err(|e| errors.push(format!("--pg {pg}: {e}"))).ok());
        let http = self
            .http
            .as_deref()
            .and_then(|h| serve::parse_listen(h).map_err(|e| errors.push(format!("--http {h}: {e}"))).ok());
        let statement_timeout = serve::parse_duration(&self.statement_timeout)
            .map_err(|e| errors.push(format!("--statement-timeout {}: {e}", self.statement_timeout)))
            .unwrap_or_default();
        let memory_limit = serve::parse_bytes(&self.memory_limit)
            .map_err(|e| errors.push(format!("--memory-limit {}: {e}", self.memory_limit)))
            .unwrap_or_default();
        let idle_timeout = match self.idle_timeout.trim() {
            "off" | "0" => None,
            text => serve::parse_duration(text)
                .map_err(|e| errors.push(format!("--idle-timeout {}: {e}", self.idle_timeout)))
                .ok(),
        };
        let max_connections = self.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS);
        if max_connections == 0 {
            errors.push("--max-connections: must be at least 1".into());
        }
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(serve::pg::Tls { cert: cert.clone(), key: key.clone() }),
            (None, None) => None,
            _ => {
                errors.push("--tls-cert and --tls-key: give both or neither".into());
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let limits = serve::pg::Limits { statement_timeout, memory_limit, max_connections, idle_timeout };
        Ok(ServeOptions { listen, http, limits, tls })
    }

    /// Every error `serve` would stop at before it opens the warehouse: the settings, the users
    /// file and the TLS files.
    fn check(&self) -> Vec<String> {
        let options = match self.resolve() {
            Ok(options) => options,
            Err(errors) => return errors,
        };
        let mut errors = Vec::new();
        if let Some(path) = &self.pg_users {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    if let Err(e) = serve::auth::Users::parse(&path.display().to_string(), &text) {
                        errors.push(format!("--users: {e}"));
                    }
                }
                Err(e) => errors.push(format!("--users {}: {e}", path.display())),
            }
        }
        if let Some(tls) = &options.tls
            && let Err(e) = serve::pg::check_tls(tls)
        {
            errors.push(format!("TLS: {e}"));
        }
        errors
    }
}

#[derive(Subcommand)]
enum ServeCommand {
    /// Read a password from standard input (its first line) and print the users-file entry for
    /// NAME: the password salted and hashed for SCRAM-SHA-256.
    HashPassword { name: String },
}

/// Connections open at once when --max-connections is not given.
const DEFAULT_MAX_CONNECTIONS: usize = 64;

impl ServeArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        if let Some(ServeCommand::HashPassword { name }) = self.command {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.is_empty() {
                anyhow::bail!("hash-password: give the password on standard input");
            }
            let name = toml::Value::String(name);
            println!("[[user]]\nname = {name}\npassword = \"{}\"", serve::auth::Secret::new(password).encode());
            return Ok(ExitCode::SUCCESS);
        }
        let ServeOptions { listen, http, limits, tls } =
            self.settings.resolve().map_err(|errors| anyhow::anyhow!("{}", errors.join("; ")))?;
        if listen.is_none() && http.is_none() {
            anyhow::bail!(
                "serve: nothing to serve; give --pg ADDR (e.g. --pg 127.0.0.1:5433) and/or --http ADDR (e.g. --http 127.0.0.1:8080)"
            );
        }
        let env = |name: &str| std::env::var(name).ok();
        let users = serve::auth::Users::load(
            self.settings.pg_users.as_deref(),
            (env("GONGKAI_PG_USER"), env("GONGKAI_PG_PASSWORD")),
        )?;
        runtime()?.block_on(async {
            let wh = Warehouse::open_existing(&self.catalog.store.warehouse, &self.catalog.store.options()?)?;
            let live = std::sync::Arc::new(serve::Live::open(wh, self.catalog.views()?).await?);
            let names: Vec<&str> = users.names().collect();
            eprintln!("gongkai: users: {}", names.join(", "));
            let pg = listen.map(|listen| {
                let options = serve::pg::Options { listen, users: users.clone(), limits, tls };
                serve::pg::serve(live.clone(), options, |addr| eprintln!("gongkai: PostgreSQL listening on {addr}"))
            });
            let dashboard = http.map(|listen| {
                let options = serve::http::Options { listen, users: users.clone(), limits };
                serve::http::serve(live.clone(), options, |addr| {
                    eprintln!("gongkai: dashboard listening on http://{addr}/")
                })
            });
            // Either server failing (it could not listen) stops both: a half-started `serve` is
            // not what was asked for.
            let pg = async move {
                match pg {
                    Some(server) => server.await.map_err(anyhow::Error::from),
                    None => std::future::pending().await,
                }
            };
            let dashboard = async move {
                match dashboard {
                    Some(server) => server.await.map_err(anyhow::Error::from),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                served = pg => served?,
                served = dashboard => served?,
                signal = shutdown() => signal?,
            }
            Ok(ExitCode::SUCCESS)
        })
    }
}

/// SIGTERM or SIGINT.
async fn shutdown() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let (mut term, mut int) = (signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?);
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    eprintln!("gongkai: stopping the server");
    Ok(())
}

#[derive(Subcommand)]
enum PipelineCommand {
    /// Run the pipeline NAME once, now (its lease and the runs table as for a scheduled run).
    Run {
        name: String,
        #[command(flatten)]
        dir: PipelinesDir,
    },
    /// Each pipeline, its next three fire times and its last run.
    List {
        #[command(flatten)]
        dir: PipelinesDir,
    },
}

#[derive(clap::Args)]
struct PipelinesDir {
    /// The directory of pipeline files (one `NAME.toml` per pipeline).
    #[arg(long = "pipelines", default_value = "pipelines")]
    pipelines: PathBuf,
}

impl PipelinesDir {
    fn load(&self) -> anyhow::Result<Vec<config::Pipeline>> {
        Ok(config::load_dir(&self.pipelines)?)
    }
}

/// Options of a warehouse run (ingest, rebuild).
#[derive(clap::Args, Default)]
struct RunArgs {
    /// Also write the run summary as JSON to this file.
    #[arg(long)]
    summary_json: Option<PathBuf>,
    /// Files read and parsed at once.
    #[arg(long)]
    concurrency: Option<usize>,
}

#[derive(clap::Args)]
struct CatalogArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Read the views from this folder of NAME.sql files instead of the ones built in.
    #[arg(long)]
    sql_dir: Option<PathBuf>,
    /// Read the warehouse as it was: at a version (of `reports`, the warehouse version that
    /// `runs.versions` records for every run) or at a time (RFC 3339, or a date meaning its end).
    #[arg(long, value_name = "VERSION|TIME")]
    as_of: Option<catalog::AsOf>,
}

impl CatalogArgs {
    /// The query context: the warehouse tables and the views. Reading never creates a warehouse.
    async fn open(&self) -> anyhow::Result<datafusion::prelude::SessionContext> {
        let wh = Warehouse::open_existing(&self.store.warehouse, &self.store.options()?)?;
        Ok(catalog::open_as_of(&wh, &self.views()?, self.as_of.unwrap_or_default()).await?)
    }

    fn views(&self) -> anyhow::Result<Vec<catalog::ViewSql>> {
        Ok(match &self.sql_dir {
            Some(dir) => catalog::views_from_dir(dir)?,
            None => catalog::embedded_views(),
        })
    }
}

#[derive(clap::Args)]
struct StoreArgs {
    /// Where the warehouse lives: a path, file://, memory:// or s3://bucket/prefix.
    #[arg(long, default_value = "./warehouse")]
    warehouse: String,
    /// S3 endpoint (e.g. http://127.0.0.1:9000); otherwise AWS_ENDPOINT_URL / AWS_ENDPOINT.
    #[arg(long)]
    s3_endpoint: Option<String>,
    /// Allow plain-HTTP S3 endpoints; otherwise AWS_ALLOW_HTTP. (The variable takes true/false,
    /// 1/0, yes/no.)
    #[arg(long, value_parser = clap::builder::BoolishValueParser::new())]
    s3_allow_http: bool,
    /// Any other object_store S3 setting, as KEY=VALUE (e.g. aws_region=us-east-1); repeated or
    /// comma-separated.
    #[arg(long = "s3-option", value_name = "KEY=VALUE", value_delimiter = ',')]
    s3_options: Vec<String>,
}

impl StoreArgs {
    /// The warehouse for a writing command (created when missing).
    fn open(&self) -> anyhow::Result<Warehouse> {
        Ok(Warehouse::open(&self.warehouse, &self.options()?)?)
    }

    /// The S3 settings given on the command line, as object_store config keys.
    fn options(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut options = Vec::new();
        if let Some(endpoint) = &self.s3_endpoint {
            options.push(("aws_endpoint".to_string(), endpoint.clone()));
        }
        if self.s3_allow_http {
            options.push(("aws_allow_http".to_string(), "true".to_string()));
        }
        for kv in &self.s3_options {
            let (k, v) = kv.split_once('=').ok_or_else(|| anyhow::anyhow!("--s3-option {kv}: expected KEY=VALUE"))?;
            options.push((k.to_string(), v.to_string()));
        }
        Ok(options)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One JSON object per file; a JSON array when several files are given.
    Json,
    /// A readable table per report, failed checks highlighted.
    Table,
    /// The rows the reader laid the file out as, before mapping: for diagnosing a new layout.
    Rows,
    /// The token stream of the text (kind, gap before, text), one token a line: for diagnosing.
    Tokens,
}

/// `--tables`: which reading of a text report's tables to keep.
#[derive(Clone, Copy, ValueEnum)]
enum TablesArg {
    /// Both the rows and the token stream; the one the identities support better.
    Auto,
    /// Only the rows the reader laid out.
    Grid,
    /// Only the token stream.
    Stream,
}

impl From<TablesArg> for parse::Tables {
    fn from(t: TablesArg) -> Self {
        match t {
            TablesArg::Auto => parse::Tables::Auto,
            TablesArg::Grid => parse::Tables::Grid,
            TablesArg::Stream => parse::Tables::Stream,
        }
    }
}

pub fn run(cli: Cli, loaded: Loaded) -> anyhow::Result<ExitCode> {
    // The file was found by a scan before clap parsed; clap's reading of the same flag must agree
    // (it would not for `--config` after `--`, which the scan does not look past either).
    if cli.config.filter(|c| !c.is_empty()).map(PathBuf::from) != loaded.file.path {
        anyhow::bail!("--config: give it once, before any `--`");
    }
    // A broken config file stops every command but `check`, which lists its errors with the rest.
    if !loaded.file.errors.is_empty() && !matches!(cli.command, Command::Check { .. }) {
        anyhow::bail!(
            "{} error(s) in the config file:\n  {}",
            loaded.file.errors.len(),
            loaded.file.errors.join("\n  ")
        );
    }
    match cli.command {
        Command::Parse { paths, format, tables } => parse_command(&paths, format, tables.into()),
        Command::Ingest { sources, store, run } => {
            let wh = store.open()?;
            let source_options = store.options()?;
            warehouse_command(run, |options, progress| {
                let options = pipeline::Options { source_options, ..options.clone() };
                let ingest =
                    async |options: pipeline::Options| pipeline::ingest(&wh, &sources, &options, progress).await;
                runtime()?.block_on(schedule::exclusive(&wh, "ingest", options, ingest)).map_err(Into::into)
            })
        }
        Command::Query { sql, catalog, format, output } => runtime()?.block_on(async {
            let ctx = catalog.open().await?;
            let result = query::run(&ctx, &sql).await?;
            match output {
                Some(path) => {
                    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
                    query::write(&result, format, &mut file)?;
                    file.flush()?;
                }
                None => query::write(&result, format, &mut std::io::stdout().lock())?,
            }
            Ok(ExitCode::SUCCESS)
        }),
        Command::Sql { catalog } => runtime()?.block_on(async {
            let ctx = catalog.open().await?;
            let history = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".gongkai_history"));
            let failed = shell::run(&ctx, history).await?;
            if failed > 0 {
                eprintln!("gongkai: {failed} statement(s) failed");
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }),
        Command::Serve(args) => args.run(),
        Command::Schedule { dir } => {
            let pipelines = dir.load()?;
            if pipelines.is_empty() {
                anyhow::bail!("{}: no pipeline files (NAME.toml) to schedule", dir.pipelines.display());
            }
            runtime()?.block_on(schedule::serve(pipelines))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { dir, sql_dir, store, concurrency, serve } => {
            check_command(&dir.pipelines, sql_dir.as_deref(), &store, concurrency, &serve, &loaded)
        }
        Command::Pipeline { command: PipelineCommand::Run { name, dir } } => {
            let pipelines = dir.load()?;
            let progress = Reporter::new(std::io::stderr().is_terminal());
            let record = runtime()?.block_on(schedule::run_now(pipelines, &name, &progress))?;
            progress.done();
            println!("{}", schedule::describe_run(&record));
            Ok(match record.status.as_str() {
                s if s == RunStatus::Succeeded.as_str() && record.quarantined + record.unreadable == 0 => {
                    ExitCode::SUCCESS
                }
                s if s == RunStatus::Succeeded.as_str() || s == RunStatus::SkippedLeaseHeld.as_str() => {
                    ExitCode::FAILURE
                }
                _ => ExitCode::from(2),
            })
        }
        Command::Pipeline { command: PipelineCommand::List { dir } } => {
            let pipelines = dir.load()?;
            let now = chrono::Utc::now();
            for s in runtime()?.block_on(schedule::status(pipelines, now, 3)) {
                let p = &s.pipeline;
                println!("{}  ({})", p.name, p.file.display());
                println!("  schedule   {} ({})", p.schedule, p.time_zone);
                println!(
                    "  source     {}{}",
                    p.source,
                    p.glob.as_ref().map(|g| format!(" (files {g})")).unwrap_or_default()
                );
                println!("  warehouse  {}", p.warehouse);
                for t in &s.next {
                    println!("  next       {}", t.format("%Y-%m-%d %H:%M:%S %Z"));
                }
                match &s.last_run {
                    Ok(Some(r)) => println!("  last run   {}", schedule::describe_run(r)),
                    Ok(None) => println!("  last run   none recorded"),
                    Err(e) => println!("  last run   unknown: {e}"),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Synth { count, out, warehouse, seed, layouts, years, fault_rate, panel, duplicates, raw_only } => {
            let layouts = synth::parse_layouts(&layouts).map_err(anyhow::Error::msg)?;
            let years = synth::parse_years(&years).map_err(anyhow::Error::msg)?;
            let opts = synth::Options { count, seed, layouts, years, fault_rate, panel, duplicates };
            let Some(out) = out else {
                let wh = Warehouse::open(warehouse.as_deref().unwrap_or_default(), &[])?;
                // A line per thousand reports, not per report, and no outcome kept per report.
                let options = pipeline::Options { record_outcomes: false, ..pipeline::Options::default() };
                let progress = Every(1000, std::sync::atomic::AtomicUsize::new(0));
                let write = async |options: pipeline::Options| {
                    pipeline::ingest_generated(&wh, count, synth::Stream::new(&opts), &options, &progress).await
                };
                let summary = runtime()?.block_on(schedule::exclusive(&wh, "synth", options, write))?;
                print!("{}", summary.render());
                return Ok(if summary.had_failures() { ExitCode::FAILURE } else { ExitCode::SUCCESS });
            };
            let n = synth::write(&opts, &out, raw_only).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
            if raw_only {
                println!("wrote {n} reports to {}", out.display());
            } else {
                println!(
                    "wrote {n} reports to {} and their truth to {}",
                    out.join("raw").display(),
                    out.join("gold").display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Optimize { store, target_mib } => {
            let wh = store.open()?;
            let optimize = async |_: pipeline::Options| pipeline::optimize(&wh, target_mib.max(1) * 1024 * 1024).await;
            let summary =
                runtime()?.block_on(schedule::exclusive(&wh, "optimize", pipeline::Options::default(), optimize))?;
            for t in &summary.tables {
                println!("{:<8} {} file(s) compacted into {}, version {}", t.table, t.removed, t.added, t.version);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rebuild { store, run } => {
            let wh = store.open()?;
            warehouse_command(run, |options, progress| {
                let rebuild = async |options: pipeline::Options| pipeline::rebuild(&wh, &options, progress).await;
                runtime()?.block_on(schedule::exclusive(&wh, "rebuild", options.clone(), rebuild)).map_err(Into::into)
            })
        }
    }
}

/// Validate the settings, every pipeline file and every view: all errors at once, exit 1 when there
/// is one.
fn check_command(
    dir: &std::path::Path,
    sql_dir: Option<&std::path::Path>,
    store: &StoreArgs,
    concurrency: Option<usize>,
    serve: &ServeSettings,
    loaded: &Loaded,
) -> anyhow::Result<ExitCode> {
    let mut errors: Vec<String> = loaded.file.errors.clone();
    for e in &loaded.effective {
        if e.values.is_empty() {
            println!("setting {} not set ({})", e.setting.key, e.origin);
        } else {
            println!("setting {} = {} ({})", e.setting.key, e.display(), e.origin);
        }
    }
    errors.extend(check_store(store));
    if concurrency == Some(0) {
        errors.push("concurrency: must be at least 1".into());
    }
    errors.extend(serve.check());
    match config::load_dir(dir) {
        Ok(pipelines) => {
            for p in &pipelines {
                println!("ok {} ({}): {} {}", p.name, p.file.display(), p.schedule, p.time_zone);
            }
            println!("{} pipeline(s) valid", pipelines.len());
        }
        Err(e) => errors.extend(e.0.iter().map(ToString::to_string)),
    }
    let views = match sql_dir {
        Some(dir) => catalog::views_from_dir(dir).unwrap_or_else(|e| {
            errors.push(format!("sql_dir: {e}"));
            Vec::new()
        }),
        None => catalog::embedded_views(),
    };
    let view_errors = runtime()?.block_on(catalog::check_views(&views));
    if view_errors.is_empty() && !views.is_empty() {
        println!("{} view(s) valid", views.len());
    }
    errors.extend(view_errors);
    for e in &errors {
        eprintln!("error: {e}");
    }
    if errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} error(s)", errors.len());
        Ok(ExitCode::FAILURE)
    }
}

/// The warehouse URI and S3 options as a writing command would use them, without reaching the store
/// (building an S3 client does not connect) and without creating a local directory.
fn check_store(store: &StoreArgs) -> Vec<String> {
    let options = match store.options() {
        Ok(options) => options,
        Err(e) => return vec![format!("s3_options: {e}")],
    };
    let mut errors = Vec::new();
    for (key, _) in &options {
        if key.parse::<object_store::aws::AmazonS3ConfigKey>().is_err() {
            errors.push(format!("s3_options: {key}: not an S3 setting of object_store (aws_region, aws_endpoint, …)"));
        }
    }
    match gongkai::store::open_url(&store.warehouse, &options) {
        Ok(_) => println!("ok warehouse {}", store.warehouse),
        Err(gongkai::store::StoreError::Missing { .. }) => {
            println!(
                "ok warehouse {} (does not exist yet: ingest, rebuild and pipeline runs create it)",
                store.warehouse
            )
        }
        Err(e) => errors.push(format!("warehouse: {e}")),
    }
    errors
}

fn runtime() -> anyhow::Result<Runtime> {
    Ok(Runtime(Some(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)))
}

/// The command's runtime. Dropping it does not wait for blocking tasks: a parse given up past its
/// budget must not keep the finished command from exiting.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.0.as_ref().expect("the runtime lives until dropped").block_on(future)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// Run one warehouse command with a progress bar (terminal) or log lines, print the summary, and
/// exit 1 when some file was quarantined or unreadable.
fn warehouse_command(
    RunArgs { summary_json, concurrency }: RunArgs,
    run: impl FnOnce(&pipeline::Options, &dyn Progress) -> anyhow::Result<pipeline::Summary>,
) -> anyhow::Result<ExitCode> {
    let mut options = pipeline::Options::default();
    if let Some(n) = concurrency {
        options.concurrency = n.max(1);
    }
    let progress = Reporter::new(std::io::stderr().is_terminal());
    let summary = run(&options, &progress)?;
    progress.done();
    print!("{}", summary.render());
    if let Some(path) = summary_json {
        let file = std::fs::File::create(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        serde_json::to_writer_pretty(file, &summary)?;
    }
    Ok(if summary.had_failures() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Progress as a log line every N files.
struct Every(usize, std::sync::atomic::AtomicUsize);

impl Progress for Every {
    fn start(&self, total: usize) {
        eprintln!("gongkai: {total} file(s)");
    }
    fn file(&self, _: &str, _: &pipeline::Outcome) {
        let n = self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n.is_multiple_of(self.0) {
            eprintln!("gongkai: {n} file(s) done");
        }
    }
    fn step(&self, message: &str) {
        eprintln!("gongkai: {message}");
    }
}

/// A progress bar on a terminal, plain log lines on stderr otherwise.
struct Reporter {
    bar: Option<indicatif::ProgressBar>,
}

impl Reporter {
    fn new(terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            {
                bar.set_style(style);
            }
            bar
        });
        Reporter { bar }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Reporter {
    fn start(&self, total: usize) {
        match &self.bar {
            Some(bar) => bar.set_length(total as u64),
            None => eprintln!("gongkai: {total} source file(s)"),
        }
    }

    fn file(&self, uri: &str, outcome: &Outcome) {
        let line = match outcome {
            Outcome::Stored { partition, checks_failed, .. } => {
                format!("stored {uri} → {partition} ({checks_failed} failed identities)")
            }
            Outcome::Duplicate { report_id } => format!("duplicate {uri} (same bytes as report {report_id})"),
            Outcome::Quarantined { reason, .. } => format!("quarantined {uri}: {reason}"),
            Outcome::Unreadable { reason } => format!("unreadable {uri}: {reason}"),
            Outcome::AlreadyIngested { report_id } => format!("already ingested {uri} (report {report_id})"),
        };
        match &self.bar {
            Some(bar) => {
                if !matches!(outcome, Outcome::Stored { .. }) {
                    bar.println(format!("gongkai: {line}"));
                }
                bar.set_message(uri.rsplit('/').next().unwrap_or(uri).to_string());
                bar.inc(1);
            }
            None => eprintln!("gongkai: {line}"),
        }
    }

    fn step(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(message.to_string()),
            None => eprintln!("gongkai: {message}"),
        }
    }
}

fn parse_command(paths: &[PathBuf], format: Format, tables: parse::Tables) -> anyhow::Result<ExitCode> {
    let expanded = parse::expand_paths(paths);
    if !expanded.skipped.is_empty() {
        eprintln!("gongkai: passed over {} file(s) that are not reports by extension:", expanded.skipped.len());
        for path in &expanded.skipped {
            eprintln!("  {}", path.display());
        }
    }
    // Directories that could not be read are failures of the batch, not silent gaps.
    for (path, reason) in &expanded.unreadable {
        eprintln!("gongkai: {}: {reason}", path.display());
    }
    let unreadable = !expanded.unreadable.is_empty();
    let files = expanded.files;
    if let Format::Rows = format {
        let code = print_rows(&files)?;
        return Ok(if unreadable { ExitCode::FAILURE } else { code });
    }
    if let Format::Tokens = format {
        return print_tokens(&files);
    }
    // Each report is written as soon as it is parsed, through one buffer: memory stays flat in the
    // number of files, and stdout is not flushed line by line.
    let color = std::io::stdout().is_terminal();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let array = format == Format::Json && files.len() != 1;
    if array {
        write!(out, "[")?;
    }
    let (mut failed, mut written) = (usize::from(unreadable), 0);
    for file in &files {
        let report = match parse::parse_file_within(file, tables, parse::Budget::DEFAULT) {
            Ok(report) => report,
            Err(err) => {
                failed += 1;
                // What is already parsed reaches stdout before the error reaches stderr.
                out.flush()?;
                eprintln!("gongkai: {err}");
                continue;
            }
        };
        match format {
            Format::Json => {
                if array {
                    writeln!(out, "{}", if written == 0 { "" } else { "," })?;
                }
                serde_json::to_writer_pretty(&mut out, &report)?;
                if !array {
                    writeln!(out)?;
                }
            }
            Format::Table => write!(out, "{}", render_table(&report, color))?,
            Format::Rows | Format::Tokens => unreachable!("handled above"),
        }
        written += 1;
    }
    if array {
        writeln!(out, "{}]", if written == 0 { "" } else { "\n" })?;
    }
    out.flush()?;
    Ok(if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The token stream of each file, one token a line: kind, gap before it, text.
fn print_tokens(files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    for file in files {
        let doc = std::fs::read(file)
            .map_err(anyhow::Error::from)
            .and_then(|b| Ok(gongkai::read::read(&b, &file.display().to_string())?));
        match doc {
            Ok(doc) => {
                println!("== {} ({}, {})", file.display(), doc.format.as_str(), doc.encoding);
                for t in gongkai::read::tokens::tokens(&doc.text) {
                    println!("{:<6} {:<5} {}", format!("{:?}", t.kind), format!("{:?}", t.gap), t.text);
                }
            }
            Err(err) => {
                failed = true;
                eprintln!("gongkai: {}: {err}", file.display());
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn print_rows(files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    for file in files {
        let doc = std::fs::read(file)
            .map_err(anyhow::Error::from)
            .and_then(|b| Ok(gongkai::read::read(&b, &file.display().to_string())?));
        match doc {
            Ok(doc) => {
                println!("== {} ({}, {})", file.display(), doc.format.as_str(), doc.encoding);
                for row in &doc.rows {
                    println!("{:?}\t{}", row.kind, row.cells.join(" | "));
                }
            }
            Err(err) => {
                failed = true;
                eprintln!("gongkai: {}: {err}", file.display());
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// A report as text: metadata, the three tables, then the checks that failed and the warnings.
pub fn render_table(report: &Report, color: bool) -> String {
    let (red, reset) = if color { ("\x1b[1;31m", "\x1b[0m") } else { ("", "") };
    let mut s = String::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    s += &format!("== {}\n", report.source_uri);
    s += &format!("title     {}\n", opt(&report.title));
    s += &format!("agency    {}\n", opt(&report.agency));
    s += &format!(
        "year      {}   template {}   published {}\n",
        report.year.map_or("-".into(), |y| y.to_string()),
        report.template.as_str(),
        opt(&report.published_on)
    );
    let r = &report.region;
    let place: Vec<String> =
        [&r.province, &r.prefecture, &r.county, &r.township].iter().filter_map(|p| (*p).clone()).collect();
    let code =
        [&r.township_code, &r.county_code, &r.prefecture_code, &r.province_code].iter().find_map(|c| (*c).clone());
    s += &format!(
        "region    {} ({}, {})\n",
        if place.is_empty() { "-".into() } else { place.join(" / ") },
        code.unwrap_or("-".into()),
        r.level.as_str()
    );
    s += &format!(
        "proactive {}{}   info fee {}\n",
        report.proactive_total.map_or("-".into(), |n| n.to_string()),
        if report.proactive_approx { " (approx.)" } else { "" },
        report.info_fee_yuan.map_or("-".into(), |n| format!("{n} yuan"))
    );
    let failing: Vec<(&str, &str)> = report.failed_checks().map(|c| (c.id, c.scope.as_str())).collect();
    for (name, table) in [("sec2", &report.sec2), ("sec3", &report.sec3), ("sec4", &report.sec4)] {
        if table.rows.is_empty() {
            continue;
        }
        s += &format!("-- {name}\n");
        s += &render_grid(table, &failing, red, reset);
    }
    let failed: Vec<String> = report
        .failed_checks()
        .map(|c| format!("{} {}: {} ≠ {}", c.id, c.scope, fmt_num(c.lhs), fmt_num(c.rhs)))
        .collect();
    let passed = report.checks.iter().filter(|c| c.status == CheckStatus::Pass).count();
    let na = report.checks.iter().filter(|c| c.status == CheckStatus::NotAssessable).count();
    s += &format!("-- checks: {passed} pass, {} fail, {na} not assessable\n", failed.len());
    for f in failed {
        s += &format!("{red}  FAIL {f}{reset}\n");
    }
    for w in &report.warnings {
        s += &format!("  warning: {w}\n");
    }
    s += "\n";
    s
}

fn fmt_num(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| if v.fract() == 0.0 { format!("{}", v as i64) } else { v.to_string() })
}

/// One table as aligned text; rows and columns named in a failed check are marked. Tables whose rows
/// share their columns (sec3, sec4) get a header line; sec2 rows print `column=value`.
fn render_grid(table: &Table, failing: &[(&str, &str)], red: &str, reset: &str) -> String {
    let cell_text = |cell: &gongkai::model::Cell| match cell.kind {
        gongkai::model::CellKind::Number => fmt_num(cell.value),
        gongkai::model::CellKind::Missing => "?".into(),
        gongkai::model::CellKind::Blank => "·".into(),
        _ => cell.raw.clone(),
    };
    let key_width = table.rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
    let columns: Vec<&str> = table.rows.first().map(|r| r.cells.iter().map(|(c, _)| *c).collect()).unwrap_or_default();
    let shared_columns =
        table.rows.iter().all(|r| r.cells.iter().map(|(c, _)| *c).eq(columns.iter().copied())) && columns.len() > 1;
    let mut s = String::new();
    if shared_columns {
        s += &format!("{:key_width$}", "");
        for col in &columns {
            s += &format!("  {col:>w$}", w = col.len());
        }
        s += "\n";
    }
    for row in &table.rows {
        let row_failed = failing.iter().any(|(_, scope)| *scope == row.key);
        let (on, off) = if row_failed { (red, reset) } else { ("", "") };
        s += &format!("{on}{:<key_width$}{off}", row.key);
        for (col, cell) in &row.cells {
            let text = cell_text(cell);
            // A failed column identity marks that column in the totals row.
            let col_failed = row.key == "results_total"
                && failing.iter().any(|(id, scope)| scope == col && matches!(*id, "H1" | "H2"));
            let (on, off) = if col_failed { (red, reset) } else { ("", "") };
            if shared_columns {
                s += &format!("  {on}{text:>w$}{off}", w = col.len());
            } else {
                s += &format!("  {col}={on}{text}{off}");
            }
        }
        s += "\n";
    }
    s
}
