-- Change of one indicator between two dates in each province (or each unit of another level): the latest figure on or before each date, absolute and percent; derived from the levels below where a unit reports none.
-- @param indicator text = eid_accounts -- indicator code
-- @param from date -- the earlier date
-- @param to date -- the later date
-- @param level text in commune|district|province|region|national|province_2025|commune_2025 = province -- the units compared
-- @param min_coverage float = 0.5 -- a derived figure counts when at least this share (0 to 1) of the units below it report
WITH obs AS (
    SELECT province_code, district_code, code, value, period_end, obs_id
    FROM figures
    WHERE indicator = $indicator
      AND geo_level = $level
      AND grain = 'reported'
      AND period_end <= $to
      AND (NOT derived OR reporting >= $min_coverage * coalesce(expected, reporting))
),
at_from AS (
    SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY code ORDER BY period_end DESC, obs_id) AS r
        FROM obs WHERE period_end <= $from
    ) t WHERE r = 1
),
at_to AS (
    SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY code ORDER BY period_end DESC, obs_id) AS r
        FROM obs
    ) t WHERE r = 1
)
SELECT
    t.province_code,
    province_name(t.province_code) AS province,
    t.district_code,
    f.period_end AS from_as_of,
    f.value AS from_value,
    t.period_end AS to_as_of,
    t.value AS to_value,
    t.value - f.value AS change,
    pct(t.value - f.value, f.value) AS change_pct,
    t.code,
    place_name($level, t.code) AS place
FROM at_to t
JOIN at_from f ON f.code = t.code
WHERE t.period_end > f.period_end
ORDER BY change_pct DESC, t.code
