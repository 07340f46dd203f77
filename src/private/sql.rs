//! The SQL the private store speaks, once for both backends: statements are written with SQLite's
//! `?1` placeholders and a `:tenant` marker, and each backend runs them in its own dialect (the
//! PostgreSQL backend numbers its parameters `$1` and converts values to the columns' types).
//!
//! `:tenant` stands for the tenant the store belongs to, as a quoted literal: every statement names
//! it, so the application scopes its own queries even where row-level security would also hold.

use super::PrivateError;

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Blob(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl<T: Clone + Into<Value>> From<&Option<T>> for Value {
    fn from(v: &Option<T>) -> Self {
        v.clone().map_or(Value::Null, Into::into)
    }
}

/// The values of a statement's parameters, in order: `args![name, id]`.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::private::sql::Value::from($value)),*]
    };
}
pub(crate) use args;

/// A type a column is read as.
pub trait FromValue: Sized {
    fn from_value(value: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }
}

impl FromValue for i32 {
    fn from_value(value: &Value) -> Option<Self> {
        i64::from_value(value).and_then(|v| v.try_into().ok())
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Option<Self> {
        i64::from_value(value).map(|v| v != 0)
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Real(v) => Some(*v),
            Value::Int(v) => Some(*v as f64),
            _ => None,
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Text(v) => Some(v.clone()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A row of a query's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `i` as a `T`; a column of another type is the store's fault, reported as such.
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T, PrivateError> {
        let value = self.0.get(i).unwrap_or(&Value::Null);
        T::from_value(value).ok_or_else(|| {
            PrivateError::Corrupt(format!("column {i} holds {value:?}, not a {}", std::any::type_name::<T>()))
        })
    }
}

/// A connection of either backend, inside one transaction.
pub trait Sql {
    /// Runs a statement; returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, PrivateError>;

    /// Runs a query; returns every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, PrivateError>;
}

impl dyn Sql + '_ {
    /// The first row of a query, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, PrivateError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The single value of a query that always answers one row (`count(*)`, `RETURNING id`).
    pub fn value<T: FromValue>(&mut self, sql: &str, params: &[Value]) -> Result<T, PrivateError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| PrivateError::Corrupt(format!("no row from {sql}")))?
            .get(0)
    }

    /// Every row of a query, each read by `read`.
    pub fn rows<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        read: impl Fn(&Row) -> Result<T, PrivateError>,
    ) -> Result<Vec<T>, PrivateError> {
        self.query(sql, params)?.iter().map(read).collect()
    }
}

/// `sql` with `:tenant` replaced by `tenant` as a quoted literal. Tenant names are letters, digits,
/// `-` and `_` (checked where they are made), so the literal needs no escaping.
pub fn with_tenant(sql: &str, tenant: &str) -> String {
    debug_assert!(tenant.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    sql.replace(":tenant", &format!("'{tenant}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_their_types_and_others_are_refused() {
        let row = Row(vec![Value::Int(7), Value::Null, Value::Text("x".into()), Value::Int(1)]);
        assert_eq!(row.get::<i64>(0).unwrap(), 7);
        assert_eq!(row.get::<f64>(0).unwrap(), 7.0);
        assert_eq!(row.get::<Option<String>>(1).unwrap(), None);
        assert_eq!(row.get::<String>(2).unwrap(), "x");
        assert!(row.get::<bool>(3).unwrap());
        assert!(matches!(row.get::<i64>(2), Err(PrivateError::Corrupt(_))));
        assert!(matches!(row.get::<String>(1), Err(PrivateError::Corrupt(_))));
    }

    #[test]
    fn the_tenant_marker_becomes_a_literal() {
        assert_eq!(
            with_tenant("SELECT 1 FROM users WHERE tenant = :tenant AND id = ?1", "141305"),
            "SELECT 1 FROM users WHERE tenant = '141305' AND id = ?1"
        );
    }
}
