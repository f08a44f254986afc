-- The legacy-to-2025 rollup through the crosswalk: a stock on one day, by 2025 province.
SELECT x.code_2025, count(DISTINCT o.province_code) AS legacy_provinces, sum(o.value) AS total
FROM observations o
JOIN province_crosswalk x ON x.legacy_code = o.province_code
WHERE o.indicator = 'eid_accounts' AND o.period_end = DATE '2024-12-31'
GROUP BY x.code_2025
ORDER BY x.code_2025
