//! Streaming the tables to disk: one Parquet part (and one CSV part) per table and shard, in a
//! hive-style layout that Spark, DuckDB and polars read as one dataset:
//!
//! ```text
//! OUTDIR/<table>/shard=<K>/part-00000.parquet
//! OUTDIR/csv/<table>/shard=<K>/part-00000.csv
//! ```
//!
//! Rows are buffered per table up to a threshold and written as one Parquet row group, so
//! memory stays bounded however many tickets there are. Parts are written under a hidden
//! temporary name (`.part-00000.parquet.tmp`: ignored by dataset readers) and renamed when
//! complete, so a reader never sees half a file and a re-run of the same shard replaces its part.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use polars::io::csv::write::BatchedWriter as CsvBatched;
use polars::io::parquet::write::BatchedWriter as ParquetBatched;
use polars::prelude::{CsvWriter, ParquetWriter, SerWriter};
use rdpdiag_schemas::tables::{TableSpec, tables};

use super::rows::TicketRows;
use super::tables::{Row, TableBuffer, TableError, schema};
use super::ticket::Shard;

/// Rows buffered per table before a row group is written.
pub const FLUSH_ROWS: usize = 8192;

/// File name of a shard's part.
pub const PART_NAME: &str = "part-00000";

/// Why the output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// File system.
    #[error("{path}: {source}")]
    Io {
        /// File or folder.
        path: String,
        /// Error.
        source: std::io::Error,
    },
    /// polars could not encode or write.
    #[error("{path}: {source}")]
    Polars {
        /// File.
        path: String,
        /// Error.
        source: polars::error::PolarsError,
    },
    /// A row did not fit its table (a bug).
    #[error(transparent)]
    Table(#[from] TableError),
}

/// The Parquet part of a table in a shard.
pub fn parquet_path(out_dir: &Path, table: &str, shard: Shard) -> PathBuf {
    out_dir
        .join(table)
        .join(format!("shard={}", shard.index))
        .join(format!("{PART_NAME}.parquet"))
}

/// The CSV part of a table in a shard.
pub fn csv_path(out_dir: &Path, table: &str, shard: Shard) -> PathBuf {
    out_dir
        .join("csv")
        .join(table)
        .join(format!("shard={}", shard.index))
        .join(format!("{PART_NAME}.csv"))
}

fn tmp_of(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    final_path.with_file_name(format!(".{name}.tmp"))
}

fn create(path: &Path) -> Result<File, WriteError> {
    let io = |source| WriteError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    // Unbuffered: both writers hand the file whole pages or batches, and a `BufWriter` would
    // lose a write error when dropped.
    File::create(path).map_err(io)
}

/// Renames a finished part over the old one (Windows' rename does not replace).
fn publish(tmp: &Path, final_path: &Path) -> Result<(), WriteError> {
    if std::fs::rename(tmp, final_path).is_ok() {
        return Ok(());
    }
    let _ = std::fs::remove_file(final_path);
    std::fs::rename(tmp, final_path).map_err(|source| WriteError::Io {
        path: final_path.display().to_string(),
        source,
    })
}

struct Part {
    buffer: TableBuffer,
    parquet: ParquetBatched<File>,
    parquet_path: PathBuf,
    csv: Option<(CsvBatched<File>, PathBuf)>,
    rows_written: u64,
    done: bool,
}

impl Part {
    fn create(out_dir: &Path, spec: TableSpec, shard: Shard, with_csv: bool) -> Result<Self, WriteError> {
        let parquet_path = parquet_path(out_dir, spec.name, shard);
        let tmp = tmp_of(&parquet_path);
        let parquet = ParquetWriter::new(create(&tmp)?)
            .set_parallel(false)
            .batched(&schema(&spec, false))
            .map_err(|source| WriteError::Polars {
                path: tmp.display().to_string(),
                source,
            })?;
        let csv = if with_csv {
            let path = csv_path(out_dir, spec.name, shard);
            let w = CsvWriter::new(create(&tmp_of(&path))?)
                .include_header(true)
                .n_threads(1)
                .batched(&schema(&spec, true))
                .map_err(|source| WriteError::Polars {
                    path: path.display().to_string(),
                    source,
                })?;
            Some((w, path))
        } else {
            None
        };
        Ok(Part {
            buffer: TableBuffer::new(spec),
            parquet,
            parquet_path,
            csv,
            rows_written: 0,
            done: false,
        })
    }

    fn push(&mut self, rows: Vec<Row>) -> Result<(), WriteError> {
        for r in rows {
            self.buffer.push(r)?;
        }
        if self.buffer.len() >= FLUSH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), WriteError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let err = |path: &Path| {
            let path = path.display().to_string();
            move |source| WriteError::Polars { path, source }
        };
        let df = self.buffer.frame(false)?;
        self.parquet.write_batch(&df).map_err(err(&self.parquet_path))?;
        if let Some((w, path)) = &mut self.csv {
            let df = self.buffer.frame(true)?;
            w.write_batch(&df).map_err(err(path))?;
        }
        self.rows_written += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    fn finish(&mut self) -> Result<u64, WriteError> {
        self.flush()?;
        let err = |path: &Path| {
            let path = path.display().to_string();
            move |source| WriteError::Polars { path, source }
        };
        self.parquet.finish().map_err(err(&self.parquet_path))?;
        if let Some((w, path)) = &mut self.csv {
            w.finish().map_err(err(path))?;
        }
        self.done = true;
        Ok(self.rows_written)
    }
}

/// The five tables of one shard, being written.
pub struct DatasetWriter {
    out_dir: PathBuf,
    shard: Shard,
    parts: Vec<Part>,
}

impl std::fmt::Debug for DatasetWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetWriter")
            .field("out_dir", &self.out_dir)
            .field("shard", &self.shard)
            .finish_non_exhaustive()
    }
}

impl DatasetWriter {
    /// Opens the temporary parts of every table for `shard`.
    pub fn create(out_dir: &Path, shard: Shard, with_csv: bool) -> Result<Self, WriteError> {
        let parts = tables()
            .into_iter()
            .map(|spec| Part::create(out_dir, spec, shard, with_csv))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DatasetWriter {
            out_dir: out_dir.to_path_buf(),
            shard,
            parts,
        })
    }

    /// Adds a ticket's rows (written once a table's buffer is full).
    pub fn add(&mut self, rows: TicketRows) -> Result<(), WriteError> {
        let TicketRows {
            tickets,
            attempts,
            findings,
            evidence,
            errors,
        } = rows;
        for (part, rows) in self
            .parts
            .iter_mut()
            .zip([tickets, attempts, findings, evidence, errors])
        {
            part.push(rows)?;
        }
        Ok(())
    }

    /// Writes what is buffered, closes every part and renames it to its final name. Returns
    /// the rows written per table.
    pub fn finish(mut self) -> Result<BTreeMap<String, u64>, WriteError> {
        let mut rows = BTreeMap::new();
        let mut renames = Vec::new();
        for part in &mut self.parts {
            rows.insert(part.buffer.spec().name.to_string(), part.finish()?);
            renames.push((tmp_of(&part.parquet_path), part.parquet_path.clone()));
            if let Some((_, path)) = &part.csv {
                renames.push((tmp_of(path), path.clone()));
            }
        }
        // Close the files before renaming (Windows cannot rename an open file).
        self.parts.clear();
        for (tmp, path) in renames {
            publish(&tmp, &path)?;
        }
        Ok(rows)
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(tmp_of(&self.parquet_path));
            if let Some((_, path)) = &self.csv {
                let _ = std::fs::remove_file(tmp_of(path));
            }
        }
    }
}
