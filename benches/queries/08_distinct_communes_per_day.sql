-- Distinct reporting communes per day.
SELECT period_end, count(DISTINCT commune_code) AS communes
FROM observations
GROUP BY period_end
ORDER BY period_end
