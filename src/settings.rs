//! The settings a deployment configures (where the warehouse is, how to reach S3, which pipeline
//! files and views to use, how many files to parse at once, where and how the PostgreSQL server
//! listens, and the dashboard), each settable in three places: a flag, a `GONGKAI_*` environment variable and the
//! config file, in that order of precedence, then the built-in default. [`SETTINGS`] is the one
//! list (README's "Configuration" table shows the same).
//!
//! clap reads the flags and the variables (its `env` feature). The config file is read before
//! clap parses, and its values become the arguments' defaults, so they rank below both. A setting
//! applies to the subcommands that take its flag.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Command};

/// The variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "GONGKAI_CONFIG";

/// What a setting's value is in the config file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string: a URI or a path.
    Text,
    Bool,
    /// A whole number ≥ 1.
    Count,
    /// A table of strings, `KEY = "VALUE"`; on the command line and in the variable `KEY=VALUE`.
    KeyValues,
}

pub struct Setting {
    /// The key in the config file; also the clap argument's id, which is how the two are tied.
    pub key: &'static str,
    pub flag: &'static str,
    pub env: &'static str,
    pub kind: Kind,
}

pub const SETTINGS: &[Setting] = &[
    Setting { key: "warehouse", flag: "--warehouse", env: "GONGKAI_WAREHOUSE", kind: Kind::Text },
    Setting { key: "s3_endpoint", flag: "--s3-endpoint", env: "GONGKAI_S3_ENDPOINT", kind: Kind::Text },
    Setting { key: "s3_allow_http", flag: "--s3-allow-http", env: "GONGKAI_S3_ALLOW_HTTP", kind: Kind::Bool },
    Setting { key: "s3_options", flag: "--s3-option", env: "GONGKAI_S3_OPTIONS", kind: Kind::KeyValues },
    Setting { key: "sql_dir", flag: "--sql-dir", env: "GONGKAI_SQL_DIR", kind: Kind::Text },
    Setting { key: "pipelines", flag: "--pipelines", env: "GONGKAI_PIPELINES", kind: Kind::Text },
    Setting { key: "concurrency", flag: "--concurrency", env: "GONGKAI_CONCURRENCY", kind: Kind::Count },
    Setting { key: "pg", flag: "--pg", env: "GONGKAI_PG", kind: Kind::Text },
    Setting { key: "http", flag: "--http", env: "GONGKAI_HTTP", kind: Kind::Text },
    Setting { key: "pg_users", flag: "--users", env: "GONGKAI_PG_USERS", kind: Kind::Text },
    Setting {
        key: "statement_timeout",
        flag: "--statement-timeout",
        env: "GONGKAI_STATEMENT_TIMEOUT",
        kind: Kind::Text,
    },
    Setting { key: "memory_limit", flag: "--memory-limit", env: "GONGKAI_MEMORY_LIMIT", kind: Kind::Text },
    Setting { key: "max_connections", flag: "--max-connections", env: "GONGKAI_MAX_CONNECTIONS", kind: Kind::Count },
    Setting { key: "idle_timeout", flag: "--idle-timeout", env: "GONGKAI_IDLE_TIMEOUT", kind: Kind::Text },
    Setting { key: "tls_cert", flag: "--tls-cert", env: "GONGKAI_TLS_CERT", kind: Kind::Text },
    Setting { key: "tls_key", flag: "--tls-key", env: "GONGKAI_TLS_KEY", kind: Kind::Text },
];

/// The config file named by `--config FILE` (or `--config=FILE`) among `args`, else by
/// `GONGKAI_CONFIG`. Found before clap parses, since its values are clap's defaults.
pub fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--config=")) {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// A config file, read and checked: its values as clap would take them from a flag, and every
/// problem found (each `FILE: KEY: message`).
#[derive(Default)]
pub struct ConfigFile {
    pub path: Option<PathBuf>,
    values: BTreeMap<&'static str, Vec<String>>,
    pub errors: Vec<String>,
}

impl ConfigFile {
    /// Read the file at `path` (no file: no values). Every error is collected; the keys that are
    /// right are kept, so `gongkai check` can report the rest with them.
    pub fn load(path: Option<PathBuf>) -> Self {
        let Some(path) = path else { return ConfigFile::default() };
        let mut file = ConfigFile { path: Some(path.clone()), ..Default::default() };
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                file.errors.push(format!("{name}: -: cannot read the config file: {e}"));
                return file;
            }
        };
        let table: toml::Table = match text.parse() {
            Ok(table) => table,
            Err(e) => {
                file.errors.push(format!("{name}: -: not valid TOML: {}", e.to_string().trim_end()));
                return file;
            }
        };
        for (key, value) in &table {
            let Some(setting) = SETTINGS.iter().find(|s| s.key == key) else {
                let known: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
                file.errors.push(format!("{name}: {key}: unknown setting (known: {})", known.join(", ")));
                continue;
            };
            match parse_value(setting.kind, value) {
                Ok(values) => {
                    file.values.insert(setting.key, values);
                }
                Err(message) => file.errors.push(format!("{name}: {key}: {message}")),
            }
        }
        file
    }

    pub fn has(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// `cmd` and all its subcommands with each setting's variable attached to its argument and the
    /// file's value as the argument's default.
    pub fn apply(&self, cmd: Command) -> Command {
        cmd.mut_args(|arg| self.configure(arg)).mut_subcommands(|sub| self.apply(sub))
    }

    fn configure(&self, arg: Arg) -> Arg {
        let Some(setting) = SETTINGS.iter().find(|s| arg.get_id() == s.key) else { return arg };
        let arg = arg.env(setting.env);
        match self.values.get(setting.key) {
            Some(values) => arg.default_values(values.clone()),
            None => arg,
        }
    }
}

/// A file value as the strings clap would get from the command line.
fn parse_value(kind: Kind, value: &toml::Value) -> Result<Vec<String>, String> {
    use toml::Value as V;
    match (kind, value) {
        (Kind::Text, V::String(s)) if !s.is_empty() => Ok(vec![s.clone()]),
        (Kind::Text, V::String(_)) => Err("must not be empty".into()),
        (Kind::Text, other) => Err(format!("expected a string, found {}", other.type_str())),
        (Kind::Bool, V::Boolean(b)) => Ok(vec![b.to_string()]),
        (Kind::Bool, other) => Err(format!("expected true or false, found {}", other.type_str())),
        (Kind::Count, V::Integer(n)) if *n >= 1 => Ok(vec![n.to_string()]),
        (Kind::Count, V::Integer(n)) => Err(format!("must be at least 1, found {n}")),
        (Kind::Count, other) => Err(format!("expected a whole number, found {}", other.type_str())),
        (Kind::KeyValues, V::Table(t)) => t
            .iter()
            .map(|(k, v)| match v {
                V::String(v) => Ok(format!("{k}={v}")),
                other => Err(format!("{k}: expected a string, found {}", other.type_str())),
            })
            .collect(),
        (Kind::KeyValues, other) => Err(format!("expected a table of KEY = \"VALUE\", found {}", other.type_str())),
    }
}

/// One setting as the command that ran sees it: its value and where the value came from.
pub struct Effective {
    pub setting: &'static Setting,
    pub values: Vec<String>,
    /// `flag --warehouse`, `environment GONGKAI_WAREHOUSE`, `config file PATH`, `default`, or
    /// `not set`.
    pub origin: String,
}

impl Effective {
    /// The value for printing; S3 option values that are secrets are not shown.
    pub fn display(&self) -> String {
        let shown: Vec<String> = self
            .values
            .iter()
            .map(|v| match v.split_once('=') {
                Some((k, _)) if self.setting.kind == Kind::KeyValues && secret(k) => format!("{k}=(hidden)"),
                _ => v.clone(),
            })
            .collect();
        shown.join(",")
    }
}

fn secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["secret", "token", "password", "session"].iter().any(|s| key.contains(s))
}

/// The settings the subcommand that was run takes, with their values and origins.
pub fn effective(matches: &ArgMatches, file: &ConfigFile) -> Vec<Effective> {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    let mut out = Vec::new();
    for setting in SETTINGS {
        // An error here means the subcommand has no such argument.
        let Ok(raw) = m.try_get_raw(setting.key) else { continue };
        let values: Vec<String> = match setting.kind {
            // As parsed, not as spelled: `1` and `yes` are shown as `true`.
            Kind::Bool => {
                m.try_get_one::<bool>(setting.key).ok().flatten().map(|b| vec![b.to_string()]).unwrap_or_default()
            }
            _ => raw.map(|vs| vs.map(|v| v.to_string_lossy().into_owned()).collect()).unwrap_or_default(),
        };
        let origin = match m.value_source(setting.key) {
            Some(ValueSource::CommandLine) => format!("flag {}", setting.flag),
            Some(ValueSource::EnvVariable) => format!("environment {}", setting.env),
            Some(ValueSource::DefaultValue) if file.has(setting.key) => {
                format!("config file {}", file.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default())
            }
            Some(_) => "default".to_string(),
            None => "not set".to_string(),
        };
        out.push(Effective { setting, values, origin });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_an_argument_of_some_subcommand() {
        fn ids(cmd: &Command, out: &mut Vec<String>) {
            out.extend(cmd.get_arguments().map(|a| a.get_id().to_string()));
            for sub in cmd.get_subcommands() {
                ids(sub, out);
            }
        }
        let mut all = Vec::new();
        ids(&<crate::cli::Cli as clap::CommandFactory>::command(), &mut all);
        for s in SETTINGS {
            assert!(all.iter().any(|id| id == s.key), "{}: no argument with this id", s.key);
            assert!(s.env.starts_with("GONGKAI_"), "{}", s.env);
        }
    }

    #[test]
    fn config_path_from_the_flag_in_either_spelling() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(config_path(&args(&["gongkai", "check", "--config", "a.toml"])), Some("a.toml".into()));
        assert_eq!(config_path(&args(&["gongkai", "--config=b.toml", "check"])), Some("b.toml".into()));
    }
}
