-- chiso: run latest_by_province -p indicator=eid_accounts
-- compare: province_code,value,qualifier,as_of,source_id,reporting,expected
-- Hand-written: each province's figure on its latest day with half its communes or more reporting,
-- the sum of the communes reporting that day, with the weakest qualifier, the source and the coverage.
WITH expected AS (
    SELECT province_code, count(*) AS expected FROM communes GROUP BY province_code
),
daily AS (
    SELECT province_code, period_end, sum(value) AS value, count(*) AS reporting,
           CASE WHEN bool_and(qualifier = 'exact') THEN 'exact'
                WHEN bool_and(qualifier IN ('exact', 'lower_bound')) THEN 'lower_bound' ELSE 'approx' END AS qualifier,
           CASE WHEN min(source_id) = max(source_id) THEN min(source_id) ELSE 'several' END AS source_id
    FROM observations
    WHERE indicator = 'eid_accounts' AND geo_level = 'commune'
    GROUP BY province_code, period_end
),
covered AS (
    SELECT d.*, e.expected,
           CASE WHEN d.reporting < e.expected THEN 'lower_bound' ELSE d.qualifier END AS marked
    FROM daily d JOIN expected e USING (province_code)
    WHERE d.reporting >= 0.5 * e.expected
)
SELECT province_code, arg_max(value, period_end) AS value, arg_max(marked, period_end) AS qualifier,
       max(period_end) AS as_of, arg_max(source_id, period_end) AS source_id,
       arg_max(reporting, period_end) AS reporting, max(expected) AS expected
FROM covered
GROUP BY province_code
ORDER BY value DESC
