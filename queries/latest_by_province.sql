-- The latest province-wide figure of one indicator in each province, with its as-of date, qualifier and source.
-- @param indicator text = eid_accounts -- indicator code (`chiso query "select code, name_en from indicators"` lists them)
SELECT province_code, province, value, qualifier, period_start, as_of, source_id, quote
FROM (
    SELECT
        o.province_code,
        p.name AS province,
        o.value,
        o.qualifier,
        o.period_start,
        o.period_end AS as_of,
        o.source_id,
        o.quote,
        row_number() OVER (
            PARTITION BY o.province_code
            ORDER BY o.period_end DESC, o.period_start ASC NULLS FIRST, o.obs_id
        ) AS recency
    FROM observations o
    JOIN provinces p ON p.code = o.province_code
    WHERE o.indicator = $indicator
      AND o.geo_level = 'province'
) latest
WHERE recency = 1
ORDER BY value DESC, province_code
