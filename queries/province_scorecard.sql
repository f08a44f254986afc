-- Every indicator's latest figure for one province, province-wide and per district; derived from the levels below where the province or a district reports none.
-- @param province text -- a legacy province code or name, with or without tone marks (40, Nghệ An, nghe an)
-- @param min_coverage float = 0.5 -- a derived figure counts when at least this share (0 to 1) of the units below it report
SELECT indicator, indicator_name, unit, place, value, qualifier, numerator, denominator, target, period, source_id, quote, derived, reporting, expected
FROM (
    SELECT
        f.indicator,
        i.name_en AS indicator_name,
        i.unit,
        place_name(f.geo_level, f.code) AS place,
        f.value,
        f.qualifier,
        f.numerator,
        f.denominator,
        f.target,
        f.period,
        f.source_id,
        f.quote,
        f.derived,
        f.reporting,
        f.expected,
        f.geo_level,
        f.code,
        row_number() OVER (
            PARTITION BY f.indicator, f.geo_level, f.code
            ORDER BY f.period_end DESC, f.period_start ASC NULLS FIRST, f.obs_id
        ) AS recency
    FROM figures f
    JOIN indicators i ON i.code = f.indicator
    WHERE f.province_code = province_code($province)
      AND f.geo_level IN ('province', 'district')
      AND f.grain = 'reported'
      AND (NOT f.derived OR f.reporting >= $min_coverage * coalesce(f.expected, f.reporting))
) latest
WHERE recency = 1
ORDER BY indicator, geo_level DESC, code
