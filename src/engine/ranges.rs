//! How a Parquet scan of a table's files is shared among the cores.
//!
//! A scan whose rows need no order is cut into pieces that idle cores take from busy ones
//! (DataFusion alone cuts a scan into one byte range per core, and a core whose range the filters
//! prune sits idle). With a filter, the pieces are the row groups its statistics may match, one
//! each: DataFusion would open every byte range of the file to find them (about 0.1 ms a range,
//! 65 ranges for one indicator's file). Without one, they are ranges of about [`RANGE_BYTES`].
//! A scan that yields rows in the declared order is left whole: DataFusion cannot tell that
//! pieces of one file follow each other, and would sort again.
use std::sync::Arc;

use datafusion::catalog::Session;
use datafusion::common::{DFSchema, Result};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::datasource::physical_plan::parquet::{
    ParquetAccessPlan, ParquetFileMetrics, RowGroupAccessPlanFilter,
};
use datafusion::datasource::physical_plan::{FileGroup, FileGroupPartitioner, FileScanConfig, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::Expr;
use datafusion::physical_optimizer::pruning::PruningPredicateBuilder;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::ExecutionPlan;

/// The size of a byte range: about one compressed row group of `chiso generate`'s default layout.
const RANGE_BYTES: u64 = 256 * 1024;
/// At most this many pieces per core: opening one costs about 0.1–0.2 ms.
const MAX_PIECES_PER_CORE: usize = 32;

/// `plan`, when it is a Parquet scan whose rows need no order, with its files cut into pieces
/// (see the module's documentation) dealt among the cores, which take pieces from each other.
/// `filters` are those the scan was asked for (DataFusion hands them to the Parquet reader only
/// later, when it optimizes the whole plan).
pub async fn share(
    plan: Arc<dyn ExecutionPlan>,
    state: &dyn Session,
    filters: &[Expr],
) -> Result<Arc<dyn ExecutionPlan>> {
    let Some(exec) = plan.downcast_ref::<DataSourceExec>() else { return Ok(plan) };
    let Some(config) = exec.data_source().downcast_ref::<FileScanConfig>() else { return Ok(plan) };
    if exec.properties().output_ordering().is_some() {
        return Ok(plan);
    }
    let partitions = state.config_options().execution.target_partitions.max(1);
    let pieces = match row_groups(config, state, filters, partitions).await? {
        Some(pieces) if pieces.is_empty() => return Ok(Arc::new(EmptyExec::new(exec.schema()))),
        Some(pieces) => pieces,
        None => match byte_ranges(config, state, partitions) {
            Some(pieces) => pieces,
            None => return Ok(plan),
        },
    };
    let per_group = pieces.len().div_ceil(partitions).max(1);
    let mut config = config.clone();
    // A declared sort order alone keeps each piece in its partition (no stealing), even when, as
    // here, the columns read do not start with its first column and so have no order to keep.
    config.preserve_order = false;
    config.file_groups = pieces.chunks(per_group).map(|c| FileGroup::new(c.to_vec())).collect();
    Ok(DataSourceExec::from_data_source(config))
}

/// The files of `config` cut into ranges of about [`RANGE_BYTES`], by DataFusion's own cutting;
/// `None` when it leaves them whole (files smaller than its minimum size to split).
fn byte_ranges(
    config: &FileScanConfig,
    state: &dyn Session,
    partitions: usize,
) -> Option<Vec<PartitionedFile>> {
    let options = state.config_options();
    let bytes: u64 = config.file_groups.iter().flat_map(FileGroup::iter).map(|f| f.effective_size()).sum();
    let ranges = usize::try_from(bytes / RANGE_BYTES).unwrap_or(usize::MAX);
    let pieces = FileGroupPartitioner::new()
        .with_target_partitions(ranges.clamp(partitions, partitions * MAX_PIECES_PER_CORE))
        .with_repartition_file_min_size(options.optimizer.repartition_file_min_size)
        .repartition_file_groups(&config.file_groups)?;
    Some(pieces.into_iter().flat_map(FileGroup::into_inner).collect())
}

/// The row groups of `config`'s files that its filter may match by their statistics, one piece
/// each (runs of them merged when there are more than the cores take); `None` when the scan has
/// no filter the statistics can judge. The footers read are kept in the session's metadata
/// cache, where the scan finds them again.
async fn row_groups(
    config: &FileScanConfig,
    state: &dyn Session,
    filters: &[Expr],
    partitions: usize,
) -> Result<Option<Vec<PartitionedFile>>> {
    let Some(source) = config.file_source().downcast_ref::<ParquetSource>() else { return Ok(None) };
    // The scan's filters may name their table; the file schema does not.
    let Some(filter) = conjunction(filters.iter().cloned().map(unnormalize_col)) else { return Ok(None) };
    let schema = config.file_schema();
    // A filter the reader cannot judge by statistics leaves the cutting to byte ranges.
    let Ok(filter) = state.create_physical_expr(filter, &DFSchema::try_from(Arc::clone(schema))?) else {
        return Ok(None);
    };
    let builder = PruningPredicateBuilder::new()
        .with_file_schema(Arc::clone(schema))
        .with_max_in_list_size(source.max_in_list_size());
    // None when the statistics cannot judge the filter (it holds for every row group).
    let Some(predicate) = builder.build(filter) else { return Ok(None) };
    let runtime = state.runtime_env();
    let store = runtime.object_store(&config.object_store_url)?;
    let cache = runtime.cache_manager.get_file_metadata_cache();
    let metrics = ExecutionPlanMetricsSet::new();
    let mut groups: Vec<(PartitionedFile, i64, i64)> = Vec::new();
    for file in config.file_groups.iter().flat_map(FileGroup::iter) {
        let metadata = DFParquetMetadata::new(store.as_ref(), &file.object_meta)
            .with_file_metadata_cache(Some(Arc::clone(&cache)))
            .fetch_metadata()
            .await?;
        let row_groups = metadata.row_groups();
        let mut access = RowGroupAccessPlanFilter::new(ParquetAccessPlan::new_all(row_groups.len()));
        let name = file.object_meta.location.to_string();
        access.prune_by_statistics(
            schema,
            metadata.file_metadata().schema_descr(),
            row_groups,
            &predicate,
            &ParquetFileMetrics::new(0, &name, &metrics),
        );
        for i in access.row_group_indexes() {
            // DataFusion reads a row group in the range that holds its first page.
            let column = row_groups[i].column(0);
            let start = column.dictionary_page_offset().unwrap_or_else(|| column.data_page_offset());
            let end = start + row_groups[i].compressed_size();
            groups.push((file.clone(), start, end));
        }
    }
    // Too many pieces cost more to open than they save: runs of neighbours in one file are
    // merged (a row group between them that cannot match is pruned again when the piece opens).
    let cap = partitions * MAX_PIECES_PER_CORE;
    let mut pieces: Vec<PartitionedFile> = Vec::new();
    let per_piece = groups.len().div_ceil(cap).max(1);
    let mut i = 0;
    while i < groups.len() {
        let (file, start, mut end) = groups[i].clone();
        let mut j = i + 1;
        while j < groups.len()
            && j - i < per_piece
            && groups[j].0.object_meta.location == file.object_meta.location
        {
            end = groups[j].2;
            j += 1;
        }
        pieces.push(file.with_range(start, end));
        i = j;
    }
    Ok(Some(pieces))
}
