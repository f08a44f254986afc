-- Observations joined with communes and provinces, filtered by region.
SELECT p.name AS province, count(*) AS figures, sum(o.value) AS total
FROM observations o
JOIN communes c ON c.code = o.commune_code
JOIN provinces p ON p.code = c.province_code
WHERE p.region = 'Tây Nguyên' AND o.indicator = 'online_dossiers_received'
GROUP BY p.name
ORDER BY p.name
