-- data_quality: where the reports themselves don't add up, per province and year: the share of
-- reports failing each identity and the share of table cells that are blank or missing.
-- Columns:
--   province_code, year
--   reports             reports for the province and year
--   h1_fail_share       share of reports with at least one failed H1 (new + carried over = processed + carried forward)
--   h2_fail_share       … H2 (processed = sum of the outcome rows)
--   h3_fail_share       … H3 (row total = sum of the six applicant columns)
--   h4_fail_share       … H4 (sec4 total = sum of the four results)
--   h5_fail_share       … H5 (counts are whole numbers ≥ 0)
--   any_fail_share      share of reports failing any identity
--   exact_reports       reports whose every cell was read unambiguously (parse_quality = 'exact')
--   ambiguous_reports   reports with a cell that fits several readings, or an inference an identity contradicts
--   partial_reports     reports with cells of the template not found
--   failed_reports      reports in which no table cell was found
--   duplicate_reports   reports repeating another report of the same body and year (listed in
--                       the duplicates view, their disagreeing cells in conflicts)
--   unidentified_reports  reports whose body is not certain (no body_id; a warning says why)
--   cells               table cells of those reports
--   blank_share         share of cells printed empty
--   missing_share       share of cells the template has but the report lost
CREATE VIEW data_quality AS
WITH failed AS (
    SELECT report_id,
           MAX(CASE WHEN id = 'H1' AND status = 'fail' THEN 1 ELSE 0 END) AS h1,
           MAX(CASE WHEN id = 'H2' AND status = 'fail' THEN 1 ELSE 0 END) AS h2,
           MAX(CASE WHEN id = 'H3' AND status = 'fail' THEN 1 ELSE 0 END) AS h3,
           MAX(CASE WHEN id = 'H4' AND status = 'fail' THEN 1 ELSE 0 END) AS h4,
           MAX(CASE WHEN id = 'H5' AND status = 'fail' THEN 1 ELSE 0 END) AS h5,
           MAX(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS any_fail
    FROM checks
    GROUP BY report_id
),
per_report AS (
    SELECT r.province_code, r.year, r.report_id, r.parse_quality, r.body_id,
           CASE WHEN d.report_id IS NULL THEN 0 ELSE 1 END AS repeats,
           COALESCE(f.h1, 0) AS h1, COALESCE(f.h2, 0) AS h2, COALESCE(f.h3, 0) AS h3,
           COALESCE(f.h4, 0) AS h4, COALESCE(f.h5, 0) AS h5, COALESCE(f.any_fail, 0) AS any_fail
    FROM reports r
    LEFT JOIN failed f ON f.report_id = r.report_id
    LEFT JOIN duplicates d ON d.report_id = r.report_id
),
report_shares AS (
    SELECT province_code, year, COUNT(*) AS reports,
           CAST(SUM(h1) AS DOUBLE) / COUNT(*) AS h1_fail_share,
           CAST(SUM(h2) AS DOUBLE) / COUNT(*) AS h2_fail_share,
           CAST(SUM(h3) AS DOUBLE) / COUNT(*) AS h3_fail_share,
           CAST(SUM(h4) AS DOUBLE) / COUNT(*) AS h4_fail_share,
           CAST(SUM(h5) AS DOUBLE) / COUNT(*) AS h5_fail_share,
           CAST(SUM(any_fail) AS DOUBLE) / COUNT(*) AS any_fail_share,
           SUM(CASE WHEN parse_quality = 'exact' THEN 1 ELSE 0 END) AS exact_reports,
           SUM(CASE WHEN parse_quality = 'ambiguous' THEN 1 ELSE 0 END) AS ambiguous_reports,
           SUM(CASE WHEN parse_quality = 'partial' THEN 1 ELSE 0 END) AS partial_reports,
           SUM(CASE WHEN parse_quality = 'failed' THEN 1 ELSE 0 END) AS failed_reports,
           SUM(repeats) AS duplicate_reports,
           SUM(CASE WHEN body_id IS NULL THEN 1 ELSE 0 END) AS unidentified_reports
    FROM per_report
    GROUP BY province_code, year
),
cell_shares AS (
    SELECT province_code, year, COUNT(*) AS cells,
           CAST(SUM(CASE WHEN kind = 'blank' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS blank_share,
           CAST(SUM(CASE WHEN kind = 'missing' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS missing_share
    FROM cells
    GROUP BY province_code, year
)
SELECT s.province_code, s.year, s.reports,
       s.h1_fail_share, s.h2_fail_share, s.h3_fail_share, s.h4_fail_share, s.h5_fail_share, s.any_fail_share,
       s.exact_reports, s.ambiguous_reports, s.partial_reports, s.failed_reports,
       s.duplicate_reports, s.unidentified_reports,
       c.cells, c.blank_share, c.missing_share
FROM report_shares s
LEFT JOIN cell_shares c ON c.province_code = s.province_code AND c.year = s.year
