-- province_year_trends: per province and year, the metrics of report_metrics summed over the
-- province's reports, the rates computed from those sums, and the change from the previous year.
-- What it answers: is a province receiving more applications, granting more of them, being
-- corrected more often, year over year?
-- Sums cover the reports that printed the number (a report whose cell is blank adds nothing);
-- reports_with_applications says how many did. Rates are NULL when the denominator is 0.
-- Columns:
--   province_code, province   the province (00 = reports whose region is unknown)
--   year                      the year reported on
--   reports                   reports in the warehouse for the province and year
--   reports_with_applications reports whose applications cell is a number
--   applications, processed, granted, partially_granted, withheld, unavailable, rejected, other
--                             sums of report_metrics' columns
--   grant_rate, withheld_rate, unavailable_rate, rejected_rate, other_rate   from the sums, over processed
--   review_total, litigation_total, corrected (reviews and lawsuits corrected)
--   correction_rate           corrected / (review_total + litigation_total)
--   proactive_total           items published proactively (sum)
--   prev_year                 the previous year with reports for this province (NULL if none)
--   applications_change       applications minus the previous year's
--   grant_rate_change         grant_rate minus the previous year's
--   correction_rate_change    correction_rate minus the previous year's
CREATE VIEW province_year_trends AS
WITH sums AS (
    SELECT province_code,
           MAX(province) AS province,
           year,
           COUNT(*) AS reports,
           COUNT(applications) AS reports_with_applications,
           SUM(applications) AS applications,
           SUM(processed) AS processed,
           SUM(granted) AS granted,
           SUM(partially_granted) AS partially_granted,
           SUM(withheld) AS withheld,
           SUM(unavailable) AS unavailable,
           SUM(rejected) AS rejected,
           SUM(other) AS other,
           SUM(review_total) AS review_total,
           SUM(litigation_total) AS litigation_total,
           SUM(review_corrected + litigation_corrected) AS corrected,
           SUM(proactive_total) AS proactive_total
    FROM report_metrics
    GROUP BY province_code, year
),
rates AS (
    SELECT *,
           (granted + partially_granted) / NULLIF(processed, 0) AS grant_rate,
           withheld / NULLIF(processed, 0) AS withheld_rate,
           unavailable / NULLIF(processed, 0) AS unavailable_rate,
           rejected / NULLIF(processed, 0) AS rejected_rate,
           other / NULLIF(processed, 0) AS other_rate,
           corrected / NULLIF(review_total + litigation_total, 0) AS correction_rate
    FROM sums
)
SELECT province_code, province, year, reports, reports_with_applications,
       applications, processed, granted, partially_granted, withheld, unavailable, rejected, other,
       grant_rate, withheld_rate, unavailable_rate, rejected_rate, other_rate,
       review_total, litigation_total, corrected, correction_rate, proactive_total,
       LAG(year) OVER (PARTITION BY province_code ORDER BY year) AS prev_year,
       applications - LAG(applications) OVER (PARTITION BY province_code ORDER BY year) AS applications_change,
       grant_rate - LAG(grant_rate) OVER (PARTITION BY province_code ORDER BY year) AS grant_rate_change,
       correction_rate - LAG(correction_rate) OVER (PARTITION BY province_code ORDER BY year) AS correction_rate_change
FROM rates
