//! Rows keep no order across a Ballista shuffle, so the plans the scheduler splits into stages
//! must not count on one.
//!
//! Over files sorted by a query's grouping or window keys, DataFusion plans hash repartitions
//! that keep each input's order (`RepartitionExec ... preserve_order=true`): in one process they
//! merge their sorted inputs, and the operators above them (a sorted aggregation, a window, the
//! final `SortPreservingMergeExec` of an `ORDER BY`) rely on it, without a sort of their own.
//! Ballista 55 turns each hash repartition into a shuffle whose reader concatenates the files of
//! the tasks before it: every file is sorted, their concatenation is not. Ballista sorts again
//! where an operator inside the next stage requires it, but not for the merge that reads the
//! stage after that, so `GROUP BY k ORDER BY k` came back as two sorted runs, one per task.
//!
//! [`unordered_shuffles`] turns those repartitions into plain ones and lets DataFusion's own
//! sort enforcement put a sort wherever an operator then misses its order.
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::physical_optimizer::enforce_sorting::{ensure_sorting, PlanWithCorrespondingSort};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, Partitioning};

/// `plan` with every order-keeping hash repartition made plain and a sort added wherever an
/// operator required the order it kept.
pub fn unordered_shuffles(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    let plain = plan.transform_up(|node| {
        let Some(repartition) = node.downcast_ref::<RepartitionExec>() else {
            return Ok(Transformed::no(node));
        };
        if !repartition.preserve_order() || !matches!(repartition.partitioning(), Partitioning::Hash(..)) {
            return Ok(Transformed::no(node));
        }
        let input = repartition.input().clone();
        let plain = RepartitionExec::try_new(input, repartition.partitioning().clone())?;
        Ok(Transformed::yes(Arc::new(plain) as Arc<dyn ExecutionPlan>))
    })?;
    if !plain.transformed {
        return Ok(plain.data);
    }
    let sorted = PlanWithCorrespondingSort::new_default(plain.data).transform_up(ensure_sorting)?;
    Ok(sorted.data.plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::config::ConfigOptions;
    use datafusion::datasource::file_format::parquet::ParquetFormat;
    use datafusion::datasource::listing::{
        ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
    };
    use datafusion::physical_optimizer::sanity_checker::SanityCheckPlan;
    use datafusion::physical_optimizer::PhysicalOptimizerRule;
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::{col, SessionConfig, SessionContext};

    /// A table of four Parquet files, each sorted by `k` and declared so, over two partitions.
    async fn sorted_table(dir: &std::path::Path) -> SessionContext {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, false),
            Field::new("v", DataType::Int64, false),
        ]));
        for (i, keys) in [["a", "b"], ["c", "d"], ["a", "b"], ["c", "d"]].iter().enumerate() {
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![Arc::new(StringArray::from(keys.to_vec())), Arc::new(Int64Array::from(vec![1, 2]))],
            )
            .unwrap();
            let file = std::fs::File::create(dir.join(format!("{i}.parquet"))).unwrap();
            let mut writer =
                datafusion::parquet::arrow::ArrowWriter::try_new(file, schema.clone(), None).unwrap();
            writer.write(&batch).unwrap();
            writer.close().unwrap();
        }
        let config = SessionConfig::new().with_target_partitions(2);
        let ctx = SessionContext::new_with_config(config);
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_file_sort_order(vec![vec![col("k").sort(true, false)]]);
        let url = ListingTableUrl::parse(dir.to_str().unwrap()).unwrap();
        let table = ListingTableConfig::new(url).with_listing_options(options).with_schema(schema);
        ctx.register_table("t", Arc::new(ListingTable::try_new(table).unwrap())).unwrap();
        ctx
    }

    /// The physical plan of `sql` over [`sorted_table`], and its text.
    async fn planned(ctx: &SessionContext, sql: &str) -> (Arc<dyn ExecutionPlan>, String) {
        let plan = ctx.sql(sql).await.unwrap().create_physical_plan().await.unwrap();
        let text = displayable(plan.as_ref()).indent(false).to_string();
        (plan, text)
    }

    #[tokio::test]
    async fn an_ordered_grouping_sorts_before_its_merge_instead_of_keeping_order_through_the_shuffle() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = sorted_table(dir.path()).await;
        let (plan, before) = planned(&ctx, "select k, count(*) n from t group by k order by k").await;
        // The shape the cluster got wrong: an order-keeping shuffle, and no sort under the merge.
        assert!(before.contains("preserve_order=true"), "{before}");
        assert!(!before.contains("SortExec"), "{before}");

        let after = unordered_shuffles(plan).unwrap();
        let text = displayable(after.as_ref()).indent(false).to_string();
        assert!(!text.contains("preserve_order=true"), "{text}");
        let merge = text.find("SortPreservingMergeExec").unwrap();
        let sort = text.find("SortExec: expr=[k@0 ASC NULLS LAST], preserve_partitioning=[true]").unwrap();
        let repartition = text.find("RepartitionExec").unwrap();
        assert!(
            merge < sort && sort < repartition,
            "the sort is not between the merge and the shuffle:\n{text}"
        );
        // Every operator's required order and distribution holds (DataFusion's own check).
        SanityCheckPlan::new().optimize(after.clone(), &ConfigOptions::new()).unwrap();
        let rows = datafusion::physical_plan::collect(after, ctx.task_ctx()).await.unwrap();
        let keys: Vec<String> = rows
            .iter()
            .flat_map(|b| {
                let k = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
                k.iter().map(|s| s.unwrap().to_string()).collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(keys, ["a", "b", "c", "d"]);
    }

    #[tokio::test]
    async fn a_plan_without_order_kept_through_a_shuffle_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = sorted_table(dir.path()).await;
        let (plan, before) = planned(&ctx, "select v, count(*) n from t group by v order by v").await;
        assert!(!before.contains("preserve_order=true"), "{before}");
        let after = unordered_shuffles(plan.clone()).unwrap();
        assert!(Arc::ptr_eq(&plan, &after));
    }
}
