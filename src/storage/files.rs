//! Local files, in one place. Every file and directory chiso writes on local disk outside a Delta
//! table's commits (a new warehouse directory, exports, `--out` results, charts) is made under a
//! hidden temporary name beside its target (`.chiso-XXXXXX.tmp`, with the target's extension
//! after it), synced, and renamed into place, so it appears complete or not at all; an unpublished
//! one is removed when dropped. The data files of tables are written by `delta`, which takes
//! [`ParquetSettings`]. Also here: the one overwrite check, and the one description of how chiso
//! writes Parquet ([`ParquetSettings`], [`ParquetFile`]).
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::config::TableParquetOptions;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::metadata::SortingColumn;
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};

use super::store::{place, Place};
use super::text;
use crate::error::{Error, Result};

/// Refuse an output `path` that is already there, unless `overwrite`.
pub fn check_free(path: &Path, overwrite: bool) -> Result<()> {
    if path.exists() && !overwrite {
        return Err(Error::Exists { path: path.to_path_buf() });
    }
    Ok(())
}

/// The directory `path` is in (`.` for a bare file name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Flush a directory's entries (the renames in it) to disk.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io(dir, "sync", e))
}

/// A file being written. It becomes its target, in one rename, when [`NewFile::publish`]ed.
pub struct NewFile {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl NewFile {
    /// Start a file that will become `target`, in `target`'s directory (which must exist).
    pub fn create(target: &Path) -> Result<Self> {
        if place(target)? != Place::Local {
            let problem =
                "results are written to local files; tables go to object storage by build or ingest";
            return Err(Error::Usage(format!("{}: {problem}", target.display())));
        }
        if target.is_dir() {
            return Err(Error::Usage(format!("{}: is a directory; give a file name", target.display())));
        }
        let dir = parent_of(target);
        // The target's extension stays last: some writers (plotters) choose the format by it.
        let suffix = match target.extension() {
            Some(ext) => format!(".tmp.{}", ext.to_string_lossy()),
            None => ".tmp".to_string(),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".chiso-")
            .suffix(&suffix)
            .tempfile_in(&dir)
            .map_err(|e| Error::io(target, "write", e))?;
        Ok(Self { tmp, target: target.to_path_buf() })
    }

    /// The temporary path the bytes go to until the file is published.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// The path the file will have.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// A second handle on the temporary file, for a writer that wants to own one.
    pub fn handle(&self) -> Result<File> {
        self.tmp.as_file().try_clone().map_err(|e| Error::io(&self.target, "write", e))
    }

    /// Make the file its target: usual permissions, synced, renamed over any old file, the
    /// directory synced.
    pub fn publish(self) -> Result<()> {
        let target = self.target;
        let fail = |e| Error::io(&target, "write", e);
        public(self.tmp.as_file()).map_err(fail)?;
        self.tmp.as_file().sync_all().map_err(fail)?;
        self.tmp.persist(&target).map_err(|e| fail(e.error))?;
        sync_dir(&parent_of(&target))
    }
}

/// Write `bytes` as the file `target`, atomically.
pub fn write_file(target: &Path, bytes: &[u8]) -> Result<()> {
    let new = NewFile::create(target)?;
    new.tmp.as_file().write_all(bytes).map_err(|e| Error::io(target, "write", e))?;
    new.publish()
}

/// Give a finished file the usual permissions (the temporary file it starts as is private).
fn public(file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// A directory being written. It becomes its target, in one rename, when [`NewDir::publish`]ed;
/// dropped unpublished, it is removed with what it holds.
pub struct NewDir {
    tmp: tempfile::TempDir,
    target: PathBuf,
}

/// What [`NewDir::publish`] does when its target already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Replace the old directory.
    Replace,
    /// Keep the old directory and drop the new one (another process made the same thing).
    Keep,
}

impl NewDir {
    /// Start a directory that will become `target`; `target`'s parent is created if missing.
    pub fn create(target: &Path) -> Result<Self> {
        let dir = parent_of(target);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create", e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".chiso-")
            .suffix(".tmp")
            .tempdir_in(&dir)
            .map_err(|e| Error::io(target, "write", e))?;
        Ok(Self { tmp, target: target.to_path_buf() })
    }

    /// The temporary directory to fill.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Move the finished directory to its target. An old target is moved aside and removed
    /// ([`IfExists::Replace`]) or kept, this one dropped ([`IfExists::Keep`]). Returns whether
    /// this directory is now the target.
    pub fn publish(self, if_exists: IfExists) -> Result<bool> {
        let target = self.target.clone();
        if target.exists() && if_exists == IfExists::Keep {
            return Ok(false);
        }
        let dir = parent_of(&target);
        let new = self.tmp.keep();
        let moved = if target.exists() {
            let old = tempfile::Builder::new()
                .prefix(".chiso-")
                .suffix(".old")
                .tempdir_in(&dir)
                .map_err(|e| Error::io(&dir, "write to", e))?;
            // Renaming a directory over an empty one replaces it: the old target takes its place.
            let moved = std::fs::rename(&target, old.path())
                .map_err(|e| Error::io(&target, "replace", e))
                .and_then(|_| std::fs::rename(&new, &target).map_err(|e| Error::io(&target, "write", e)));
            drop(old);
            moved
        } else {
            std::fs::rename(&new, &target).map_err(|e| Error::io(&target, "write", e))
        };
        if let Err(e) = moved {
            let _ = std::fs::remove_dir_all(&new);
            // Another process published the same target at the same moment: theirs stands.
            return if if_exists == IfExists::Keep && target.is_dir() { Ok(false) } else { Err(e) };
        }
        sync_dir(&dir)?;
        Ok(true)
    }
}

/// How a Parquet file's pages are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// zstd at a level (1 fast to 22 small).
    Zstd(i32),
    /// Snappy.
    Snappy,
    /// No compression.
    Uncompressed,
}

/// How chiso writes Parquet: zstd level 3 and page-level statistics (so the page index) unless
/// told otherwise.
#[derive(Debug, Clone)]
pub struct ParquetSettings {
    /// Page compression.
    pub codec: Codec,
    /// Rows per row group (the writer's default when `None`).
    pub row_group_rows: Option<usize>,
    /// The columns the rows are sorted by, recorded in the file's metadata.
    pub sorted_by: Vec<SortingColumn>,
}

impl Default for ParquetSettings {
    fn default() -> Self {
        Self { codec: Codec::Zstd(3), row_group_rows: None, sorted_by: Vec::new() }
    }
}

impl ParquetSettings {
    /// The settings for arrow's Parquet writer.
    pub fn properties(&self) -> WriterProperties {
        let compression = match self.codec {
            Codec::Zstd(level) => Compression::ZSTD(ZstdLevel::try_new(level).unwrap_or_default()),
            Codec::Snappy => Compression::SNAPPY,
            Codec::Uncompressed => Compression::UNCOMPRESSED,
        };
        let mut builder = WriterProperties::builder()
            .set_compression(compression)
            .set_statistics_enabled(EnabledStatistics::Page);
        if let Some(n) = self.row_group_rows {
            builder = builder.set_max_row_group_row_count(Some(n));
        }
        if !self.sorted_by.is_empty() {
            builder = builder.set_sorting_columns(Some(self.sorted_by.clone()));
        }
        builder.build()
    }

    /// The same settings for DataFusion's own writers (partitioned output). The Arrow schema is
    /// left out, so readers take text as Parquet declares it (plain strings) rather than as the
    /// `Utf8View` the engine held it in.
    pub fn table_options(&self) -> TableParquetOptions {
        let mut options = TableParquetOptions::default();
        options.global.compression = Some(match self.codec {
            Codec::Zstd(level) => format!("zstd({level})"),
            Codec::Snappy => "snappy".into(),
            Codec::Uncompressed => "uncompressed".into(),
        });
        options.global.statistics_enabled = Some("page".into());
        options.global.skip_arrow_metadata = true;
        if let Some(n) = self.row_group_rows {
            options.global.max_row_group_size = n;
        }
        options
    }
}

/// A Parquet file being written with [`ParquetSettings`]; text views are written as plain `Utf8`
/// (see [`text`]), so readers without string-view support read every file chiso makes.
pub struct ParquetFile {
    writer: ArrowWriter<BufWriter<File>>,
    schema: SchemaRef,
    new: NewFile,
}

impl ParquetFile {
    /// Start the file `target` for rows of `schema`.
    pub fn create(target: &Path, schema: &Schema, settings: &ParquetSettings) -> Result<Self> {
        let new = NewFile::create(target)?;
        let schema = text::plain_schema(schema);
        let writer =
            ArrowWriter::try_new(BufWriter::new(new.handle()?), schema.clone(), Some(settings.properties()))?;
        Ok(Self { writer, schema, new })
    }

    /// Append one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        Ok(self.writer.write(&text::plain_batch(batch, &self.schema)?)?)
    }

    /// Bytes written so far (encoded pages; the footer comes at the end).
    pub fn bytes_written(&self) -> u64 {
        self.writer.bytes_written() as u64
    }

    /// Finish the file and publish it; returns its size in bytes.
    pub fn finish(self) -> Result<u64> {
        let target = self.new.target().to_path_buf();
        let mut sink = self.writer.into_inner()?;
        sink.flush().map_err(|e| Error::io(&target, "write", e))?;
        drop(sink);
        let size = std::fs::metadata(self.new.path())
            .map(|m| m.len())
            .map_err(|e| Error::io(&target, "write", e))?;
        self.new.publish()?;
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let new = NewFile::create(&target).unwrap();
        std::fs::write(new.path(), b"half").unwrap();
        assert!(!target.exists());
        drop(new);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the temporary file is removed");
        write_file(&target, b"a,b\n").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"a,b\n");
        assert!(matches!(check_free(&target, false), Err(Error::Exists { .. })));
        check_free(&target, true).unwrap();
    }

    #[test]
    fn a_directory_replaces_or_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("deep").join("wh");
        for (content, if_exists, published) in [
            ("one", IfExists::Keep, true),
            ("two", IfExists::Keep, false),
            ("three", IfExists::Replace, true),
        ] {
            let new = NewDir::create(&target).unwrap();
            std::fs::write(new.path().join("f"), content).unwrap();
            assert_eq!(new.publish(if_exists).unwrap(), published);
        }
        assert_eq!(std::fs::read_to_string(target.join("f")).unwrap(), "three");
        let left: Vec<_> = std::fs::read_dir(target.parent().unwrap()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "only the target is left: {left:?}");
    }
}
