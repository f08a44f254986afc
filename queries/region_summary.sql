-- Coverage and latest figures by statistical region: how many provinces report, how many figures and indicators, and how recent.
WITH reported AS (
    -- One pass over the figures, grouped small before anything is joined to them (the indicator
    -- as a string view: grouping on it is twice as fast as on plain text).
    SELECT province_code, arrow_cast(indicator, 'Utf8View') AS indicator, count(*) AS observations,
           min(period_end) AS earliest, max(period_end) AS latest
    FROM observations
    WHERE province_code IS NOT NULL
    GROUP BY 1, 2
)
SELECT
    p.region,
    count(DISTINCT p.code) AS provinces,
    count(DISTINCT r.province_code) AS reporting_provinces,
    coalesce(sum(r.observations), 0) AS observations,
    count(DISTINCT r.indicator) AS indicators,
    min(r.earliest) AS earliest_as_of,
    max(r.latest) AS latest_as_of,
    string_agg(DISTINCT p.name, ', ' ORDER BY p.name) FILTER (WHERE r.province_code IS NOT NULL) AS reporting
FROM provinces p
LEFT JOIN reported r ON r.province_code = p.code
GROUP BY p.region
ORDER BY observations DESC, p.region
