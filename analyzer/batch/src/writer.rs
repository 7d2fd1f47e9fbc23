//! Streaming the tables to disk, in a hive-style layout that Spark, DuckDB and polars read as
//! one dataset (`shard` is the partition column, taken from the folder name):
//!
//! ```text
//! OUTDIR/<table>/shard=<K>/part-00000.parquet
//! OUTDIR/csv/<table>/shard=<K>/part-00000.csv
//! ```
//!
//! Rows are buffered for [`WriterLimits::flush_tickets`] tickets (or [`FLUSH_ROWS`] rows in one
//! table) and written as one Parquet row group per table. A Parquet footer holds the metadata
//! of every row group of its file, so a shard starts a new part (`part-00001` ...) every
//! [`WriterLimits::part_tickets`] tickets: memory stays bounded however many tickets there are.
//! Parts are written under a hidden temporary name (`.part-00000.parquet.tmp`: ignored by
//! dataset readers) and renamed when complete, so a reader never sees half a file.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use polars::io::csv::write::BatchedWriter as CsvBatched;
use polars::io::parquet::write::BatchedWriter as ParquetBatched;
use polars::prelude::{CsvWriter, ParquetWriter, SerWriter};
use rdpdiag_schemas::tables::tables;

use super::rows::TicketRows;
use super::tables::{Row, TableBuffer, TableError, schema};
use super::ticket::Shard;

/// Rows buffered in one table before it writes a row group anyway (tickets with very many
/// attempts or findings).
pub const FLUSH_ROWS: usize = 16_384;

/// When row groups and parts end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterLimits {
    /// Tickets whose rows are buffered before every table writes a row group: small enough
    /// that a batch of a few hundred tickets reaches its steady memory use, large enough for
    /// row groups of a useful size.
    pub flush_tickets: usize,
    /// Tickets per part file.
    pub part_tickets: usize,
}

impl Default for WriterLimits {
    fn default() -> Self {
        WriterLimits {
            flush_tickets: 128,
            part_tickets: 2048,
        }
    }
}

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

/// Folder of a table's parts in a shard (`csv`: the CSV copy).
pub fn part_dir(out_dir: &Path, table: &str, shard: Shard, csv: bool) -> PathBuf {
    let base = if csv {
        out_dir.join("csv").join(table)
    } else {
        out_dir.join(table)
    };
    base.join(format!("shard={}", shard.index))
}

/// Part `index` of a table in a shard.
pub fn part_path(out_dir: &Path, table: &str, shard: Shard, csv: bool, index: u32) -> PathBuf {
    let ext = if csv { "csv" } else { "parquet" };
    part_dir(out_dir, table, shard, csv).join(format!("part-{index:05}.{ext}"))
}

fn tmp_of(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    final_path.with_file_name(format!(".{name}.tmp"))
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn polars_err(path: &Path) -> impl FnOnce(polars::error::PolarsError) -> WriteError + '_ {
    move |source| WriteError::Polars {
        path: path.display().to_string(),
        source,
    }
}

fn create(path: &Path) -> Result<File, WriteError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    // Unbuffered: both writers hand the file whole pages or batches, and a `BufWriter` would
    // lose a write error when dropped.
    File::create(path).map_err(io_err(path))
}

/// Renames a finished part over an old one (Windows' rename does not replace).
fn publish(tmp: &Path, final_path: &Path) -> Result<(), WriteError> {
    if std::fs::rename(tmp, final_path).is_ok() {
        return Ok(());
    }
    let _ = std::fs::remove_file(final_path);
    std::fs::rename(tmp, final_path).map_err(io_err(final_path))
}

/// Removes the parts a previous run of this shard left (a re-run must not keep stale parts
/// beyond the ones it writes).
fn remove_old_parts(dir: &Path) -> Result<(), WriteError> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("part-") || name.starts_with(".part-") {
            std::fs::remove_file(e.path()).map_err(io_err(&e.path()))?;
        }
    }
    Ok(())
}

/// The files of the part being written.
struct OpenPart {
    parquet: ParquetBatched<File>,
    parquet_path: PathBuf,
    csv: Option<(CsvBatched<File>, PathBuf)>,
}

/// One table of one shard.
struct TableWriter {
    buffer: TableBuffer,
    out_dir: PathBuf,
    shard: Shard,
    with_csv: bool,
    open: Option<OpenPart>,
    rows_written: u64,
}

impl TableWriter {
    fn open(&mut self, index: u32) -> Result<(), WriteError> {
        let spec = *self.buffer.spec();
        let parquet_path = part_path(&self.out_dir, spec.name, self.shard, false, index);
        let tmp = tmp_of(&parquet_path);
        let parquet = ParquetWriter::new(create(&tmp)?)
            .set_parallel(false)
            .batched(&schema(&spec, false))
            .map_err(polars_err(&tmp))?;
        let csv = if self.with_csv {
            let path = part_path(&self.out_dir, spec.name, self.shard, true, index);
            let tmp = tmp_of(&path);
            let w = CsvWriter::new(create(&tmp)?)
                .include_header(true)
                .n_threads(1)
                .batched(&schema(&spec, true))
                .map_err(polars_err(&tmp))?;
            Some((w, path))
        } else {
            None
        };
        self.open = Some(OpenPart {
            parquet,
            parquet_path,
            csv,
        });
        Ok(())
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
        let Some(open) = &mut self.open else {
            return Ok(());
        };
        let df = self.buffer.frame(false)?;
        open.parquet
            .write_batch(&df)
            .map_err(polars_err(&open.parquet_path))?;
        if let Some((w, path)) = &mut open.csv {
            let df = self.buffer.frame(true)?;
            w.write_batch(&df).map_err(polars_err(path))?;
        }
        self.rows_written += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// Writes what is buffered, closes the part and gives it its final name.
    fn close(&mut self) -> Result<(), WriteError> {
        self.flush()?;
        let Some(mut open) = self.open.take() else {
            return Ok(());
        };
        open.parquet.finish().map_err(polars_err(&open.parquet_path))?;
        let mut renames = vec![(tmp_of(&open.parquet_path), open.parquet_path.clone())];
        if let Some((w, path)) = &mut open.csv {
            w.finish().map_err(polars_err(path))?;
            renames.push((tmp_of(path), path.clone()));
        }
        // Close the files before renaming (Windows cannot rename an open file).
        drop(open);
        for (tmp, path) in renames {
            publish(&tmp, &path)?;
        }
        Ok(())
    }
}

impl Drop for TableWriter {
    fn drop(&mut self) {
        // A part still open here was not finished (an error): remove its temporary files.
        if let Some(open) = self.open.take() {
            let mut tmps = vec![tmp_of(&open.parquet_path)];
            if let Some((_, path)) = &open.csv {
                tmps.push(tmp_of(path));
            }
            drop(open);
            for t in tmps {
                let _ = std::fs::remove_file(t);
            }
        }
    }
}

/// The five tables of one shard, being written.
pub struct DatasetWriter {
    tables: Vec<TableWriter>,
    limits: WriterLimits,
    part: u32,
    tickets_buffered: usize,
    tickets_in_part: usize,
}

impl std::fmt::Debug for DatasetWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetWriter")
            .field("limits", &self.limits)
            .field("part", &self.part)
            .finish_non_exhaustive()
    }
}

impl DatasetWriter {
    /// Removes this shard's old parts and opens part 0 of every table.
    pub fn create(
        out_dir: &Path,
        shard: Shard,
        with_csv: bool,
        limits: WriterLimits,
    ) -> Result<Self, WriteError> {
        let mut tables_ = Vec::new();
        for spec in tables() {
            remove_old_parts(&part_dir(out_dir, spec.name, shard, false))?;
            remove_old_parts(&part_dir(out_dir, spec.name, shard, true))?;
            let mut t = TableWriter {
                buffer: TableBuffer::new(spec),
                out_dir: out_dir.to_path_buf(),
                shard,
                with_csv,
                open: None,
                rows_written: 0,
            };
            t.open(0)?;
            tables_.push(t);
        }
        Ok(DatasetWriter {
            tables: tables_,
            limits: WriterLimits {
                flush_tickets: limits.flush_tickets.max(1),
                part_tickets: limits.part_tickets.max(1),
            },
            part: 0,
            tickets_buffered: 0,
            tickets_in_part: 0,
        })
    }

    /// Adds a ticket's rows; writes a row group every `flush_tickets` tickets and starts a new
    /// part every `part_tickets` tickets.
    pub fn add(&mut self, rows: TicketRows) -> Result<(), WriteError> {
        if self.tables.iter().any(|t| t.open.is_none()) {
            self.part += 1;
            for t in &mut self.tables {
                t.open(self.part)?;
            }
        }
        let TicketRows {
            tickets,
            attempts,
            findings,
            evidence,
            errors,
        } = rows;
        for (t, rows) in self
            .tables
            .iter_mut()
            .zip([tickets, attempts, findings, evidence, errors])
        {
            t.push(rows)?;
        }
        self.tickets_buffered += 1;
        self.tickets_in_part += 1;
        if self.tickets_in_part >= self.limits.part_tickets {
            for t in &mut self.tables {
                t.close()?;
            }
            self.tickets_in_part = 0;
            self.tickets_buffered = 0;
        } else if self.tickets_buffered >= self.limits.flush_tickets {
            for t in &mut self.tables {
                t.flush()?;
            }
            self.tickets_buffered = 0;
        }
        Ok(())
    }

    /// Writes what is buffered and closes the parts. Returns the rows written per table.
    pub fn finish(mut self) -> Result<BTreeMap<String, u64>, WriteError> {
        let mut rows = BTreeMap::new();
        for t in &mut self.tables {
            t.close()?;
            rows.insert(t.buffer.spec().name.to_string(), t.rows_written);
        }
        Ok(rows)
    }
}
