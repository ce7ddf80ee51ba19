//! PostgreSQL functions that clients call at connect time and DataFusion words differently or
//! lacks: `version()` and `to_regtype(name)`, both asked by SQLAlchemy when it connects, and
//! `SELECT set_config(name, value, is_local)` (DBeaver), which changes a session setting; and what
//! SQLAlchemy's column reflection calls: `json_build_object(key, value, …)`,
//! `pg_collation_is_visible(oid)` and `pg_get_serial_sequence(table, column)` (no column here has
//! a sequence: NULL).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int32Array};
use arrow::datatypes::{DataType, Int32Type};
use async_trait::async_trait;
use datafusion::common::ParamValues;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::QueryHook;
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_postgres::hooks::HookClient;
use pgwire::api::ClientInfo;
use pgwire::api::results::Response;
use pgwire::error::{PgWireError, PgWireResult};

/// Register the functions on `ctx`, whose pg_catalog is set up already.
pub async fn register(ctx: &SessionContext) -> Result<()> {
    ctx.register_udf(ScalarUDF::from(Version { signature: Signature::nullary(Volatility::Stable) }));
    let mut oids = HashMap::new();
    for batch in ctx.sql("SELECT typname, CAST(oid AS INT) AS oid FROM pg_catalog.pg_type").await?.collect().await? {
        let names = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
        let (names, values) = (names.as_string::<i32>(), batch.column(1).as_primitive::<Int32Type>());
        for i in 0..batch.num_rows() {
            if names.is_valid(i) && values.is_valid(i) {
                oids.insert(names.value(i).to_string(), values.value(i));
            }
        }
    }
    let signature = Signature::one_of(vec![TypeSignature::Exact(vec![DataType::Utf8])], Volatility::Stable);
    ctx.register_udf(ScalarUDF::from(ToRegtype { signature, oids: Arc::new(oids) }));
    ctx.register_udf(ScalarUDF::from(JsonBuildObject { signature: Signature::variadic_any(Volatility::Immutable) }));
    ctx.register_udf(ScalarUDF::from(Constant {
        name: "pg_collation_is_visible",
        signature: Signature::any(1, Volatility::Stable),
        value: ScalarValue::Boolean(Some(true)),
    }));
    ctx.register_udf(ScalarUDF::from(Constant {
        name: "pg_get_serial_sequence",
        signature: Signature::any(2, Volatility::Stable),
        value: ScalarValue::Utf8(None),
    }));
    Ok(())
}

/// A function whose answer is the same for every argument in this catalog.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Constant {
    name: &'static str,
    signature: Signature,
    value: ScalarValue,
}

impl ScalarUDFImpl for Constant {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.value.data_type())
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(self.value.clone()))
    }
}

/// `json_build_object(key1, value1, …)`: a JSON object as text, keys as text, values as JSON
/// strings, numbers, booleans or null.
#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonBuildObject {
    signature: Signature,
}

impl ScalarUDFImpl for JsonBuildObject {
    fn name(&self) -> &str {
        "json_build_object"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if !args.args.len().is_multiple_of(2) {
            return Err(DataFusionError::Plan("json_build_object takes keys and values in pairs".into()));
        }
        let rows = args.number_rows;
        let arrays: Vec<Arc<dyn Array>> = args.args.iter().map(|a| a.to_array(rows)).collect::<Result<_>>()?;
        let mut out = arrow::array::StringBuilder::new();
        for row in 0..rows {
            let mut object = serde_json::Map::new();
            for pair in arrays.chunks(2) {
                let key = ScalarValue::try_from_array(&pair[0], row)?;
                let value = ScalarValue::try_from_array(&pair[1], row)?;
                object.insert(key.to_string(), json_value(&value));
            }
            out.append_value(serde_json::Value::Object(object).to_string());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

fn json_value(value: &ScalarValue) -> serde_json::Value {
    use serde_json::Value as J;
    if value.is_null() {
        return J::Null;
    }
    match value {
        ScalarValue::Boolean(Some(b)) => J::Bool(*b),
        ScalarValue::Int8(_)
        | ScalarValue::Int16(_)
        | ScalarValue::Int32(_)
        | ScalarValue::Int64(_)
        | ScalarValue::UInt8(_)
        | ScalarValue::UInt16(_)
        | ScalarValue::UInt32(_)
        | ScalarValue::UInt64(_)
        | ScalarValue::Float32(_)
        | ScalarValue::Float64(_) => value.to_string().parse::<serde_json::Number>().map_or(J::Null, J::Number),
        other => J::String(other.to_string()),
    }
}

/// `version()` as PostgreSQL words it: clients (SQLAlchemy, Superset) read the major version from
/// "PostgreSQL N.M" and refuse to connect without it. The number is the one the server announces
/// at login (pgwire's `server_version`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct Version {
    signature: Signature,
}

impl ScalarUDFImpl for Version {
    fn name(&self) -> &str {
        "version"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let version = format!(
            "PostgreSQL {} on gongkai {} (Apache DataFusion {})",
            pgwire::api::auth::DefaultServerParameterProvider::default().server_version,
            env!("CARGO_PKG_VERSION"),
            datafusion::DATAFUSION_VERSION
        );
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(version))))
    }
}

/// `to_regtype(name)`: the OID of the type named so in pg_catalog.pg_type, NULL when there is
/// none (psycopg looks types up this way, e.g. for SQLAlchemy's hstore check).
#[derive(Debug)]
struct ToRegtype {
    signature: Signature,
    oids: Arc<HashMap<String, i32>>,
}

// The map is read from pg_catalog, which is the same for every catalog opened: functions compare
// by name and signature.
impl PartialEq for ToRegtype {
    fn eq(&self, other: &Self) -> bool {
        self.signature == other.signature
    }
}

impl Eq for ToRegtype {}

impl std::hash::Hash for ToRegtype {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.signature.hash(state);
    }
}

impl ToRegtype {
    fn lookup(&self, name: &str) -> Option<i32> {
        let name = name.trim().trim_matches('"');
        let name = name.strip_prefix("pg_catalog.").unwrap_or(name);
        self.oids.get(name).or_else(|| self.oids.get(&name.to_lowercase())).copied()
    }
}

impl ScalarUDFImpl for ToRegtype {
    fn name(&self) -> &str {
        "to_regtype"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return Err(DataFusionError::Plan("to_regtype takes one argument".into()));
        };
        match arg {
            ColumnarValue::Scalar(value) => {
                let name = match value {
                    ScalarValue::Utf8(name) | ScalarValue::LargeUtf8(name) | ScalarValue::Utf8View(name) => name,
                    _ => return Err(DataFusionError::Plan("to_regtype takes a type name".into())),
                };
                Ok(ColumnarValue::Scalar(ScalarValue::Int32(name.as_deref().and_then(|n| self.lookup(n)))))
            }
            ColumnarValue::Array(array) => {
                let names = arrow::compute::cast(array, &DataType::Utf8)?;
                let names = names.as_string::<i32>();
                let oids: Int32Array = names.iter().map(|n| n.and_then(|n| self.lookup(n))).collect();
                Ok(ColumnarValue::Array(Arc::new(oids)))
            }
        }
    }
}

/// `SELECT set_config('name', 'value', is_local)` with literal arguments: the setting is changed as
/// `SET name = 'value'` would change it (only the settings a session may SET), and the value is
/// the one row. A transaction-local setting lasts for the session, as there is nothing else to
/// roll back.
#[derive(Debug)]
pub struct SetConfig;

impl SetConfig {
    /// The name and value of a `SELECT set_config(…)` statement, or None for any other statement.
    fn call(statement: &Statement) -> Option<(String, String)> {
        use datafusion::sql::sqlparser::ast::{
            Expr, FunctionArg, FunctionArgExpr, FunctionArguments, SelectItem, SetExpr, Value,
        };
        let Statement::Query(query) = statement else { return None };
        let SetExpr::Select(select) = query.body.as_ref() else { return None };
        let [SelectItem::UnnamedExpr(Expr::Function(f)) | SelectItem::ExprWithAlias { expr: Expr::Function(f), .. }] =
            select.projection.as_slice()
        else {
            return None;
        };
        let name = f.name.to_string().to_lowercase();
        if !select.from.is_empty() || (name != "set_config" && name != "pg_catalog.set_config") {
            return None;
        }
        let FunctionArguments::List(list) = &f.args else { return None };
        let text = |arg: &FunctionArg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) => match &v.value {
                Value::SingleQuotedString(s) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        };
        match list.args.as_slice() {
            [name, value, _is_local] => Some((text(name)?.to_lowercase(), text(value)?)),
            _ => None,
        }
    }

    /// `SET name = 'value'`, if a session may change `name`.
    fn as_set(name: &str, value: &str) -> PgWireResult<Statement> {
        if !super::guard::SETTABLE.contains(&name) {
            return Err(super::guard::read_only_error(format!(
                "set_config of {name} is not allowed: the settings a session may change are {}",
                super::guard::SETTABLE.join(", ")
            )));
        }
        let sql = format!("SET {name} = '{}'", value.replace('\'', "''"));
        let mut parsed =
            PostgresCompatibilityParser::new().parse(&sql).map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        Ok(parsed.remove(0))
    }

    /// The one-row result: the value as set.
    async fn result(ctx: &SessionContext, value: &str, format: &pgwire::api::portal::Format) -> PgWireResult<Response> {
        let df = ctx
            .sql(&format!("SELECT '{}' AS set_config", value.replace('\'', "''")))
            .await
            .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        Ok(Response::Query(datafusion_postgres::arrow_pg::datatypes::df::encode_dataframe(df, format, None).await?))
    }

    async fn apply(
        statement: &Statement,
        ctx: &SessionContext,
        client: &mut dyn HookClient,
        format: &pgwire::api::portal::Format,
    ) -> Option<PgWireResult<Response>> {
        let (name, value) = SetConfig::call(statement)?;
        let set = match SetConfig::as_set(&name, &value) {
            Ok(set) => set,
            Err(e) => return Some(Err(e)),
        };
        let hook = datafusion_postgres::hooks::set_show::SetShowHook;
        if let Some(Err(e)) = hook.handle_simple_query(&set, ctx, client).await {
            return Some(Err(e));
        }
        Some(SetConfig::result(ctx, &value, format).await)
    }
}

#[async_trait]
impl QueryHook for SetConfig {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        SetConfig::apply(statement, ctx, client, &pgwire::api::portal::Format::UnifiedText).await
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        let (name, value) = SetConfig::call(statement)?;
        if let Err(e) = SetConfig::as_set(&name, &value) {
            return Some(Err(e));
        }
        // The plan describes the result (one text column); the setting is changed at execution.
        let sql = format!("SELECT '{}' AS set_config", value.replace('\'', "''"));
        Some(ctx.state().create_logical_plan(&sql).await.map_err(|e| PgWireError::ApiError(Box::new(e))))
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        SetConfig::apply(statement, ctx, client, &pgwire::api::portal::Format::UnifiedText).await
    }
}
