-- Legacy-province figures of one indicator mapped onto the 34 provinces in force since 2025-07-01.
-- Counts are summed only when every merged province reports the same period; rates are recomputed
-- from numerators and denominators, never summed or averaged; otherwise the value is left empty.
-- A legacy province that reports no figure has one derived from its districts or communes (see the table `figures`).
-- @param indicator text = eid_accounts -- indicator code
-- @param min_coverage float = 0.5 -- a derived legacy-province figure counts when at least this share (0 to 1) of the units below it report
WITH latest AS (
    SELECT * FROM (
        SELECT f.*, row_number() OVER (
            PARTITION BY f.code
            ORDER BY f.period_end DESC, f.period_start ASC NULLS FIRST, f.obs_id
        ) AS recency
        FROM figures f
        WHERE f.indicator = $indicator AND f.geo_level = 'province' AND f.grain = 'reported'
          AND (NOT f.derived OR f.reporting >= $min_coverage * coalesce(f.expected, f.reporting))
    ) ranked
    WHERE recency = 1
),
members AS (
    SELECT x.code_2025, x.legacy_code, l.value, l.numerator, l.denominator, l.period_start, l.period_end, l.qualifier
    FROM province_crosswalk x
    LEFT JOIN latest l ON l.province_code = x.legacy_code
),
grouped AS (
    SELECT
        code_2025,
        count(*) AS legacy_provinces,
        count(value) AS reporting,
        count(DISTINCT period_end) AS periods,
        count(DISTINCT coalesce(CAST(period_start AS VARCHAR), 'stock')) AS starts,
        sum(value) AS total,
        sum(numerator) AS numerator,
        sum(denominator) AS denominator,
        count(numerator) AS with_numerator,
        count(denominator) AS with_denominator,
        min(period_start) AS period_start,
        max(period_end) AS period_end,
        bool_and(qualifier = 'exact') AS all_exact,
        bool_and(qualifier IN ('exact', 'lower_bound')) AS all_lower,
        string_agg(CASE WHEN value IS NOT NULL THEN legacy_code END, ' ' ORDER BY legacy_code) AS contributors,
        string_agg(CASE WHEN value IS NULL THEN legacy_code END, ' ' ORDER BY legacy_code) AS missing
    FROM members
    GROUP BY code_2025
)
SELECT
    g.code_2025 AS province_2025,
    p.name AS province,
    CASE
        WHEN g.reporting < g.legacy_provinces OR g.periods > 1 OR g.starts > 1 THEN NULL
        WHEN g.legacy_provinces = 1 THEN g.total
        WHEN i.aggregation = 'sum' THEN g.total
        WHEN i.aggregation = 'recompute' AND g.with_numerator = g.reporting AND g.with_denominator = g.reporting
            THEN pct(g.numerator, g.denominator)
        ELSE NULL
    END AS value,
    CASE WHEN g.reporting = 0 THEN NULL WHEN g.all_exact THEN 'exact' WHEN g.all_lower THEN 'lower_bound' ELSE 'approx' END AS qualifier,
    period_label(g.period_start, g.period_end) AS period,
    g.reporting,
    g.legacy_provinces,
    g.contributors,
    g.missing,
    CASE
        WHEN g.reporting = 0 THEN 'no figure'
        WHEN g.reporting < g.legacy_provinces THEN 'incomplete: not every merged province reports'
        WHEN g.periods > 1 OR g.starts > 1 THEN 'periods differ: not combined'
        WHEN g.legacy_provinces > 1 AND i.aggregation = 'none' THEN 'not combinable (' || i.unit || ')'
        WHEN g.legacy_provinces > 1 AND i.aggregation = 'recompute' AND (g.with_numerator < g.reporting OR g.with_denominator < g.reporting)
            THEN 'rate without numerator and denominator: not combined'
        WHEN g.legacy_provinces > 1 AND i.aggregation = 'recompute' THEN 'recomputed from numerators and denominators'
        WHEN g.legacy_provinces > 1 THEN 'summed'
        ELSE 'as reported'
    END AS note
FROM grouped g
JOIN provinces_2025 p ON p.code = g.code_2025
CROSS JOIN (SELECT aggregation, unit FROM indicators WHERE code = $indicator) i
ORDER BY g.reporting DESC, g.code_2025
