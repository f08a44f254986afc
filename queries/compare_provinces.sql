-- One indicator across provinces, each at its province-wide figure nearest to a date (within a tolerance), ranked.
-- @param indicator text = eid_accounts -- indicator code
-- @param as_of date = 2023-06-30 -- the date to compare at
-- @param tolerance_days int = 90 -- how far from as_of a figure may be dated
SELECT
    rank() OVER (ORDER BY CASE WHEN higher_is_better THEN -value ELSE value END) AS rank,
    province_code, province, value, qualifier, as_of, days_from_date, source_id
FROM (
    SELECT
        o.province_code,
        p.name AS province,
        o.value,
        o.qualifier,
        o.period_end AS as_of,
        o.period_end - $as_of AS days_from_date,
        i.higher_is_better,
        o.source_id,
        row_number() OVER (
            PARTITION BY o.province_code
            ORDER BY abs(o.period_end - $as_of), o.period_end DESC, o.obs_id
        ) AS nearest
    FROM observations o
    JOIN provinces p ON p.code = o.province_code
    JOIN indicators i ON i.code = o.indicator
    WHERE o.indicator = $indicator
      AND o.geo_level = 'province'
      AND abs(o.period_end - $as_of) <= $tolerance_days
) candidates
WHERE nearest = 1
ORDER BY rank, province_code
