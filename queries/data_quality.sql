-- Figures whose source disagrees with itself: a stated rate that is not its numerator over its denominator (beyond the last written digit), or parts that do not add up to their total.
WITH parts AS (
    SELECT code AS total, trim(unnest(string_to_array(sum_of, ';'))) AS part
    FROM indicators WHERE sum_of IS NOT NULL
),
part_counts AS (SELECT total, count(*) AS n FROM parts GROUP BY total),
part_sums AS (
    SELECT o.source_id, o.province_code, o.district_code, o.period_end, x.total, sum(o.value) AS value, count(*) AS n
    FROM observations o JOIN parts x ON o.indicator = x.part
    GROUP BY o.source_id, o.province_code, o.district_code, o.period_end, x.total
),
rates AS (
    SELECT
        'rate' AS "check", o.obs_id, o.province_code, o.indicator, o.value AS stated,
        round(pct(o.numerator, o.denominator), 2) AS recomputed, o.quote,
        'stated ' || CAST(o.value AS VARCHAR) || '% but ' || CAST(o.numerator AS VARCHAR) || '/' || CAST(o.denominator AS VARCHAR)
            || ' = ' || CAST(round(pct(o.numerator, o.denominator), 2) AS VARCHAR) || '%' AS message
    FROM observations o JOIN indicators i ON o.indicator = i.code
    WHERE i.unit = 'percent' AND o.denominator > 0 AND o.qualifier = 'exact'
      AND abs(o.value - pct(o.numerator, o.denominator)) > 1e-9 + CASE
            WHEN o.value = trunc(o.value) THEN 1.0
            ELSE 1.0 / power(10, length(split_part(CAST(o.value AS VARCHAR), '.', 2)))
          END
),
sums AS (
    SELECT
        'parts_sum' AS "check", t.obs_id, t.province_code, t.indicator, t.value AS stated, s.value AS recomputed, t.quote,
        'total ' || CAST(t.value AS VARCHAR) || ' but its parts sum to ' || CAST(s.value AS VARCHAR) AS message
    FROM observations t
    JOIN part_counts pc ON pc.total = t.indicator
    JOIN part_sums s ON s.total = t.indicator AND s.source_id = t.source_id AND s.period_end = t.period_end
        AND (s.province_code IS NOT DISTINCT FROM t.province_code)
        AND (s.district_code IS NOT DISTINCT FROM t.district_code)
    WHERE s.n = pc.n AND t.qualifier = 'exact' AND abs(t.value - s.value) > 1e-6
)
SELECT * FROM rates
UNION ALL
SELECT * FROM sums
ORDER BY obs_id
