-- The series of one indicator in one province (or a unit of another level), with the change from the previous figure; derived from the levels below where the unit reports none, and by month when the figures come more than twice a month.
-- @param indicator text = eid_accounts -- indicator code
-- @param province place -- the unit, by code or name, at `level` (a legacy province by default); a name several units share takes its province after a comma
-- @param level text in commune|district|province|region|national|province_2025|commune_2025 = province -- the unit's level
-- @param grain text in auto|reported|day|week|month|quarter|year = auto -- auto: month when the unit's figures come more than twice a month on average, else as reported
-- @param min_coverage float = 0.5 -- a derived figure counts when at least this share (0 to 1) of the units below it report
WITH series AS (
    SELECT *
    FROM figures
    WHERE indicator = $indicator
      AND geo_level = $level
      AND code = place_code($level, $province)
      AND grain = $grain
      AND (NOT derived OR reporting >= $min_coverage * coalesce(expected, reporting))
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
