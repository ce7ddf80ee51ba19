//! PostgreSQL functions that clients call at connect time and DataFusion words differently or
//! lacks: `version()` and `to_regtype(name)`, both asked by SQLAlchemy when it connects.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int32Array};
use arrow::datatypes::{DataType, Int32Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

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
    Ok(())
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
