-- province_year_trends: per province and year, the metrics of report_metrics summed over the
-- province's reports, the rates computed from those sums, and the change from the previous year.
-- What it answers: is a province receiving more applications, granting more of them, being
-- corrected more often, year over year?
-- Sums cover the reports that printed the number (a report whose cell is blank adds nothing);
-- reports_with_applications says how many did. A rate sums its numerator and its denominator over
-- the same reports, those that printed both (a report with a blank granted cell counts in neither),
-- and its *_reports column says how many reports that is. Rates are NULL when the denominator is 0.
-- Counts canonical reports only: one report per body and year (the duplicates view lists the others).
-- Columns:
--   province_code, province   the province (00 = reports whose region is unknown)
--   year                      the year reported on
--   reports                   canonical reports for the province and year
--   reports_with_applications reports whose applications cell is a number
--   applications, processed, granted, partially_granted, withheld, unavailable, rejected, other
--                             sums of report_metrics' columns
--   grant_rate, withheld_rate, unavailable_rate, rejected_rate, other_rate
--                             each outcome over processed, both summed over the reports printing both
--   grant_rate_reports, withheld_rate_reports, unavailable_rate_reports, rejected_rate_reports,
--   other_rate_reports        reports each rate covers
--   review_total, litigation_total, corrected (reviews and lawsuits corrected)
--   correction_rate           corrected / (review_total + litigation_total), over the reports printing all four
--   correction_rate_reports   reports the correction rate covers
--   proactive_total           items published proactively (sum)
--   prev_year                 the previous year with reports for this province (NULL if none)
--   applications_change       applications minus the previous year's
--   grant_rate_change         grant_rate minus the previous year's
--   correction_rate_change    correction_rate minus the previous year's
CREATE VIEW province_year_trends AS
WITH pairs AS (
    -- Each rate's numerator and denominator, both NULL unless the report printed both.
    SELECT *,
           CASE WHEN processed IS NOT NULL THEN granted + partially_granted END AS grant_num,
           CASE WHEN granted + partially_granted IS NOT NULL THEN processed END AS grant_den,
           CASE WHEN processed IS NOT NULL THEN withheld END AS withheld_num,
           CASE WHEN withheld IS NOT NULL THEN processed END AS withheld_den,
           CASE WHEN processed IS NOT NULL THEN unavailable END AS unavailable_num,
           CASE WHEN unavailable IS NOT NULL THEN processed END AS unavailable_den,
           CASE WHEN processed IS NOT NULL THEN rejected END AS rejected_num,
           CASE WHEN rejected IS NOT NULL THEN processed END AS rejected_den,
           CASE WHEN processed IS NOT NULL THEN other END AS other_num,
           CASE WHEN other IS NOT NULL THEN processed END AS other_den,
           CASE WHEN review_total + litigation_total IS NOT NULL
                THEN review_corrected + litigation_corrected END AS corrected_num,
           CASE WHEN review_corrected + litigation_corrected IS NOT NULL
                THEN review_total + litigation_total END AS corrected_den
    FROM report_metrics
    WHERE canonical
),
sums AS (
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
           SUM(proactive_total) AS proactive_total,
           SUM(grant_num) / NULLIF(SUM(grant_den), 0) AS grant_rate,
           COUNT(grant_num) AS grant_rate_reports,
           SUM(withheld_num) / NULLIF(SUM(withheld_den), 0) AS withheld_rate,
           COUNT(withheld_num) AS withheld_rate_reports,
           SUM(unavailable_num) / NULLIF(SUM(unavailable_den), 0) AS unavailable_rate,
           COUNT(unavailable_num) AS unavailable_rate_reports,
           SUM(rejected_num) / NULLIF(SUM(rejected_den), 0) AS rejected_rate,
           COUNT(rejected_num) AS rejected_rate_reports,
           SUM(other_num) / NULLIF(SUM(other_den), 0) AS other_rate,
           COUNT(other_num) AS other_rate_reports,
           SUM(corrected_num) / NULLIF(SUM(corrected_den), 0) AS correction_rate,
           COUNT(corrected_num) AS correction_rate_reports
    FROM pairs
    GROUP BY province_code, year
)
SELECT province_code, province, year, reports, reports_with_applications,
       applications, processed, granted, partially_granted, withheld, unavailable, rejected, other,
       grant_rate, withheld_rate, unavailable_rate, rejected_rate, other_rate,
       review_total, litigation_total, corrected, correction_rate, proactive_total,
       LAG(year) OVER (PARTITION BY province_code ORDER BY year) AS prev_year,
       applications - LAG(applications) OVER (PARTITION BY province_code ORDER BY year) AS applications_change,
       grant_rate - LAG(grant_rate) OVER (PARTITION BY province_code ORDER BY year) AS grant_rate_change,
       correction_rate - LAG(correction_rate) OVER (PARTITION BY province_code ORDER BY year) AS correction_rate_change,
       grant_rate_reports, withheld_rate_reports, unavailable_rate_reports, rejected_rate_reports,
       other_rate_reports, correction_rate_reports
FROM sums
