//! Catalog queries of client libraries, reworded so DataFusion can plan them. SQLAlchemy's (and so
//! Superset's) column reflection asks pg_catalog with scalar subqueries that PostgreSQL runs as
//! lookups: DataFusion plans a correlated scalar subquery only when it is aggregated. Only
//! statements that read nothing but pg_catalog and information_schema are touched, so a query of
//! the warehouse is never reworded.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, ObjectName, Query, SelectItem, SetExpr, Statement};
use datafusion::sql::sqlparser::ast::{visit_expressions_mut, visit_relations};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Catalog tables that are always empty here: a read-only warehouse has no column defaults and no
/// sequences. A scalar subquery over them is NULL (DataFusion cannot plan the ones clients send:
/// they filter on the outer row alone).
const EMPTY: &[&str] = &["pg_catalog.pg_attrdef", "pg_catalog.pg_sequence"];

/// Columns of pg_catalog that hold a function (type regproc). This catalog keeps them as the
/// function's name, so `typinput = 'array_in'::regproc` (pgjdbc's and DBeaver's array test), which
/// the compatibility parser turns into an OID lookup in pg_proc, compares names instead.
const REGPROC_COLUMNS: &[&str] =
    &["typinput", "typoutput", "typreceive", "typsend", "typmodin", "typmodout", "typanalyze"];

/// Aggregates that already make a subquery return one row.
const AGGREGATES: &[&str] = &["max", "min", "count", "sum", "avg", "array_agg", "string_agg", "bool_and", "bool_or"];

/// Reword `statement`: a regproc column compared with a function's name compares names; and when
/// it reads only the catalogs, a scalar subquery over always-empty tables
/// is NULL (its parameters kept, so the client's parameters still bind by position); every other
/// one takes `max` of its one column (these subqueries look a row up by its key, so they return one
/// row or none, and `max` of that is the same value). Returns whether anything changed.
pub fn reword(statement: &mut Statement) -> bool {
    // Only pg_catalog has regproc columns, so this one applies to any statement.
    let mut changed = regproc_as_names(statement);
    if !reads_only_catalogs(statement) {
        return changed;
    }
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::Subquery(query) = expr {
            if relations(query.as_ref()).iter().all(|name| EMPTY.contains(&name.as_str())) {
                if let Some(null) = null_keeping_parameters(query) {
                    *expr = null;
                    changed = true;
                }
            } else if let Some(aggregated) = aggregated(query) {
                **query = aggregated;
                changed = true;
            }
        }
        ControlFlow::<()>::Continue(())
    });
    changed
}

/// A regproc column compared with a function looked up by name: the lookup becomes the name.
fn regproc_as_names(statement: &mut Statement) -> bool {
    use datafusion::sql::sqlparser::ast::Value;
    let is_regproc_column = |e: &Expr| {
        let name = match e {
            Expr::Identifier(ident) => &ident.value,
            Expr::CompoundIdentifier(parts) => match parts.last() {
                Some(ident) => &ident.value,
                None => return false,
            },
            _ => return false,
        };
        REGPROC_COLUMNS.contains(&name.to_lowercase().as_str())
    };
    let looked_up = |e: &Expr| -> Option<String> {
        let Expr::Subquery(query) = e else { return None };
        let text = query.to_string();
        let name = text.strip_prefix("SELECT oid FROM pg_catalog.pg_proc WHERE proname = '")?.strip_suffix('\'')?;
        (!name.contains('\'')).then(|| name.trim_start_matches("pg_catalog.").to_string())
    };
    let mut changed = false;
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::BinaryOp { left, right, .. } = expr {
            let name = if is_regproc_column(left) {
                looked_up(right).map(|n| (n, &mut **right))
            } else if is_regproc_column(right) {
                looked_up(left).map(|n| (n, &mut **left))
            } else {
                None
            };
            if let Some((name, side)) = name {
                *side = Expr::Value(Value::SingleQuotedString(name).into());
                changed = true;
            }
        }
        ControlFlow::<()>::Continue(())
    });
    changed
}

/// `sql` reworded as [`reword`] does, or None when it is not one catalog query that needed it. A
/// statement that names no catalog is not parsed here at all.
pub fn reword_sql(sql: &str) -> Option<String> {
    use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;
    let lower = sql.to_ascii_lowercase();
    if !lower.contains("pg_catalog.") && !lower.contains("information_schema.") {
        return None;
    }
    match PostgresCompatibilityParser::new().parse(sql).as_deref_mut() {
        Ok([statement]) => reword(statement).then(|| statement.to_string()),
        _ => None,
    }
}

/// The tables a statement or query names, lower-cased as written (`pg_catalog.pg_class`).
fn relations<V: datafusion::sql::sqlparser::ast::Visit>(node: &V) -> Vec<String> {
    let mut names = Vec::new();
    let _ = visit_relations(node, |name: &ObjectName| {
        names.push(name.to_string().to_lowercase());
        ControlFlow::<()>::Continue(())
    });
    names
}

fn reads_only_catalogs(statement: &Statement) -> bool {
    let names = relations(statement);
    !names.is_empty()
        && names.iter().all(|n| n.starts_with("pg_catalog.") || n.starts_with("information_schema."))
        && matches!(statement, Statement::Query(_))
}

/// NULL, as an expression that still names every parameter of `query` (`CASE WHEN $3::VARCHAR IS
/// NULL THEN NULL END`).
fn null_keeping_parameters(query: &Query) -> Option<Expr> {
    use datafusion::sql::sqlparser::ast::{Value, visit_expressions};
    // Each parameter once, under its cast when it has one (the cast carries its type).
    let mut parameters: Vec<(String, String)> = Vec::new();
    let placeholder = |e: &Expr| match e {
        Expr::Value(v) => match &v.value {
            Value::Placeholder(id) => Some(id.clone()),
            _ => None,
        },
        _ => None,
    };
    let _ = visit_expressions(query, |e: &Expr| {
        let found = match e {
            Expr::Cast { expr, .. } => placeholder(expr).map(|id| (id, e.to_string())),
            e => placeholder(e).map(|id| (id.clone(), id)),
        };
        if let Some((id, text)) = found {
            match parameters.iter_mut().find(|(known, _)| *known == id) {
                Some(known) if !known.1.contains("::") && text.contains("::") => known.1 = text,
                Some(_) => {}
                None => parameters.push((id, text)),
            }
        }
        ControlFlow::<()>::Continue(())
    });
    if parameters.is_empty() {
        return Some(Expr::Value(Value::Null.into()));
    }
    let conditions: Vec<String> = parameters.iter().map(|(_, p)| format!("{p} IS NULL")).collect();
    let sql = format!("CASE WHEN {} THEN NULL END", conditions.join(" OR "));
    Parser::new(&PostgreSqlDialect {}).try_with_sql(&sql).ok()?.parse_expr().ok()
}

/// `query` with its one selected column under `max`, or None when it is not a single-column
/// SELECT without grouping, or is aggregated already.
fn aggregated(query: &Query) -> Option<Query> {
    let SetExpr::Select(select) = query.body.as_ref() else { return None };
    let grouped = !matches!(
        &select.group_by,
        datafusion::sql::sqlparser::ast::GroupByExpr::Expressions(exprs, _) if exprs.is_empty()
    );
    let [item] = select.projection.as_slice() else { return None };
    let (SelectItem::UnnamedExpr(column) | SelectItem::ExprWithAlias { expr: column, .. }) = item else {
        return None;
    };
    if grouped || select.having.is_some() {
        return None;
    }
    if let Expr::Function(f) = column
        && AGGREGATES.contains(&f.name.to_string().to_lowercase().as_str())
    {
        return None;
    }
    let wrapped = Parser::new(&PostgreSqlDialect {}).try_with_sql(&format!("max({column})")).ok()?.parse_expr().ok()?;
    let mut query = query.clone();
    if let SetExpr::Select(select) = query.body.as_mut() {
        select.projection[0] = match item {
            SelectItem::ExprWithAlias { alias, .. } => {
                SelectItem::ExprWithAlias { expr: wrapped, alias: alias.clone() }
            }
            _ => SelectItem::UnnamedExpr(wrapped),
        };
    }
    Some(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;

    fn reworded(sql: &str) -> Option<String> {
        let mut statement = PostgresCompatibilityParser::new().parse(sql).unwrap().remove(0);
        reword(&mut statement).then(|| statement.to_string())
    }

    #[test]
    fn catalog_lookups_are_aggregated_and_empty_tables_are_null() {
        // Inside CASE, as SQLAlchemy writes them (the compatibility parser already drops subqueries
        // that stand alone in a select list).
        let sql = "SELECT a.attname, CASE WHEN a.attcollation != 0 AND (SELECT t.typcollation FROM pg_catalog.pg_type t \
                   WHERE t.oid = a.atttypid) != a.attcollation THEN 1 END AS c, CASE WHEN a.atthasdef THEN \
                   (SELECT d.adbin FROM pg_catalog.pg_attrdef d WHERE a.atthasdef AND d.adrelid = a.attrelid) END AS def \
                   FROM pg_catalog.pg_attribute a";
        let out = reworded(sql).expect("reworded");
        assert!(out.contains("(SELECT max(t.typcollation) FROM pg_catalog.pg_type"), "{out}");
        assert!(out.contains("THEN NULL END AS def") && !out.contains("pg_attrdef"), "{out}");
        // SQLAlchemy's identity lookup, shortened; the parameters inside the subquery stay named.
        let sql = "SELECT CASE WHEN (a.attidentity != $1::VARCHAR) THEN (SELECT json_build_object($2::VARCHAR, \
                   s.seqstart) FROM pg_catalog.pg_sequence s WHERE a.attidentity != $3::VARCHAR AND \
                   s.seqrelid = a.attrelid) ELSE NULL END AS identity_options FROM pg_catalog.pg_attribute a \
                   WHERE a.attnum > $4::SMALLINT";
        let out = reworded(sql).expect("reworded");
        assert!(out.contains("CASE WHEN $2::VARCHAR IS NULL OR $3::VARCHAR IS NULL THEN NULL END"), "{out}");
        assert!(out.contains("$1::VARCHAR") && out.contains("$4::SMALLINT") && !out.contains("pg_sequence"), "{out}");
    }

    #[test]
    fn regproc_columns_compare_with_function_names() {
        let out = reworded("SELECT typname FROM pg_catalog.pg_type WHERE typinput = 'array_in'::regproc").unwrap();
        assert_eq!(out, "SELECT typname FROM pg_catalog.pg_type WHERE typinput = 'array_in'");
        let out = reworded("SELECT t.typinput = 'pg_catalog.array_in'::regproc AS is_array FROM pg_catalog.pg_type t")
            .unwrap();
        assert!(out.starts_with("SELECT t.typinput = 'array_in' AS is_array"), "{out}");
        // Another column compared with a function's OID is left alone (and aggregated as any lookup).
        let out = reworded("SELECT typname FROM pg_catalog.pg_type WHERE oid = 'array_in'::regproc").unwrap();
        assert!(out.contains("max(oid)"), "{out}");
    }

    #[test]
    fn queries_of_the_warehouse_are_never_reworded() {
        assert_eq!(reworded("SELECT (SELECT year FROM reports r WHERE r.report_id = c.report_id) FROM cells c"), None);
        // A catalog query that mentions a warehouse table is not reworded either.
        let sql =
            "SELECT CASE WHEN true THEN (SELECT typname FROM pg_catalog.pg_type t WHERE t.oid = 1) END FROM reports";
        assert_eq!(reworded(sql), None);
        // Already aggregated: unchanged.
        let sql = "SELECT CASE WHEN true THEN (SELECT count(*) FROM pg_catalog.pg_type) END FROM pg_catalog.pg_class";
        assert_eq!(reworded(sql), None);
    }
}
