//! A query abandoned by its client is cancelled on the cluster. Ballista's client stops asking
//! for a job's results when its stream is dropped (a `--timeout`, an error elsewhere in the
//! command), but the job itself runs on. [`CancelOnDrop`] wraps the root of a plan the cluster
//! runs; when its stream is dropped before its end, the scheduler is asked to cancel the job,
//! and its executors stop its tasks.
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::protobuf::CancelJobParams;
use ballista_core::utils::create_grpc_client_endpoint;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use datafusion_proto::protobuf::LogicalPlanNode;
use futures::StreamExt;

use super::Address;

/// How long a cancellation may take before the client gives up on it.
const PATIENCE: Duration = Duration::from_secs(3);

/// The root of a plan the cluster runs: its job is cancelled if its results are abandoned.
#[derive(Debug)]
pub struct CancelOnDrop {
    /// Ballista's `DistributedQueryExec`, which learns the job's id when it is submitted.
    input: Arc<dyn ExecutionPlan>,
    scheduler: Address,
}

impl CancelOnDrop {
    /// Wrap `plan` when it is a job for the scheduler at `scheduler`; other plans (those Ballista
    /// answers in this process) are returned as they are.
    pub fn wrap(plan: Arc<dyn ExecutionPlan>, scheduler: &Address) -> Arc<dyn ExecutionPlan> {
        if plan.downcast_ref::<DistributedQueryExec<LogicalPlanNode>>().is_none() {
            return plan;
        }
        Arc::new(Self { input: plan, scheduler: scheduler.clone() })
    }
}

impl DisplayAs for CancelOnDrop {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "CancelOnDrop: scheduler={}", self.scheduler)
    }
}

impl ExecutionPlan for CancelOnDrop {
    fn name(&self) -> &str {
        "CancelOnDrop"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(Self { input, scheduler: self.scheduler.clone() })),
            _ => Err(DataFusionError::Internal("CancelOnDrop has exactly one input".into())),
        }
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let inner = self.input.execute(partition, context)?;
        let schema = inner.schema();
        let open = Arc::new(AtomicBool::new(true));
        let job = Job { plan: self.input.clone(), scheduler: self.scheduler.clone(), open: open.clone() };
        // A job whose stream failed has ended on the cluster already; one read to its end is done.
        let inner = inner.inspect(move |item| {
            if item.is_err() {
                open.store(false, Ordering::Relaxed);
            }
        });
        let ended = futures::stream::once(async move {
            job.open.store(false, Ordering::Relaxed);
            None
        })
        .filter_map(|nothing| async move { nothing });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, inner.chain(ended))))
    }
}

/// A submitted job, cancelled when dropped while still `open`.
struct Job {
    plan: Arc<dyn ExecutionPlan>,
    scheduler: Address,
    open: Arc<AtomicBool>,
}

impl Drop for Job {
    fn drop(&mut self) {
        if !self.open.load(Ordering::Relaxed) {
            return;
        }
        let id = self.plan.downcast_ref::<DistributedQueryExec<LogicalPlanNode>>().and_then(|p| p.job_id());
        let (Some(id), Ok(runtime)) = (id, tokio::runtime::Handle::try_current()) else { return };
        let cancel = cancel(self.scheduler.clone(), id.as_str().to_string());
        // Waited for where the runtime allows it: the command that dropped the stream may be about
        // to end the process, which would drop a cancellation left to run in the background.
        match runtime.runtime_flavor() {
            tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| runtime.block_on(cancel))
            }
            _ => drop(runtime.spawn(cancel)),
        }
    }
}

/// Ask the scheduler to cancel `job`; a failure is reported, not raised (the query has ended).
async fn cancel(scheduler: Address, job: String) {
    let request = async {
        let endpoint =
            create_grpc_client_endpoint(format!("http://{scheduler}"), None).map_err(|e| e.to_string())?;
        let channel = endpoint.connect().await.map_err(|e| e.to_string())?;
        let mut client = SchedulerGrpcClient::new(channel);
        client
            .cancel_job(CancelJobParams { job_id: job.clone() })
            .await
            .map_err(|e| e.message().to_string())?;
        Ok::<(), String>(())
    };
    let why = match tokio::time::timeout(PATIENCE, request).await {
        Ok(Ok(())) => return,
        Ok(Err(why)) => why,
        Err(_) => format!("no answer within {} s", PATIENCE.as_secs()),
    };
    eprintln!("warning: could not cancel job {job} on the scheduler at {scheduler} ({why}); it may run on");
}
