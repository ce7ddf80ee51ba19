//! Pipeline files compiled into checked [`Pipeline`]s: `pipelines/<name>.toml`, file name =
//! pipeline name. Every error of every file is collected and reported at once, each naming its file
//! and field; nothing here touches the network.
//!
//! ```toml
//! schedule = "0 0 3 1 * *"          # sec min hour day-of-month month day-of-week
//! time_zone = "Asia/Shanghai"       # optional, the default
//! warehouse = "./warehouse"
//! catch_up = true                   # optional, default false
//! retries = 2                       # optional, default 0: further attempts after a failed run
//! retry_backoff_seconds = 60        # optional, default 60: doubled after each attempt
//! lease_seconds = 600               # optional, default 600: how long a dead holder blocks others
//! concurrency = 4                   # optional: files read and parsed at once
//!
//! [source]
//! uri = "samples/"                  # a local directory or an object-store prefix (s3://bucket/inbox/)
//! glob = "*.txt"                    # optional: only file names matching this pattern
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// The time zone of a pipeline that names none.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;
const DEFAULT_BACKOFF_SECONDS: u64 = 60;
/// How long a lease lasts without renewal unless a pipeline says otherwise.
pub const DEFAULT_LEASE_SECONDS: u64 = 600;
const FIELDS: [&str; 9] = [
    "schedule",
    "time_zone",
    "warehouse",
    "catch_up",
    "retries",
    "retry_backoff_seconds",
    "lease_seconds",
    "concurrency",
    "source",
];
const SOURCE_FIELDS: [&str; 2] = ["uri", "glob"];

/// One checked pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The file name without `.toml`.
    pub name: String,
    /// The file it was read from.
    pub file: PathBuf,
    /// The cron expression as written (6 fields, seconds first).
    pub schedule: String,
    pub cron: Cron,
    pub time_zone: Tz,
    pub source: String,
    pub glob: Option<glob::Pattern>,
    pub warehouse: String,
    pub catch_up: bool,
    pub retries: u32,
    pub retry_backoff_seconds: u64,
    pub lease_seconds: u64,
    pub concurrency: Option<usize>,
}

/// One problem in one pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// The field at fault (`source.glob`), or `-` for the file as a whole.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file.display(), self.field, self.message)
    }
}

/// Every error found in a pipelines directory.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error(s) in the pipeline files:", self.0.len())?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// The cron parser the scheduler uses too: 6 fields with seconds, day-of-month AND day-of-week.
pub fn parse_cron(expr: &str) -> Result<Cron, String> {
    if expr.split_whitespace().count() != 6 {
        return Err(format!(
            "`{expr}` has {} field(s); expected 6: sec min hour day-of-month month day-of-week",
            expr.split_whitespace().count()
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| format!("`{expr}`: {e}"))
}

/// Every `*.toml` file of `dir`, compiled; all errors of all files at once. Other files (a README)
/// are ignored. Sorted by name.
pub fn load_dir(dir: &Path) -> Result<Vec<Pipeline>, ConfigErrors> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: dir.to_path_buf(),
            field: "-".into(),
            message: format!("cannot read the pipelines directory: {e}"),
        }])
    })?;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut errors = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => files.push(e.path()),
            // A pipeline file may hide behind an entry that cannot be read: say so.
            Err(e) => errors.push(ConfigError {
                file: dir.to_path_buf(),
                field: "-".into(),
                message: format!("cannot read a directory entry: {e}"),
            }),
        }
    }
    files.retain(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file());
    files.sort();
    let mut pipelines = Vec::new();
    for file in files {
        match std::fs::read_to_string(&file) {
            Ok(text) => match compile(&file, &text) {
                Ok(p) => pipelines.push(p),
                Err(mut e) => errors.append(&mut e),
            },
            Err(e) => errors.push(ConfigError { file, field: "-".into(), message: format!("cannot read: {e}") }),
        }
    }
    if errors.is_empty() { Ok(pipelines) } else { Err(ConfigErrors(errors)) }
}

/// Compile the text of one pipeline file; the name comes from the file name.
pub fn compile(file: &Path, text: &str) -> Result<Pipeline, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut err = |field: &str, message: String| {
        errors.push(ConfigError { file: file.to_path_buf(), field: field.to_string(), message })
    };
    let name = file.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        err("-", format!("the file name `{name}` is the pipeline name: use letters, digits, `-` and `_` only"));
    }
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            err("-", format!("not valid TOML: {}", e.to_string().trim_end()));
            return Err(errors);
        }
    };
    for key in table.keys() {
        if !FIELDS.contains(&key.as_str()) {
            err(key, format!("unknown field (expected one of: {})", FIELDS.join(", ")));
        }
    }

    fn string<'a>(t: &'a toml::Table, key: &str, field: &str, err: &mut impl FnMut(&str, String)) -> Option<&'a str> {
        match t.get(key) {
            None => None,
            Some(toml::Value::String(s)) => Some(s.as_str()),
            Some(v) => {
                err(field, format!("expected a string, found {}", v.type_str()));
                None
            }
        }
    }
    fn integer(t: &toml::Table, key: &str, min: i64, err: &mut impl FnMut(&str, String)) -> Option<i64> {
        match t.get(key) {
            None => None,
            Some(toml::Value::Integer(n)) if *n >= min => Some(*n),
            Some(toml::Value::Integer(n)) => {
                err(key, format!("{n} is too small (at least {min})"));
                None
            }
            Some(v) => {
                err(key, format!("expected an integer, found {}", v.type_str()));
                None
            }
        }
    }

    let schedule = string(&table, "schedule", "schedule", &mut err).map(str::to_string);
    let cron = match &schedule {
        None => {
            err("schedule", "missing (6-field cron with seconds, e.g. \"0 0 3 1 * *\")".into());
            None
        }
        Some(expr) => parse_cron(expr).map_err(|e| err("schedule", e)).ok(),
    };
    let time_zone = match string(&table, "time_zone", "time_zone", &mut err) {
        None => Some(DEFAULT_TIME_ZONE),
        Some(tz) => tz.parse::<Tz>().map_err(|_| err("time_zone", format!("`{tz}` is not an IANA time zone"))).ok(),
    };
    let warehouse = string(&table, "warehouse", "warehouse", &mut err).map(str::to_string);
    match &warehouse {
        None => err("warehouse", "missing (a path, file://, memory:// or s3://bucket/prefix)".into()),
        Some(w) => check_uri("warehouse", w, &mut err),
    }
    let catch_up = match table.get("catch_up") {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(v) => {
            err("catch_up", format!("expected true or false, found {}", v.type_str()));
            false
        }
    };
    let retries = integer(&table, "retries", 0, &mut err).unwrap_or(0);
    let backoff = integer(&table, "retry_backoff_seconds", 0, &mut err).map_or(DEFAULT_BACKOFF_SECONDS, |n| n as u64);
    let lease = integer(&table, "lease_seconds", 1, &mut err).map_or(DEFAULT_LEASE_SECONDS, |n| n as u64);
    let concurrency = integer(&table, "concurrency", 1, &mut err).map(|n| n as usize);

    let (mut source, mut glob) = (None, None);
    match table.get("source") {
        None => err("source", "missing: a [source] table with `uri` (and optionally `glob`)".into()),
        Some(toml::Value::Table(t)) => {
            for key in t.keys() {
                if !SOURCE_FIELDS.contains(&key.as_str()) {
                    err(
                        &format!("source.{key}"),
                        format!("unknown field (expected one of: {})", SOURCE_FIELDS.join(", ")),
                    );
                }
            }
            source = string(t, "uri", "source.uri", &mut err).map(str::to_string);
            match &source {
                None if !t.contains_key("uri") => err("source.uri", "missing (a directory or a prefix)".into()),
                None => {}
                Some(uri) => check_uri("source.uri", uri, &mut err),
            }
            if let Some(pattern) = string(t, "glob", "source.glob", &mut err) {
                glob = glob::Pattern::new(pattern).map_err(|e| err("source.glob", format!("`{pattern}`: {e}"))).ok();
            }
        }
        Some(v) => err("source", format!("expected a table ([source]), found {}", v.type_str())),
    }

    match (errors.is_empty(), schedule, cron, time_zone, warehouse, source) {
        (true, Some(schedule), Some(cron), Some(time_zone), Some(warehouse), Some(source)) => Ok(Pipeline {
            name,
            file: file.to_path_buf(),
            schedule,
            cron,
            time_zone,
            source,
            glob,
            warehouse,
            catch_up,
            retries: retries as u32,
            retry_backoff_seconds: backoff,
            lease_seconds: lease,
            concurrency,
        }),
        _ => Err(errors),
    }
}

/// `t` without its fraction of a second (croner keeps the fraction of the time it starts from).
fn whole_seconds<T: chrono::TimeZone>(t: DateTime<T>) -> DateTime<T> {
    use chrono::Timelike;
    t.with_nanosecond(0).expect("0 ns is valid")
}

/// A URI is checked for its form only (scheme known, URL well-formed), never reached.
fn check_uri(field: &str, uri: &str, err: &mut impl FnMut(&str, String)) {
    if uri.trim().is_empty() {
        err(field, "empty".into());
        return;
    }
    let Some((scheme, _)) = uri.split_once("://") else { return };
    if !matches!(scheme, "file" | "memory" | "s3" | "s3a") {
        err(field, format!("`{uri}`: unsupported scheme `{scheme}` (use a path, file://, memory:// or s3://)"));
    } else if let Err(e) = url::Url::parse(uri) {
        err(field, format!("`{uri}`: {e}"));
    } else if matches!(scheme, "s3" | "s3a")
        && url::Url::parse(uri).ok().and_then(|u| u.host_str().map(str::to_string)).is_none()
    {
        err(field, format!("`{uri}`: no bucket"));
    }
}

impl Pipeline {
    /// The next `n` fire times after `after`, in the pipeline's time zone.
    pub fn next_fires(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Tz>> {
        self.cron.iter_after(whole_seconds(after).with_timezone(&self.time_zone)).take(n).map(whole_seconds).collect()
    }

    /// The most recent fire time at or before `now` (whole seconds).
    pub fn last_fire(&self, now: DateTime<Utc>) -> Option<DateTime<Tz>> {
        let now = whole_seconds(now).with_timezone(&self.time_zone);
        self.cron.find_previous_occurrence(&now, true).ok().map(whole_seconds)
    }

    /// Whether a source file name passes the pipeline's glob.
    pub fn accepts(&self, uri: &str) -> bool {
        let name = uri.rsplit(['/', '\\']).next().unwrap_or(uri);
        self.glob.as_ref().is_none_or(|g| g.matches(name))
    }
}
