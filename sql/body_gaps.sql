-- body_gaps: the years for which a body has no report in the warehouse, between its first and its
-- last report (before its first or after its last, nothing says it existed or published).
-- Years are those the warehouse has reports for. Bodies with a body_id only.
-- Columns:
--   body_id, name, province_code   the body (name from the bodies table)
--   year                           the year without a report
--   first_year, last_year          the body's first and last years with a report
CREATE VIEW body_gaps AS
WITH canon AS (
    SELECT body_id, province_code, year
    FROM report_metrics
    WHERE canonical AND body_id IS NOT NULL AND year > 0
),
spans AS (
    SELECT body_id, province_code, MIN(year) AS first_year, MAX(year) AS last_year
    FROM canon
    GROUP BY body_id, province_code
),
years AS (
    SELECT DISTINCT year FROM reports WHERE year > 0
)
SELECT s.body_id, b.name, s.province_code, y.year, s.first_year, s.last_year
FROM spans s
JOIN years y ON y.year > s.first_year AND y.year < s.last_year
LEFT JOIN canon c ON c.body_id = s.body_id AND c.year = y.year
LEFT JOIN bodies b ON b.body_id = s.body_id
WHERE c.body_id IS NULL
