-- The series of one indicator in one province (or a unit of another level), with the change from the previous figure; derived from the levels below where the unit reports none, and by month when the figures come more than twice a month.
-- @param indicator text = eid_accounts -- indicator code
-- @param province text -- the unit: a legacy province code or name, or a unit of `level` by code or name (see place_code)
-- @param level text in commune|district|province|region|national|province_2025 = province -- the unit's level
-- @param grain text in auto|reported|day|week|month|quarter|year = auto -- auto: month when the unit's figures come more than twice a month on average, else as reported
-- @param min_coverage float = 0.5 -- a derived figure counts when at least this share (0 to 1) of the units below it report
WITH dense AS (
    -- Only asked when the grain is left to chiso; the unit's own rows where its level has a column.
    SELECT count(DISTINCT period_end) > 2 * count(DISTINCT date_trunc('month', period_end)) AS yes
    FROM observations
    WHERE $grain = 'auto'
      AND indicator = $indicator
      AND CASE
          WHEN $level = 'commune' THEN commune_code = place_code($level, $province)
          WHEN $level = 'district' THEN district_code = place_code($level, $province)
          WHEN $level = 'province' THEN province_code = place_code($level, $province)
          ELSE true
      END
),
series AS (
    SELECT f.*
    FROM figures f CROSS JOIN dense
    WHERE f.indicator = $indicator
      AND f.geo_level = $level
      AND f.code = place_code($level, $province)
      AND f.grain = CASE WHEN $grain = 'auto' THEN 'reported' ELSE $grain END
      AND ($grain <> 'auto' OR NOT dense.yes)
      AND (NOT f.derived OR f.reporting >= $min_coverage * coalesce(f.expected, f.reporting))
    UNION ALL
    SELECT f.*
    FROM figures f CROSS JOIN dense
    WHERE $grain = 'auto'
      AND dense.yes
      AND f.indicator = $indicator
      AND f.geo_level = $level
      AND f.code = place_code($level, $province)
      AND f.grain = 'month'
      AND (NOT f.derived OR f.reporting >= $min_coverage * coalesce(f.expected, f.reporting))
)
SELECT
    period,
    period_start,
    period_end,
    value,
    qualifier,
    value - lag(value) OVER w AS change,
    pct(value - lag(value) OVER w, lag(value) OVER w) AS change_pct,
    source_id,
    quote,
    grain,
    derived,
    reporting,
    expected
FROM series
WINDOW w AS (ORDER BY period_end, period_start NULLS FIRST, obs_id)
ORDER BY period_end, period_start NULLS FIRST, obs_id
