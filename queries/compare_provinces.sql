-- One indicator across provinces (or the units of another level), each at its figure nearest to a date (within a tolerance), ranked; derived from the levels below where a unit reports none.
-- @param indicator text = eid_accounts -- indicator code
-- @param as_of date = 2023-06-30 -- the date to compare at
-- @param tolerance_days int = 90 -- how far from as_of a figure may be dated
-- @param level text in commune|district|province|region|national|province_2025|commune_2025 = province -- the units compared
-- @param min_coverage float = 0.5 -- a derived figure counts when at least this share (0 to 1) of the units below it report
SELECT
    rank() OVER (ORDER BY CASE WHEN higher_is_better THEN -value ELSE value END) AS rank,
    province_code, province, value, qualifier, as_of, days_from_date, source_id, code, place, derived
FROM (
    SELECT
        f.province_code,
        province_name(f.province_code) AS province,
        f.value,
        f.qualifier,
        f.period_end AS as_of,
        f.period_end - $as_of AS days_from_date,
        i.higher_is_better,
        f.source_id,
        f.code,
        place_name($level, f.code) AS place,
        f.derived,
        row_number() OVER (
            PARTITION BY f.code
            ORDER BY abs(f.period_end - $as_of), f.period_end DESC, f.obs_id
        ) AS nearest
    FROM figures f
    JOIN indicators i ON i.code = f.indicator
    WHERE f.indicator = $indicator
      AND f.geo_level = $level
      AND f.grain = 'reported'
      AND (NOT f.derived OR f.reporting >= $min_coverage * coalesce(f.expected, f.reporting))
      AND abs(f.period_end - $as_of) <= $tolerance_days
) candidates
WHERE nearest = 1
ORDER BY rank, code
