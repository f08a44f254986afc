-- A 7-day moving average per province of daily totals.
SELECT province_code, period_end,
       round(avg(total) OVER (PARTITION BY province_code ORDER BY period_end ROWS BETWEEN 6 PRECEDING AND CURRENT ROW), 4) AS avg_7d
FROM (
    SELECT province_code, period_end, sum(value) AS total
    FROM observations
    WHERE indicator = 'online_dossiers_received'
    GROUP BY province_code, period_end
) daily
ORDER BY province_code, period_end
