-- Which indicators each source reports for each province, and which provinces have no figure at all.
WITH reported AS (
    -- Grouped small before anything is joined (the indicator as a string view groups faster).
    SELECT province_code, source_id, arrow_cast(indicator, 'Utf8View') AS indicator, count(*) AS observations
    FROM observations
    WHERE province_code IS NOT NULL
    GROUP BY 1, 2, 3
)
SELECT
    p.code AS province_code,
    p.name AS province,
    r.source_id,
    coalesce(sum(r.observations), 0) AS observations,
    count(r.indicator) AS indicators,
    string_agg(r.indicator, ' ' ORDER BY r.indicator) AS indicator_codes
FROM provinces p
LEFT JOIN reported r ON r.province_code = p.code
GROUP BY p.code, p.name, r.source_id
ORDER BY observations DESC, p.code
