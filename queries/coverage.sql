-- Which indicators each source reports for each province, and which provinces have no figure at all.
SELECT
    p.code AS province_code,
    p.name AS province,
    o.source_id,
    count(o.obs_id) AS observations,
    count(DISTINCT o.indicator) AS indicators,
    string_agg(DISTINCT o.indicator, ' ' ORDER BY o.indicator) AS indicator_codes
FROM provinces p
LEFT JOIN observations o ON o.province_code = p.code
GROUP BY p.code, p.name, o.source_id
ORDER BY observations DESC, p.code
