-- Progress toward the 25 essential public services of Đề án 06, per province and district: the latest figure of each.
SELECT province_code, province, district_code, district, deployed, out_of, out_of - deployed AS remaining,
       pct(deployed, out_of) AS pct_deployed, as_of, source_id
FROM (
    SELECT
        o.province_code,
        province_name(o.province_code) AS province,
        o.district_code,
        d.name AS district,
        o.value AS deployed,
        coalesce(o.denominator, 25) AS out_of,
        o.period_end AS as_of,
        o.source_id,
        row_number() OVER (
            PARTITION BY o.province_code, o.district_code
            ORDER BY o.period_end DESC, o.obs_id
        ) AS recency
    FROM observations o
    LEFT JOIN districts d ON d.code = o.district_code
    WHERE o.indicator = 'essential_services_deployed'
) latest
WHERE recency = 1
ORDER BY pct_deployed DESC, province_code, district_code NULLS FIRST
