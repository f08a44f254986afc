-- Monthly totals per province for one indicator over all years.
SELECT province_code, CAST(date_trunc('month', period_end) AS DATE) AS month, sum(value) AS total
FROM observations
WHERE indicator = 'online_dossiers_received'
GROUP BY province_code, CAST(date_trunc('month', period_end) AS DATE)
ORDER BY province_code, month
