-- Figures whose source disagrees with itself: a stated rate that is not its numerator over its denominator (beyond the last written digit), or parts that do not add up to their total.
WITH parts AS (
    SELECT code AS total, trim(unnest(string_to_array(sum_of, ';'))) AS part
    FROM indicators WHERE sum_of IS NOT NULL
),
part_counts AS (SELECT total, count(*) AS n FROM parts GROUP BY total),
part_sums AS (
    SELECT o.source_id, o.province_code, o.district_code, o.commune_code, o.period_end, x.total,
           sum(o.value) AS value, count(*) AS n
    -- The few parts first: DataFusion builds its hash table on the left side when it cannot
    -- tell the sizes (here: the unnested list), and all the observations would be held.
    FROM parts x JOIN observations o ON o.indicator = x.part
    GROUP BY o.source_id, o.province_code, o.district_code, o.commune_code, o.period_end, x.total
),
rates AS (
    SELECT
        'rate' AS "check", o.obs_id, o.province_code, o.indicator, o.value AS stated,
        round(pct(o.numerator, o.denominator), 2) AS recomputed, o.quote,
        'stated ' || CAST(o.value AS VARCHAR) || '% but ' || CAST(o.numerator AS VARCHAR) || '/' || CAST(o.denominator AS VARCHAR)
            || ' = ' || CAST(round(pct(o.numerator, o.denominator), 2) AS VARCHAR) || '%' AS message
    FROM observations o JOIN indicators i ON o.indicator = i.code
    WHERE i.unit = 'percent' AND o.denominator > 0 AND o.qualifier = 'exact'
      -- The tolerance is never below 1e-9: rows within it are dropped before it is worked out.
      AND abs(o.value - pct(o.numerator, o.denominator)) > 1e-9
      AND abs(o.value - pct(o.numerator, o.denominator)) > 1e-9 + CASE
            WHEN o.value = trunc(o.value) THEN 1.0
            ELSE 1.0 / power(10, length(split_part(CAST(o.value AS VARCHAR), '.', 2)))
          END
),
sums AS (
    -- The sums of parts are few: the totals are looked up from them, not the other way round.
    SELECT
        'parts_sum' AS "check", t.obs_id, t.province_code, t.indicator, t.value AS stated, s.value AS recomputed, t.quote,
        'total ' || CAST(t.value AS VARCHAR) || ' but its parts sum to ' || CAST(s.value AS VARCHAR) AS message
    FROM part_sums s
    JOIN part_counts pc ON pc.total = s.total AND pc.n = s.n
    JOIN observations t ON t.indicator = s.total AND t.source_id = s.source_id AND t.period_end = s.period_end
        AND (t.province_code IS NOT DISTINCT FROM s.province_code)
        AND (t.district_code IS NOT DISTINCT FROM s.district_code)
        AND (t.commune_code IS NOT DISTINCT FROM s.commune_code)
    WHERE t.qualifier = 'exact' AND abs(t.value - s.value) > 1e-6
)
SELECT * FROM rates
UNION ALL
SELECT * FROM sums
ORDER BY obs_id
