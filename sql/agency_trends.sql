-- agency_trends: each publishing body across years, keyed by body_id (stable across the ways a
-- body prints its name and across formats): this year's metrics beside the previous report's, the
-- change, and whether the backlog carries over as the previous report said it would.
-- What it answers: which bodies receive more applications, grant fewer, are corrected more; and
-- whose reports disagree with their own previous year (carried_over ≠ last year's carried_forward).
-- Counts canonical reports only: one report per body and year (the duplicates view lists the others).
-- Reports without a body_id are left out: their body is not certain.
-- Columns:
--   body_id, body_kind    the body (see the bodies table)
--   agency                the body's name as printed in this report
--   province_code, province, county_code, township_code, level   the body's place
--   year                  the year reported on
--   report_id             the report
--   prev_year             the year of the body's previous report (NULL for its first)
--   prev_report_id        the previous report
--   applications, prev_applications, applications_change
--   grant_rate, prev_grant_rate, grant_rate_change
--   correction_rate, prev_correction_rate, correction_rate_change
--   carried_over          applications this report says it carried over
--   prev_carried_forward  applications the previous report said it would carry forward
--   continuity            'match' or 'mismatch' when the previous report is of the year before and
--                         both numbers are printed; NULL otherwise
CREATE VIEW agency_trends AS
WITH ordered AS (
    SELECT body_id, body_kind, agency, province_code, province, county_code, township_code, level, year, report_id,
           applications, grant_rate, correction_rate, carried_over,
           LAG(year) OVER w AS prev_year,
           LAG(report_id) OVER w AS prev_report_id,
           LAG(applications) OVER w AS prev_applications,
           LAG(grant_rate) OVER w AS prev_grant_rate,
           LAG(correction_rate) OVER w AS prev_correction_rate,
           LAG(carried_forward) OVER w AS prev_carried_forward
    FROM report_metrics
    WHERE body_id IS NOT NULL AND canonical AND year > 0
    WINDOW w AS (PARTITION BY body_id ORDER BY year)
)
SELECT body_id, body_kind, agency, province_code, province, county_code, township_code, level, year, report_id,
       prev_year, prev_report_id,
       applications, prev_applications, applications - prev_applications AS applications_change,
       grant_rate, prev_grant_rate, grant_rate - prev_grant_rate AS grant_rate_change,
       correction_rate, prev_correction_rate, correction_rate - prev_correction_rate AS correction_rate_change,
       carried_over, prev_carried_forward,
       CASE
           WHEN prev_year = year - 1 AND carried_over IS NOT NULL AND prev_carried_forward IS NOT NULL
               THEN CASE WHEN carried_over = prev_carried_forward THEN 'match' ELSE 'mismatch' END
       END AS continuity
FROM ordered
