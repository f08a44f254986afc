-- The latest value per district: each commune's latest figure of a stock, summed by district.
SELECT district_code, sum(value) AS total, max(period_end) AS as_of
FROM (
    SELECT district_code, value, period_end,
           row_number() OVER (PARTITION BY coalesce(commune_code, district_code, province_code) ORDER BY period_end DESC) AS r
    FROM observations
    WHERE indicator = 'eid_accounts'
) latest
WHERE r = 1
GROUP BY district_code
ORDER BY district_code
