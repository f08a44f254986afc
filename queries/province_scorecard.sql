-- Every indicator's latest figure for one province, province-wide and per district; derived from the levels below where the province or a district reports none.
-- @param province place -- a legacy province code or name, with or without tone marks (40, Nghệ An, nghe an)
-- @param min_coverage float = 0.5 -- a derived figure counts when at least this share (0 to 1) of the units below it report
WITH candidates AS (
    SELECT indicator, geo_level, code, value, qualifier, numerator, denominator, target, period, period_start,
           period_end, source_id, quote, derived, reporting, expected
    FROM figures
    WHERE province_code = province_code($province) AND geo_level IN ('province', 'district') AND grain = 'reported'
      AND (NOT derived OR reporting >= $min_coverage * coalesce(expected, reporting))
),
-- The latest date of each indicator and place, then the longest period ending then (a running
-- total before a period's figure). Grouped, not ranked by a window: on a cluster a window over
-- this table loses a column in Ballista's plan codec.
newest AS (
    SELECT indicator, geo_level, code, max(period_end) AS period_end FROM candidates GROUP BY indicator, geo_level, code
),
longest AS (
    SELECT c.indicator, c.geo_level, c.code, c.period_end,
           min(coalesce(c.period_start, DATE '0001-01-01')) AS start
    FROM candidates c
    JOIN newest n ON n.indicator = c.indicator AND n.geo_level = c.geo_level AND n.code = c.code
        AND n.period_end = c.period_end
    GROUP BY c.indicator, c.geo_level, c.code, c.period_end
)
SELECT
    c.indicator,
    i.name_en AS indicator_name,
    i.unit,
    place_name(c.geo_level, c.code) AS place,
    c.value,
    c.qualifier,
    c.numerator,
    c.denominator,
    c.target,
    c.period,
    c.source_id,
    c.quote,
    c.derived,
    c.reporting,
    c.expected
FROM candidates c
JOIN longest l ON l.indicator = c.indicator AND l.geo_level = c.geo_level AND l.code = c.code
    AND l.period_end = c.period_end AND l.start = coalesce(c.period_start, DATE '0001-01-01')
JOIN indicators i ON i.code = c.indicator
ORDER BY c.indicator, c.geo_level DESC, c.code
