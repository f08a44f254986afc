-- Every figure with a stated target: the gap to it and whether it was met (respecting whether higher is better).
SELECT
    o.province_code,
    province_name(o.province_code) AS province,
    o.indicator,
    i.name_en AS indicator_name,
    period_label(o.period_start, o.period_end) AS period,
    o.value,
    o.target,
    round(o.value - o.target, 4) AS gap,
    CASE WHEN i.higher_is_better THEN o.value >= o.target ELSE o.value <= o.target END AS met,
    o.qualifier,
    o.source_id,
    o.quote
FROM observations o
JOIN indicators i ON i.code = o.indicator
WHERE o.target IS NOT NULL
ORDER BY o.province_code, o.indicator, o.period_end
