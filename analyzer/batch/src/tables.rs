//! Rows to polars DataFrames, typed by the specs in `rdpdiag_schemas::tables` so that the files
//! always match the documented columns (a row that disagrees with the spec is an error, not a
//! silently different file).

use chrono::{DateTime, SecondsFormat, Utc};
use polars::prelude::{
    BooleanChunked, Column, DataFrame, DataType, Field, Float64Chunked, Int64Chunked, IntoColumn, IntoSeries,
    NewChunkedArray, PlSmallStr, Schema, StringChunked, TimeUnit, TimeZone,
};
use rdpdiag_schemas::tables::{ColumnType, TableSpec};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Str(Option<String>),
    /// Integer.
    Int(Option<i64>),
    /// Float.
    Float(Option<f64>),
    /// Boolean.
    Bool(Option<bool>),
    /// Instant in UTC.
    Time(Option<DateTime<Utc>>),
}

impl Value {
    fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Int(_) => "int64",
            Value::Float(_) => "float64",
            Value::Bool(_) => "boolean",
            Value::Time(_) => "timestamp-ms-utc",
        }
    }

    fn is_null(&self) -> bool {
        match self {
            Value::Str(v) => v.is_none(),
            Value::Int(v) => v.is_none(),
            Value::Float(v) => v.is_none(),
            Value::Bool(v) => v.is_none(),
            Value::Time(v) => v.is_none(),
        }
    }
}

/// Text cell.
pub fn s(v: impl Into<String>) -> Value {
    Value::Str(Some(v.into()))
}

/// Optional text cell.
pub fn os<T: Into<String>>(v: Option<T>) -> Value {
    Value::Str(v.map(Into::into))
}

/// Integer cell (counts are `usize` in the report; they fit in `i64`).
pub fn int(v: impl TryInto<i64>) -> Value {
    Value::Int(v.try_into().ok())
}

/// One row: (column name, value) in the table's column order.
pub type Row = Vec<(&'static str, Value)>;

/// A row that does not fit its table's spec (a bug in the row builder).
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// Column count, name, type or nullability differs from the spec.
    #[error("table {table}: {message}")]
    Spec {
        /// Table.
        table: &'static str,
        /// What differs.
        message: String,
    },
    /// polars refused the columns.
    #[error("table {table}: {source}")]
    Polars {
        /// Table.
        table: &'static str,
        /// polars' error.
        source: polars::error::PolarsError,
    },
}

#[derive(Debug)]
enum ColumnData {
    Str(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Time(Vec<Option<i64>>),
}

impl ColumnData {
    fn new(ty: ColumnType) -> Self {
        match ty {
            ColumnType::String => ColumnData::Str(Vec::new()),
            ColumnType::Int64 => ColumnData::Int(Vec::new()),
            ColumnType::Float64 => ColumnData::Float(Vec::new()),
            ColumnType::Boolean => ColumnData::Bool(Vec::new()),
            ColumnType::TimestampMsUtc => ColumnData::Time(Vec::new()),
        }
    }

    fn push(&mut self, v: Value) -> Result<(), String> {
        match (self, v) {
            (ColumnData::Str(c), Value::Str(v)) => c.push(v),
            (ColumnData::Int(c), Value::Int(v)) => c.push(v),
            (ColumnData::Float(c), Value::Float(v)) => c.push(v),
            (ColumnData::Bool(c), Value::Bool(v)) => c.push(v),
            (ColumnData::Time(c), Value::Time(v)) => c.push(v.map(|t| t.timestamp_millis())),
            (_, v) => return Err(format!("got a {} value", v.type_name())),
        }
        Ok(())
    }

    fn clear(&mut self) {
        match self {
            ColumnData::Str(c) => c.clear(),
            ColumnData::Int(c) => c.clear(),
            ColumnData::Float(c) => c.clear(),
            ColumnData::Bool(c) => c.clear(),
            ColumnData::Time(c) => c.clear(),
        }
    }

    fn column(&self, name: &str, for_csv: bool) -> Column {
        let name = PlSmallStr::from(name);
        match self {
            ColumnData::Str(c) => StringChunked::from_iter_options(name, c.iter().map(|v| v.as_deref()))
                .into_series()
                .into_column(),
            ColumnData::Int(c) => Int64Chunked::from_iter_options(name, c.iter().copied())
                .into_series()
                .into_column(),
            ColumnData::Float(c) => Float64Chunked::from_iter_options(name, c.iter().copied())
                .into_series()
                .into_column(),
            ColumnData::Bool(c) => BooleanChunked::from_iter_options(name, c.iter().copied())
                .into_series()
                .into_column(),
            // CSV gets ISO 8601 text: polars formats zoned datetimes only with its `timezones`
            // feature (chrono-tz), which this build leaves out.
            ColumnData::Time(c) if for_csv => StringChunked::from_iter_options(
                name,
                c.iter()
                    .map(|v| v.and_then(iso_millis))
                    .collect::<Vec<_>>()
                    .into_iter(),
            )
            .into_series()
            .into_column(),
            ColumnData::Time(c) => Int64Chunked::from_iter_options(name, c.iter().copied())
                .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
                .into_series()
                .into_column(),
        }
    }
}

fn iso_millis(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// The polars type of a column type (`for_csv`: timestamps become text).
pub fn dtype(ty: ColumnType, for_csv: bool) -> DataType {
    match ty {
        ColumnType::String => DataType::String,
        ColumnType::Int64 => DataType::Int64,
        ColumnType::Float64 => DataType::Float64,
        ColumnType::Boolean => DataType::Boolean,
        ColumnType::TimestampMsUtc if for_csv => DataType::String,
        ColumnType::TimestampMsUtc => DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)),
    }
}

/// The polars schema of a table.
pub fn schema(spec: &TableSpec, for_csv: bool) -> Schema {
    spec.columns
        .iter()
        .map(|c| Field::new(PlSmallStr::from(c.name), dtype(c.ty, for_csv)))
        .collect()
}

/// Rows of one table held until they are written (bounded by the caller's flush threshold).
#[derive(Debug)]
pub struct TableBuffer {
    spec: TableSpec,
    columns: Vec<ColumnData>,
    rows: usize,
}

impl TableBuffer {
    /// An empty buffer for `spec`.
    pub fn new(spec: TableSpec) -> Self {
        TableBuffer {
            spec,
            columns: spec.columns.iter().map(|c| ColumnData::new(c.ty)).collect(),
            rows: 0,
        }
    }

    /// The table's spec.
    pub fn spec(&self) -> &TableSpec {
        &self.spec
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// No rows held.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Checks a row against the spec without adding it.
    pub fn check(&self, row: &Row) -> Result<(), TableError> {
        let err = |message: String| TableError::Spec {
            table: self.spec.name,
            message,
        };
        if row.len() != self.spec.columns.len() {
            return Err(err(format!(
                "row has {} values, the table {} columns",
                row.len(),
                self.spec.columns.len()
            )));
        }
        for ((name, v), c) in row.iter().zip(self.spec.columns) {
            if *name != c.name {
                return Err(err(format!("value for {name:?} where {:?} belongs", c.name)));
            }
            if v.is_null() && !c.nullable {
                return Err(err(format!("null in non-nullable column {:?}", c.name)));
            }
            let fits = matches!(
                (c.ty, v),
                (ColumnType::String, Value::Str(_))
                    | (ColumnType::Int64, Value::Int(_))
                    | (ColumnType::Float64, Value::Float(_))
                    | (ColumnType::Boolean, Value::Bool(_))
                    | (ColumnType::TimestampMsUtc, Value::Time(_))
            );
            if !fits {
                return Err(err(format!("column {:?} got a {} value", c.name, v.type_name())));
            }
        }
        Ok(())
    }

    /// Adds a row after checking it.
    pub fn push(&mut self, row: Row) -> Result<(), TableError> {
        self.check(&row)?;
        for ((name, v), data) in row.into_iter().zip(self.columns.iter_mut()) {
            data.push(v).map_err(|m| TableError::Spec {
                table: self.spec.name,
                message: format!("column {name:?}: {m}"),
            })?;
        }
        self.rows += 1;
        Ok(())
    }

    /// The rows held as a DataFrame (`for_csv`: timestamps as ISO 8601 text).
    pub fn frame(&self, for_csv: bool) -> Result<DataFrame, TableError> {
        let columns: Vec<Column> = self
            .spec
            .columns
            .iter()
            .zip(&self.columns)
            .map(|(c, d)| d.column(c.name, for_csv))
            .collect();
        DataFrame::new(self.rows, columns).map_err(|source| TableError::Polars {
            table: self.spec.name,
            source,
        })
    }

    /// Forgets the rows held (after they were written).
    pub fn clear(&mut self) {
        self.columns.iter_mut().for_each(ColumnData::clear);
        self.rows = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdpdiag_schemas::tables::{ERRORS, tables};

    fn error_row() -> Row {
        vec![
            ("ticket_id", s("t1")),
            ("ticket_path", s("/in/t1")),
            ("file", s("/in/t1/a.zip")),
            ("location", os(None::<String>)),
            ("reason", s("bad")),
            ("fatal", Value::Bool(Some(true))),
        ]
    }

    #[test]
    fn frames_follow_the_spec() {
        for spec in tables() {
            let b = TableBuffer::new(spec);
            for for_csv in [false, true] {
                let df = b.frame(for_csv).unwrap();
                assert_eq!(df.height(), 0);
                let got: Vec<(String, DataType)> = df
                    .schema()
                    .iter()
                    .map(|(n, t)| (n.to_string(), t.clone()))
                    .collect();
                let want: Vec<(String, DataType)> = spec
                    .columns
                    .iter()
                    .map(|c| (c.name.to_string(), dtype(c.ty, for_csv)))
                    .collect();
                assert_eq!(got, want, "{}", spec.name);
            }
        }
    }

    #[test]
    fn rows_that_break_the_spec_are_refused() {
        let mut b = TableBuffer::new(ERRORS);
        b.push(error_row()).unwrap();
        let mut wrong_name = error_row();
        wrong_name[1].0 = "path";
        assert!(b.push(wrong_name).is_err());
        let mut null = error_row();
        null[4].1 = os(None::<String>);
        assert!(b.push(null).is_err());
        let mut wrong_type = error_row();
        wrong_type[5].1 = int(1);
        assert!(b.push(wrong_type).is_err());
        let mut short = error_row();
        short.pop();
        assert!(b.push(short).is_err());
        assert_eq!(b.len(), 1);
        assert_eq!(b.frame(false).unwrap().height(), 1);
        b.clear();
        assert!(b.is_empty());
    }

    #[test]
    fn timestamps_are_utc_millis_and_iso_text_in_csv() {
        assert_eq!(iso_millis(0).as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(
            iso_millis(1_772_360_100_123).as_deref(),
            Some("2026-03-01T10:15:00.123Z")
        );
    }
}
