//! The client side: a context whose queries the Ballista scheduler plans and its executors run,
//! and the engine [`Backend`] that goes with it.
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ballista::prelude::SessionContextExt;
use ballista_core::config::{BALLISTA_ADAPTIVE_PLANNER_ENABLED, BALLISTA_CLIENT_PULL};
use ballista_core::extension::SessionConfigExt;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::planner::ClientPlanner;
use super::{Address, DEFAULT_SCHEDULER_PORT};
use crate::engine::Backend;
use crate::error::{Error, Result};

/// Plans run on a Ballista cluster.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cluster;

impl Backend for Cluster {
    /// Ballista's plan codec cannot send DESCRIBE (which reads no table): it is answered here.
    fn runs(&self, plan: &LogicalPlan) -> bool {
        !matches!(plan, LogicalPlan::DescribeTable(_))
    }

    fn hint(&self, message: &str, warehouse: &Path) -> Option<String> {
        hint(message, warehouse)
    }
}

/// A context on the cluster at `url` with `config`'s settings, and its backend.
pub async fn connect(url: &str, config: SessionConfig) -> Result<(SessionContext, Arc<dyn Backend>)> {
    Ok((context(url, config).await?, Arc::new(Cluster)))
}

/// The scheduler address in a `df://HOST[:PORT]` URL.
pub fn parse_url(url: &str) -> Result<Address> {
    let rest = url.strip_prefix("df://").ok_or_else(|| {
        Error::setting("cluster", url, "a cluster is given as df://HOST:PORT, e.g. df://127.0.0.1:50050")
    })?;
    Address::parse(rest.trim_end_matches('/'), DEFAULT_SCHEDULER_PORT, "cluster")
}

/// A session on the cluster at `url`, with `config`'s settings; chiso's functions are registered by the caller.
pub async fn context(url: &str, config: SessionConfig) -> Result<SessionContext> {
    let address = parse_url(url)?;
    probe(url, &address).await?;
    // Ballista 55's adaptive planner never finishes a job whose shuffle stage outputs no rows into a
    // window function (a saved query with no matching figures hung); its static planner does. A
    // session can still opt in with `SET ballista.planner.adaptive.enabled = true`.
    let mut config = config.upgrade_for_ballista().set_bool(BALLISTA_ADAPTIVE_PLANNER_ENABLED, false);
    // A job abandoned by its client is cancelled by its id (`cancel`). Pushing statuses, Ballista
    // tells the client that id with the job's first status update, which comes only when a stage
    // has run: a query given up on before that (a short --timeout, Ctrl-C) left its job running.
    // Asking for the status instead returns the id at once, at the cost of up to Ballista's 50 ms
    // between two questions (docs/cluster.md has the figure). A session can `SET` it back.
    config = config.set_bool(BALLISTA_CLIENT_PULL, true);
    // Ballista 55 turns hash joins off (they cannot spill), so every join became a sort-merge
    // join of two hash-shuffled sides: the suite's join with `communes` and `provinces` sent all
    // the observations through shuffle files and ran 8-9x slower than in process. chiso's joins
    // are with small reference tables, which a hash join broadcasts to every task instead
    // (Ballista's own thresholds decide what is small). A variable or `SET` can restore Ballista's.
    if std::env::var_os("DATAFUSION_OPTIMIZER_PREFER_HASH_JOIN").is_none() {
        config.options_mut().optimizer.prefer_hash_join = true;
    }
    let state = SessionStateBuilder::new().with_config(config).with_default_features().build();
    let remote = SessionContext::remote_with_state(&format!("df://{address}"), state).await.map_err(|e| {
        Error::Cluster {
            message: format!("cannot open a session on the cluster at {url}"),
            source: Some(Box::new(e)),
        }
    })?;
    // Ballista's planner, behind one that readies plans for the cluster.
    let state = remote.state();
    let planner = Arc::new(ClientPlanner { ballista: state.query_planner().clone(), scheduler: address });
    Ok(SessionContext::new_with_state(
        SessionStateBuilder::new_from_existing(state).with_query_planner(planner).build(),
    ))
}

/// Fail early, with what to start, when nothing listens at the scheduler's address: Ballista
/// itself would only report a transport error once the first query is sent.
async fn probe(url: &str, address: &Address) -> Result<()> {
    let why = super::reachable(address, Duration::ZERO).await.err();
    let Some(why) = why else { return Ok(()) };
    Err(Error::Cluster {
        message: format!(
            "cannot reach the Ballista scheduler at {url} ({why}). Start one there with \
             `chiso scheduler --bind {address}` and at least one `chiso executor --scheduler {address}`, \
             or run the query in this process."
        ),
        source: None,
    })
}

/// A hint for an error that came back from the cluster, when the cause is one a user can fix.
pub fn hint(message: &str, warehouse: &std::path::Path) -> Option<String> {
    let lower = message.to_lowercase();
    let unreadable =
        lower.contains("not found") || lower.contains("no such file") || lower.contains("permission denied");
    if unreadable && (lower.contains("object") || lower.contains("location") || lower.contains("path")) {
        return Some(format!(
            "A scheduler or an executor could not read a table's files. On a cluster the warehouse \
             ({}) must be at the same path on every machine: a shared directory.",
            warehouse.display()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("df://10.1.2.3:7000").unwrap(), Address { host: "10.1.2.3".into(), port: 7000 });
        assert_eq!(parse_url("df://sched").unwrap().port, DEFAULT_SCHEDULER_PORT);
        assert!(parse_url("http://sched:50050").is_err());
    }
}
