-- Coverage and latest figures by statistical region: how many provinces report, how many figures and indicators, and how recent.
SELECT
    p.region,
    count(DISTINCT p.code) AS provinces,
    count(DISTINCT o.province_code) AS reporting_provinces,
    count(o.obs_id) AS observations,
    count(DISTINCT o.indicator) AS indicators,
    min(o.period_end) AS earliest_as_of,
    max(o.period_end) AS latest_as_of,
    string_agg(DISTINCT p.name, ', ' ORDER BY p.name) FILTER (WHERE o.obs_id IS NOT NULL) AS reporting
FROM provinces p
LEFT JOIN observations o ON o.province_code = p.code
GROUP BY p.region
ORDER BY observations DESC, p.region
