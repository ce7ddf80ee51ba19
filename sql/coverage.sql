-- coverage: per province and year, how many of the province's bodies have their report in the
-- warehouse: the bodies seen in any year, those expected this year (their first and last reports
-- enclose it, the rows of body_years), the reports found, and the gaps (listed one by one in body_gaps).
-- Columns:
--   province_code, year
--   bodies_seen           bodies of the province with a report in any year
--   bodies_expected       bodies whose first and last years enclose this year
--   reports_found         of those, the bodies with a (canonical) report this year
--   gaps                  bodies_expected - reports_found
--   reports               reports of the province and year, all of them
--   duplicate_reports     reports repeating another of the same body and year
--   unidentified_reports  reports without a body_id, which coverage cannot place
CREATE VIEW coverage AS
WITH seen AS (
    SELECT province_code, COUNT(DISTINCT body_id) AS bodies_seen FROM body_years GROUP BY province_code
),
expected AS (
    SELECT province_code, year,
           COUNT(*) AS bodies_expected,
           SUM(CASE WHEN reported THEN 1 ELSE 0 END) AS reports_found
    FROM body_years
    GROUP BY province_code, year
),
counted AS (
    SELECT province_code, year, COUNT(*) AS reports,
           SUM(CASE WHEN canonical THEN 0 ELSE 1 END) AS duplicate_reports,
           SUM(CASE WHEN body_id IS NULL THEN 1 ELSE 0 END) AS unidentified_reports
    FROM report_metrics
    WHERE year > 0
    GROUP BY province_code, year
),
keys AS (
    SELECT province_code, year FROM counted
    UNION
    SELECT province_code, year FROM expected
)
SELECT k.province_code, k.year,
       COALESCE(s.bodies_seen, 0) AS bodies_seen,
       COALESCE(e.bodies_expected, 0) AS bodies_expected,
       COALESCE(e.reports_found, 0) AS reports_found,
       COALESCE(e.bodies_expected - e.reports_found, 0) AS gaps,
       COALESCE(n.reports, 0) AS reports,
       COALESCE(n.duplicate_reports, 0) AS duplicate_reports,
       COALESCE(n.unidentified_reports, 0) AS unidentified_reports
FROM keys k
LEFT JOIN counted n ON n.province_code = k.province_code AND n.year = k.year
LEFT JOIN expected e ON e.province_code = k.province_code AND e.year = k.year
LEFT JOIN seen s ON s.province_code = k.province_code
