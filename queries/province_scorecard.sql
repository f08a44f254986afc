-- Every indicator's latest figure for one province (province-wide and per district).
-- @param province text -- a legacy province code or name, with or without tone marks (40, Nghệ An, nghe an)
SELECT indicator, indicator_name, unit, place, value, qualifier, numerator, denominator, target, period, source_id, quote
FROM (
    SELECT
        o.indicator,
        i.name_en AS indicator_name,
        i.unit,
        coalesce(d.name, province_name(o.province_code)) AS place,
        o.value,
        o.qualifier,
        o.numerator,
        o.denominator,
        o.target,
        period_label(o.period_start, o.period_end) AS period,
        o.source_id,
        o.quote,
        o.district_code,
        row_number() OVER (
            PARTITION BY o.indicator, o.district_code
            ORDER BY o.period_end DESC, o.period_start ASC NULLS FIRST, o.obs_id
        ) AS recency
    FROM observations o
    JOIN indicators i ON i.code = o.indicator
    LEFT JOIN districts d ON d.code = o.district_code
    WHERE o.province_code = province_code($province)
) latest
WHERE recency = 1
ORDER BY indicator, district_code NULLS FIRST
