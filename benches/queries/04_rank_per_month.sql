-- The rank of provinces per month (window function) by dossiers received.
SELECT month, province_code, total, rank() OVER (PARTITION BY month ORDER BY total DESC, province_code) AS rank
FROM (
    SELECT CAST(date_trunc('month', period_end) AS DATE) AS month, province_code, sum(value) AS total
    FROM observations
    WHERE indicator = 'online_dossiers_received'
    GROUP BY CAST(date_trunc('month', period_end) AS DATE), province_code
) monthly
ORDER BY month, rank
