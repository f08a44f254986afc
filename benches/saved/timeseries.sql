-- chiso: run timeseries -p province=01 -p indicator=eid_accounts
-- compare: period_end,value,qualifier,source_id,reporting,expected
-- Hand-written: Hà Nội's monthly series of a stock: each commune's last figure in the month, summed
-- over the communes, with the weakest qualifier, the source and the coverage, when half the
-- communes or more report.
WITH monthly AS (
    SELECT commune_code, date_trunc('month', period_end) AS month, arg_max(value, period_end) AS value,
           arg_max(qualifier, period_end) AS qualifier, max(period_end) AS period_end,
           CASE WHEN min(source_id) = max(source_id) THEN min(source_id) ELSE 'several' END AS source_id
    FROM observations
    WHERE indicator = 'eid_accounts' AND province_code = '01' AND geo_level = 'commune'
    GROUP BY ALL
),
expected AS (SELECT count(*) AS expected FROM communes WHERE province_code = '01'),
summed AS (
    SELECT max(period_end) AS period_end, sum(value) AS value, count(*) AS reporting,
           CASE WHEN bool_and(qualifier = 'exact') THEN 'exact'
                WHEN bool_and(qualifier IN ('exact', 'lower_bound')) THEN 'lower_bound' ELSE 'approx' END AS qualifier,
           CASE WHEN min(source_id) = max(source_id) THEN min(source_id) ELSE 'several' END AS source_id
    FROM monthly
    GROUP BY month
)
SELECT s.period_end, s.value, CASE WHEN s.reporting < e.expected THEN 'lower_bound' ELSE s.qualifier END AS qualifier,
       s.source_id, s.reporting, e.expected
FROM summed s, expected e
WHERE s.reporting >= 0.5 * e.expected
ORDER BY s.period_end
