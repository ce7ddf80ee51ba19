//! The PostgreSQL server is read-only: which statements run, and the error for the rest.
//!
//! Two locks, each enough alone for what it covers: the statement kinds let through are listed
//! here (queries, EXPLAIN of a query, SHOW, harmless session settings, transactions and cursors,
//! which write nothing), and every query's plan is checked to hold no DDL, DML or statement node
//! before it runs. DataFusion's built-in functions read no files and the catalog registers no
//! table functions that do; URLs as table names are not enabled.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::ParamValues;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{Query, Set, SetExpr, Statement};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion_postgres::QueryHook;
use datafusion_postgres::hooks::HookClient;
use pgwire::api::ClientInfo;
use pgwire::api::results::Response;
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};

/// What a statement may do here.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Planned by DataFusion, and the plan checked.
    Query,
    /// Answered by the session hooks (SET, SHOW, transactions, cursors) without writing anything.
    Session,
    /// Refused, with the reason.
    Refused(String),
}

/// Session settings a client may change: formatting and client bookkeeping that BI tools send at
/// connect time. Settings of the engine (`datafusion.*`, memory, paths) are not among them.
pub(crate) const SETTABLE: &[&str] = &[
    "application_name",
    "bytea_output",
    "client_encoding",
    "client_min_messages",
    "datestyle",
    "default_transaction_isolation",
    "default_transaction_read_only",
    "extra_float_digits",
    "intervalstyle",
    "search_path",
    "standard_conforming_strings",
    "statement_timeout",
    "timezone",
    "transaction_isolation",
];

pub fn classify(statement: &Statement) -> Verdict {
    match statement {
        Statement::Query(query) => query_verdict(query),
        Statement::Explain { statement, .. } => match statement.as_ref() {
            Statement::Query(query) => query_verdict(query),
            other => refused(other),
        },
        Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowFunctions { .. } => Verdict::Query,
        Statement::Set(set) => set_verdict(set),
        Statement::StartTransaction { .. } | Statement::Commit { .. } | Statement::Rollback { .. } => Verdict::Session,
        Statement::Declare { stmts } => {
            for declare in stmts {
                if let Some(query) = &declare.for_query
                    && let Verdict::Refused(why) = query_verdict(query)
                {
                    return Verdict::Refused(why);
                }
            }
            Verdict::Session
        }
        Statement::Fetch { .. } | Statement::Close { .. } => Verdict::Session,
        Statement::Savepoint { .. } | Statement::ReleaseSavepoint { .. } => Verdict::Session,
        other => refused(other),
    }
}

/// How `COPY (query) TO STDOUT` writes its rows (PostgreSQL's formats).
#[derive(Debug, Clone, PartialEq)]
pub enum CopyFormat {
    Text { delimiter: char, null: String },
    Csv { delimiter: char, null: String, header: bool },
    Binary,
}

/// The query and format of `COPY (query) TO STDOUT [WITH (…)]` (or `COPY table TO STDOUT`), the one
/// COPY that only reads: its rows go to the client (psql's `\copy … to`, the ADBC driver). None for any other statement
/// (every other COPY is refused by [`classify`]); an error for an option it does not take.
pub fn copy_to_stdout(statement: &Statement) -> Option<Result<(Query, CopyFormat), String>> {
    use datafusion::sql::sqlparser::ast::{CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget};
    let Statement::Copy { source, to: true, target: CopyTarget::Stdout, options, legacy_options, .. } = statement
    else {
        return None;
    };
    // `COPY t [(columns)] TO STDOUT` is `COPY (SELECT columns FROM t) TO STDOUT`.
    let query = match source {
        CopySource::Query(query) => query.as_ref().clone(),
        CopySource::Table { table_name, columns } => {
            let list = if columns.is_empty() {
                "*".to_string()
            } else {
                columns.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")
            };
            let sql = format!("SELECT {list} FROM {table_name}");
            let parsed = Parser::new(&PostgreSqlDialect {}).try_with_sql(&sql).and_then(|mut p| p.parse_query());
            match parsed {
                Ok(query) => *query,
                Err(e) => return Some(Err(format!("COPY {table_name}: {e}"))),
            }
        }
    };
    let (mut format, mut delimiter, mut null, mut header) = (String::from("text"), None, None, false);
    for option in options {
        match option {
            CopyOption::Format(name) => format = name.value.to_lowercase(),
            CopyOption::Delimiter(c) => delimiter = Some(*c),
            CopyOption::Null(text) => null = Some(text.clone()),
            CopyOption::Header(on) => header = *on,
            other => return Some(Err(format!("COPY … TO STDOUT: option {other} is not supported"))),
        }
    }
    for option in legacy_options {
        match option {
            CopyLegacyOption::Binary => format = "binary".into(),
            CopyLegacyOption::Csv(more) => {
                format = "csv".into();
                for option in more {
                    match option {
                        CopyLegacyCsvOption::Header => header = true,
                        other => return Some(Err(format!("COPY … TO STDOUT: option {other} is not supported"))),
                    }
                }
            }
            CopyLegacyOption::Header => header = true,
            other => return Some(Err(format!("COPY … TO STDOUT: option {other} is not supported"))),
        }
    }
    let chosen = match format.as_str() {
        "text" if !header => {
            CopyFormat::Text { delimiter: delimiter.unwrap_or('\t'), null: null.unwrap_or("\\N".into()) }
        }
        "csv" => CopyFormat::Csv { delimiter: delimiter.unwrap_or(','), null: null.unwrap_or_default(), header },
        "binary" if delimiter.is_none() && null.is_none() && !header => CopyFormat::Binary,
        "text" | "binary" => {
            return Some(Err(format!("COPY … TO STDOUT: these options do not apply to FORMAT {format}")));
        }
        other => return Some(Err(format!("COPY … TO STDOUT: unknown format {other} (text, csv, binary)"))),
    };
    Some(Ok((query, chosen)))
}

fn refused(statement: &Statement) -> Verdict {
    let kind = match statement {
        Statement::Copy { .. } | Statement::CopyIntoSnowflake { .. } => "COPY",
        Statement::CreateTable(table) if table.external => "CREATE EXTERNAL TABLE",
        Statement::CreateTable(_) => "CREATE TABLE",
        Statement::CreateView { .. } => "CREATE VIEW",
        Statement::Insert { .. } => "INSERT",
        Statement::Update { .. } => "UPDATE",
        Statement::Delete { .. } => "DELETE",
        Statement::Drop { .. } => "DROP",
        _ => "",
    };
    let text = statement.to_string();
    let kind = if kind.is_empty() {
        text.split_whitespace().take(2).collect::<Vec<_>>().join(" ").to_uppercase()
    } else {
        kind.to_string()
    };
    Verdict::Refused(format!("{kind} is not allowed: this server answers queries only"))
}

/// The refusal for a statement the parser could not read, when its first word says it would
/// write: the read-only answer is clearer than the syntax error (`CREATE EXTERNAL TABLE … STORED AS
/// CSV` is DataFusion's syntax, not PostgreSQL's).
pub fn refuse_unparsed(sql: &str) -> Option<String> {
    let first = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or("").trim())
        .find(|l| !l.is_empty())?
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    const WRITES: &[&str] = &["CREATE", "INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "COPY", "TRUNCATE", "MERGE"];
    let word = first.split(' ').next()?;
    WRITES.contains(&word).then(|| {
        let kind = if first.starts_with("CREATE EXTERNAL TABLE") { "CREATE EXTERNAL TABLE" } else { word };
        format!("{kind} is not allowed: this server answers queries only")
    })
}

/// A query, unless it writes: `SELECT … INTO` (which creates a table) or a data-changing
/// statement inside it, at any depth of the query, its set operations and its CTEs.
fn query_verdict(query: &Query) -> Verdict {
    fn writes(query: &Query) -> bool {
        query.with.as_ref().is_some_and(|with| with.cte_tables.iter().any(|cte| writes(&cte.query)))
            || body_writes(&query.body)
    }
    fn body_writes(body: &SetExpr) -> bool {
        match body {
            SetExpr::Select(select) => select.into.is_some(),
            SetExpr::Query(query) => writes(query),
            SetExpr::SetOperation { left, right, .. } => body_writes(left) || body_writes(right),
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => true,
            SetExpr::Values(_) | SetExpr::Table(_) => false,
        }
    }
    if writes(query) {
        Verdict::Refused(
            "SELECT … INTO and data-changing statements are not allowed: this server answers queries only".into(),
        )
    } else {
        Verdict::Query
    }
}

fn set_verdict(set: &Set) -> Verdict {
    match set {
        Set::SingleAssignment { hivevar: false, variable, .. } => {
            let name = variable.to_string().to_lowercase();
            if SETTABLE.contains(&name.as_str()) {
                Verdict::Session
            } else {
                Verdict::Refused(format!(
                    "SET {name} is not allowed: the settings a session may change are {}",
                    SETTABLE.join(", ")
                ))
            }
        }
        Set::SetTimeZone { .. } | Set::SetNames { .. } | Set::SetTransaction { .. } => Verdict::Session,
        other => Verdict::Refused(format!("{other} is not allowed: only session settings may be SET")),
    }
}

/// What a query's plan may contain: no DDL (CREATE, DROP), no DML (INSERT, COPY), no statement
/// nodes (SET of engine options, PREPARE).
pub fn check_plan(plan: &LogicalPlan) -> PgWireResult<()> {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(plan)
        .map_err(|e| read_only_error(format!("{e}: this server answers queries only")))
}

/// SQLSTATE 25006, read_only_sql_transaction: what PostgreSQL answers a write on a read-only
/// server.
pub fn read_only_error(message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".into(), "25006".into(), message)))
}

/// The first query hook: refuses what [`classify`] refuses, before any other hook or the planner
/// sees it.
#[derive(Debug)]
pub struct Guard;

#[async_trait]
impl QueryHook for Guard {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        match classify(statement) {
            Verdict::Refused(why) => Some(Err(read_only_error(why))),
            _ => None,
        }
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        match classify(statement) {
            Verdict::Refused(why) => Some(Err(read_only_error(why))),
            _ => None,
        }
    }

    async fn handle_extended_query(
        &self,
        _statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        None
    }
}

/// Savepoints, which psycopg sets around nested transactions: with nothing ever written there is
/// nothing to keep or undo, so each is acknowledged and the transaction goes on (datafusion-postgres
/// answers ROLLBACK TO SAVEPOINT as the end of the transaction, which it is not).
#[derive(Debug)]
pub struct Savepoints;

impl Savepoints {
    fn tag(statement: &Statement) -> Option<&'static str> {
        match statement {
            Statement::Savepoint { .. } => Some("SAVEPOINT"),
            Statement::ReleaseSavepoint { .. } => Some("RELEASE"),
            Statement::Rollback { savepoint: Some(_), .. } => Some("ROLLBACK"),
            _ => None,
        }
    }
}

#[async_trait]
impl QueryHook for Savepoints {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        Savepoints::tag(statement).map(|tag| Ok(Response::Execution(pgwire::api::results::Tag::new(tag))))
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        Savepoints::tag(statement).map(|_| {
            Ok(LogicalPlan::EmptyRelation(datafusion::logical_expr::EmptyRelation {
                produce_one_row: false,
                schema: Arc::new(datafusion::common::DFSchema::empty()),
            }))
        })
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        Savepoints::tag(statement).map(|tag| Ok(Response::Execution(pgwire::api::results::Tag::new(tag))))
    }
}

/// The guard, savepoints, then datafusion-postgres's session hooks (cursors, SET/SHOW,
/// transactions).
pub fn hooks() -> Vec<Arc<dyn QueryHook>> {
    use datafusion_postgres::hooks::{
        cursor::CursorStatementHook, set_show::SetShowHook, transactions::TransactionStatementHook,
    };
    vec![
        Arc::new(Guard),
        Arc::new(Savepoints),
        Arc::new(super::functions::SetConfig),
        Arc::new(CursorStatementHook),
        Arc::new(SetShowHook),
        Arc::new(TransactionStatementHook),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;

    fn parse(sql: &str) -> Statement {
        PostgresCompatibilityParser::new().parse(sql).unwrap().remove(0)
    }

    #[test]
    fn queries_and_session_statements_pass_writes_are_refused() {
        for sql in [
            "SELECT 1",
            "WITH t AS (SELECT 1 AS a) SELECT * FROM t UNION SELECT 2",
            "EXPLAIN SELECT 1",
            "SHOW server_version",
            "SHOW TABLES",
        ] {
            assert_eq!(classify(&parse(sql)), Verdict::Query, "{sql}");
        }
        for sql in [
            "SET extra_float_digits = 3",
            "SET application_name = 'x'",
            "SET statement_timeout = '1s'",
            "SET TIME ZONE 'UTC'",
            "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
            "BEGIN",
            "COMMIT",
            "DECLARE c CURSOR FOR SELECT 1",
            "SAVEPOINT s",
            "RELEASE SAVEPOINT s",
        ] {
            assert_eq!(classify(&parse(sql)), Verdict::Session, "{sql}");
        }
        for sql in [
            "CREATE TABLE t (a INT)",
            "CREATE VIEW v AS SELECT 1",
            "INSERT INTO reports VALUES (1)",
            "DELETE FROM reports",
            "DROP VIEW coverage",
            "COPY reports TO '/tmp/x'",
            "SELECT 1 INTO t",
            "EXPLAIN ANALYZE INSERT INTO t VALUES (1)",
            "DECLARE c CURSOR FOR SELECT 1 INTO t",
            "SET datafusion.execution.batch_size = 1",
            "SET datafusion.runtime.memory_limit = '100G'",
            "SET ROLE postgres",
        ] {
            assert!(matches!(classify(&parse(sql)), Verdict::Refused(_)), "{sql}");
        }
    }

    #[test]
    fn unparsable_writes_are_refused_by_their_first_word() {
        let refusal = refuse_unparsed("-- load\n  create external table t stored as csv location '/etc/passwd'");
        assert_eq!(refusal.as_deref(), Some("CREATE EXTERNAL TABLE is not allowed: this server answers queries only"));
        assert!(refuse_unparsed("COPY x FROM PROGRAM 'sh'").is_some());
        assert_eq!(refuse_unparsed("SELEC 1"), None, "a typo in a query stays a syntax error");
    }

    #[tokio::test]
    async fn plans_that_write_are_refused() {
        let ctx = SessionContext::new();
        ctx.sql("CREATE TABLE t AS SELECT 1 AS a").await.unwrap();
        let state = ctx.state();
        let plan = |sql: &'static str| {
            let state = state.clone();
            async move { state.create_logical_plan(sql).await.unwrap() }
        };
        assert!(check_plan(&plan("SELECT * FROM t").await).is_ok());
        for sql in ["INSERT INTO t VALUES (2)", "CREATE VIEW v AS SELECT 1", "SET datafusion.execution.batch_size = 1"]
        {
            assert!(check_plan(&plan(sql).await).is_err(), "{sql}");
        }
    }
}
