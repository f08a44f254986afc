-- Growth of a stock between two dates per district, absolute and percent.
SELECT a.district_code, a.total AS from_total, b.total AS to_total, b.total - a.total AS change,
       round(100 * (b.total - a.total) / a.total, 4) AS change_pct
FROM (SELECT district_code, sum(value) AS total FROM observations
      WHERE indicator = 'eid_accounts' AND period_end = DATE '2023-01-01' GROUP BY district_code) a
JOIN (SELECT district_code, sum(value) AS total FROM observations
      WHERE indicator = 'eid_accounts' AND period_end = DATE '2024-01-01' GROUP BY district_code) b
  ON a.district_code = b.district_code
ORDER BY a.district_code
