//! The client's query planner: it readies a plan for the cluster (the table `figures` expanded
//! into SQL over the warehouse's tables, [`super::figures`]; each warehouse table narrowed to the
//! files its filters leave, [`super::files`]), hands it to Ballista's planner, which submits it
//! as a job, and wraps the job so that it is cancelled if its results are abandoned
//! ([`super::cancel`]).
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::{QueryPlanner, SessionState};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;

use super::cancel::CancelOnDrop;
use super::Address;

/// A query planner in front of Ballista's.
#[derive(Debug)]
pub struct ClientPlanner {
    /// Ballista's planner, which sends the plan to the scheduler.
    pub ballista: Arc<dyn QueryPlanner + Send + Sync>,
    /// The scheduler the jobs go to.
    pub scheduler: Address,
}

#[async_trait]
impl QueryPlanner for ClientPlanner {
    async fn create_physical_plan(
        &self,
        plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let state = session.as_any().downcast_ref::<SessionState>().ok_or_else(|| {
            DataFusionError::Internal("the cluster needs a DataFusion session state".into())
        })?;
        let plan = super::files::narrow(super::figures::expand(plan, state).await?)?;
        let job = self.ballista.create_physical_plan(&plan, session).await?;
        Ok(CancelOnDrop::wrap(job, &self.scheduler))
    }
}
