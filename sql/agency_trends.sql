-- agency_trends: each publishing body across years: this year's metrics beside the previous
-- report's, the change, and whether the backlog carries over as the previous report said it would.
-- What it answers: which bodies receive more applications, grant fewer, are corrected more; and
-- whose reports disagree with their own previous year (carried_over ≠ last year's carried_forward).
-- A body is identified by its printed name and its province (agency, province_code).
-- Columns:
--   agency, province_code, province, county_code, township_code, level   the body and its place
--   year                  the year reported on
--   report_id             the report
--   prev_year             the year of the body's previous report (NULL for its first)
--   applications, prev_applications, applications_change
--   grant_rate, prev_grant_rate, grant_rate_change
--   correction_rate, prev_correction_rate, correction_rate_change
--   carried_over          applications this report says it carried over
--   prev_carried_forward  applications the previous report said it would carry forward
--   continuity            'match' or 'mismatch' when the previous report is of the year before and
--                         both numbers are printed; NULL otherwise
CREATE VIEW agency_trends AS
WITH ordered AS (
    SELECT agency, province_code, province, county_code, township_code, level, year, report_id,
           applications, grant_rate, correction_rate, carried_over,
           LAG(year) OVER w AS prev_year,
           LAG(applications) OVER w AS prev_applications,
           LAG(grant_rate) OVER w AS prev_grant_rate,
           LAG(correction_rate) OVER w AS prev_correction_rate,
           LAG(carried_forward) OVER w AS prev_carried_forward
    FROM report_metrics
    WHERE agency IS NOT NULL
    WINDOW w AS (PARTITION BY agency, province_code ORDER BY year)
)
SELECT agency, province_code, province, county_code, township_code, level, year, report_id, prev_year,
       applications, prev_applications, applications - prev_applications AS applications_change,
       grant_rate, prev_grant_rate, grant_rate - prev_grant_rate AS grant_rate_change,
       correction_rate, prev_correction_rate, correction_rate - prev_correction_rate AS correction_rate_change,
       carried_over, prev_carried_forward,
       CASE
           WHEN prev_year = year - 1 AND carried_over IS NOT NULL AND prev_carried_forward IS NOT NULL
               THEN CASE WHEN carried_over = prev_carried_forward THEN 'match' ELSE 'mismatch' END
       END AS continuity
FROM ordered
