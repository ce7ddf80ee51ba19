-- national_trend: the whole warehouse per year: how many reports, applications and decisions, the
-- national grant and correction rates, and the change from the previous year.
-- Sums cover the reports that printed the number; rates are NULL when the denominator is 0.
-- Columns:
--   year                      the year reported on
--   reports                   reports for the year
--   provinces                 provinces with at least one report (00, unknown, counts as one)
--   applications, processed   sums of report_metrics' columns
--   grant_rate                (granted + partially_granted) / processed, from the sums
--   withheld_rate, rejected_rate   withheld / processed, rejected / processed
--   review_total, litigation_total, corrected, correction_rate   as in province_year_trends
--   proactive_total           items published proactively (sum)
--   applications_change, grant_rate_change   minus the previous year's value
CREATE VIEW national_trend AS
WITH sums AS (
    SELECT year,
           COUNT(*) AS reports,
           COUNT(DISTINCT province_code) AS provinces,
           SUM(applications) AS applications,
           SUM(processed) AS processed,
           SUM(granted) AS granted,
           SUM(partially_granted) AS partially_granted,
           SUM(withheld) AS withheld,
           SUM(rejected) AS rejected,
           SUM(review_total) AS review_total,
           SUM(litigation_total) AS litigation_total,
           SUM(review_corrected + litigation_corrected) AS corrected,
           SUM(proactive_total) AS proactive_total
    FROM report_metrics
    GROUP BY year
),
rates AS (
    SELECT *,
           (granted + partially_granted) / NULLIF(processed, 0) AS grant_rate,
           withheld / NULLIF(processed, 0) AS withheld_rate,
           rejected / NULLIF(processed, 0) AS rejected_rate,
           corrected / NULLIF(review_total + litigation_total, 0) AS correction_rate
    FROM sums
)
SELECT year, reports, provinces, applications, processed, grant_rate, withheld_rate, rejected_rate,
       review_total, litigation_total, corrected, correction_rate, proactive_total,
       applications - LAG(applications) OVER (ORDER BY year) AS applications_change,
       grant_rate - LAG(grant_rate) OVER (ORDER BY year) AS grant_rate_change
FROM rates
