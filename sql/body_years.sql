-- body_years: every year a body is expected to report: the years between its first and its last
-- report in the warehouse, both included (before its first or after its last, nothing says it
-- existed or published), and whether its (canonical) report for the year is there.
-- Years are those the warehouse has reports for. Bodies with a body_id only. coverage counts these
-- rows; body_gaps lists those without a report.
-- Columns:
--   body_id, province_code
--   year                    a year between the body's first and last report
--   first_year, last_year   the body's first and last years with a report
--   reported                whether the warehouse has the body's report for the year
CREATE VIEW body_years AS
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
SELECT s.body_id, s.province_code, y.year, s.first_year, s.last_year, c.body_id IS NOT NULL AS reported
FROM spans s
JOIN years y ON y.year >= s.first_year AND y.year <= s.last_year
LEFT JOIN canon c ON c.body_id = s.body_id AND c.year = y.year
