-- The series of one indicator in one province (province-wide figures), with the change from the previous figure.
-- @param indicator text = eid_accounts -- indicator code
-- @param province text -- a legacy province code or name
SELECT
    period_label(o.period_start, o.period_end) AS period,
    o.period_start,
    o.period_end,
    o.value,
    o.qualifier,
    o.value - lag(o.value) OVER w AS change,
    pct(o.value - lag(o.value) OVER w, lag(o.value) OVER w) AS change_pct,
    o.source_id,
    o.quote
FROM observations o
WHERE o.indicator = $indicator
  AND o.province_code = province_code($province)
  AND o.geo_level = 'province'
WINDOW w AS (ORDER BY o.period_end, o.period_start NULLS FIRST, o.obs_id)
ORDER BY o.period_end, o.period_start NULLS FIRST, o.obs_id
