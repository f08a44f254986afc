-- Change of one indicator between two dates per province and district: the latest figure on or before each date, absolute and percent.
-- @param indicator text = eid_accounts -- indicator code
-- @param from date -- the earlier date
-- @param to date -- the later date
WITH obs AS (
    SELECT province_code, district_code, value, period_end, obs_id
    FROM observations
    WHERE indicator = $indicator AND geo_level IN ('province', 'district')
),
at_from AS (
    SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY province_code, district_code ORDER BY period_end DESC, obs_id) AS r
        FROM obs WHERE period_end <= $from
    ) t WHERE r = 1
),
at_to AS (
    SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY province_code, district_code ORDER BY period_end DESC, obs_id) AS r
        FROM obs WHERE period_end <= $to
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
    pct(t.value - f.value, f.value) AS change_pct
FROM at_to t
JOIN at_from f ON f.province_code = t.province_code AND (f.district_code IS NOT DISTINCT FROM t.district_code)
WHERE t.period_end > f.period_end
ORDER BY change_pct DESC, t.province_code, t.district_code NULLS FIRST
