-- One commune's full series for one indicator: a selective lookup.
SELECT period_end, value
FROM observations
WHERE indicator = 'eid_accounts' AND commune_code = '26734'
ORDER BY period_end
