-- The latest figure of one indicator in each province (or each unit of another level), with its as-of date, qualifier and source; where a unit reports none, its figure is derived from the levels below (see the table `figures`).
-- @param indicator text = eid_accounts -- indicator code (`chiso query "select code, name_en from indicators"` lists them)
-- @param level text in commune|district|province|region|national|province_2025|commune_2025 = province -- the units compared
-- @param min_coverage float = 0.5 -- a derived figure counts when at least this share (0 to 1) of the units below it report
SELECT province_code, province, value, qualifier, period_start, as_of, source_id, quote, code, place, derived, reporting, expected
FROM (
    SELECT
        f.province_code,
        province_name(f.province_code) AS province,
        f.value,
        f.qualifier,
        f.period_start,
        f.period_end AS as_of,
        f.source_id,
        f.quote,
        f.code,
        place_name($level, f.code) AS place,
        f.derived,
        f.reporting,
        f.expected,
        row_number() OVER (
            PARTITION BY f.code
            ORDER BY f.period_end DESC, f.period_start ASC NULLS FIRST, f.obs_id
        ) AS recency
    FROM figures f
    WHERE f.indicator = $indicator
      AND f.geo_level = $level
      AND f.grain = 'reported'
      AND (NOT f.derived OR f.reporting >= $min_coverage * coalesce(f.expected, f.reporting))
) latest
WHERE recency = 1
ORDER BY value DESC, code
