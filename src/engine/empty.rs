//! Why a saved query's answer is empty: the indicator, the level or the unit it asked for that has
//! no figures, found by asking the warehouse about each in turn.
use datafusion::arrow::array::Int64Array;
use datafusion::common::ScalarValue;

use super::functions::{place_code, place_name};
use super::saved::{ParamType, SavedQuery};
use super::session::Engine;

impl Engine {
    /// One line saying which part of `query`'s request (with `params`) has no figures, for an
    /// answer with no rows: the indicator, the indicator at the level, or at the unit; else that
    /// figures exist but none passes the query's other parameters. `None` when the query asks
    /// for no indicator.
    pub async fn why_empty(&self, query: &SavedQuery, params: &[(String, String)]) -> Option<String> {
        let indicator = query.value_of("indicator", params)?;
        let level = query.value_of("level", params).unwrap_or_else(|| "province".into());
        let place = query.params.iter().find(|p| p.ty == ParamType::Place);
        let place = place.and_then(|p| query.value_of(&p.name, params));
        let text = |v: &str| ScalarValue::Utf8(Some(v.to_string()));
        let stored = "SELECT count(*) FROM observations WHERE indicator = $1";
        if self.count(stored, vec![text(&indicator)]).await? == 0 {
            return Some(format!("no figures for {indicator} in the warehouse"));
        }
        let at_level =
            "SELECT count(*) FROM figures WHERE indicator = $1 AND geo_level = $2 AND grain = 'reported'";
        if self.count(at_level, vec![text(&indicator), text(&level)]).await? == 0 {
            return Some(format!("no figures for {indicator} at level {level}"));
        }
        if let Some(code) = place.as_deref().and_then(|p| place_code(&level, p)) {
            let at_place = format!("{at_level} AND code = $3");
            if self.count(&at_place, vec![text(&indicator), text(&level), text(&code)]).await? == 0 {
                let name = place_name(&level, &code).unwrap_or(code);
                return Some(format!("no figures for {indicator} in {name} at level {level}"));
            }
        }
        Some(format!(
            "{} found no rows: there are figures for {indicator} at level {level}, but none passes the query's other parameters",
            query.name
        ))
    }

    /// The one whole number `sql` (with placeholders `values`) answers, if it runs.
    async fn count(&self, sql: &str, values: Vec<ScalarValue>) -> Option<i64> {
        let df = self.dataframe(sql).await.ok()?.with_param_values(values).ok()?;
        let batches = df.collect().await.ok()?;
        let column = batches.first()?.column(0).as_any().downcast_ref::<Int64Array>()?;
        (!column.is_empty()).then(|| column.value(0))
    }
}
