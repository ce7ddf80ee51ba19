-- national_trend: the whole warehouse per year: how many reports, applications and decisions, the
-- national grant and correction rates, and the change from the previous year.
-- Sums cover the reports that printed the number. A rate sums its numerator and its denominator
-- over the same reports, those that printed both, and its *_reports column says how many reports
-- that is; rates are NULL when the denominator is 0.
-- Counts canonical reports only: one report per body and year (the duplicates view lists the others).
-- Columns:
--   year                      the year reported on
--   reports                   canonical reports for the year
--   provinces                 provinces with at least one report (00, unknown, counts as one)
--   applications, processed   sums of report_metrics' columns
--   grant_rate                (granted + partially_granted) / processed, over the reports printing all three
--   withheld_rate, rejected_rate   withheld / processed, rejected / processed, likewise
--   review_total, litigation_total, corrected, correction_rate   as in province_year_trends
--   proactive_total           items published proactively (sum)
--   applications_change, grant_rate_change   minus the previous year's value
--   grant_rate_reports, withheld_rate_reports, rejected_rate_reports, correction_rate_reports
--                             reports each rate covers
--   unavailable_rate, other_rate   unavailable / processed, other / processed, likewise (with
--   unavailable_rate_reports, other_rate_reports): with withheld and rejected, the refusal mix
CREATE VIEW national_trend AS
WITH pairs AS (
    -- Each rate's numerator and denominator, both NULL unless the report printed both.
    SELECT *,
           CASE WHEN processed IS NOT NULL THEN granted + partially_granted END AS grant_num,
           CASE WHEN granted + partially_granted IS NOT NULL THEN processed END AS grant_den,
           CASE WHEN processed IS NOT NULL THEN withheld END AS withheld_num,
           CASE WHEN withheld IS NOT NULL THEN processed END AS withheld_den,
           CASE WHEN processed IS NOT NULL THEN rejected END AS rejected_num,
           CASE WHEN rejected IS NOT NULL THEN processed END AS rejected_den,
           CASE WHEN processed IS NOT NULL THEN unavailable END AS unavailable_num,
           CASE WHEN unavailable IS NOT NULL THEN processed END AS unavailable_den,
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
    SELECT year,
           COUNT(*) AS reports,
           COUNT(DISTINCT province_code) AS provinces,
           SUM(applications) AS applications,
           SUM(processed) AS processed,
           SUM(review_total) AS review_total,
           SUM(litigation_total) AS litigation_total,
           SUM(review_corrected + litigation_corrected) AS corrected,
           SUM(proactive_total) AS proactive_total,
           SUM(grant_num) / NULLIF(SUM(grant_den), 0) AS grant_rate,
           COUNT(grant_num) AS grant_rate_reports,
           SUM(withheld_num) / NULLIF(SUM(withheld_den), 0) AS withheld_rate,
           COUNT(withheld_num) AS withheld_rate_reports,
           SUM(rejected_num) / NULLIF(SUM(rejected_den), 0) AS rejected_rate,
           COUNT(rejected_num) AS rejected_rate_reports,
           SUM(unavailable_num) / NULLIF(SUM(unavailable_den), 0) AS unavailable_rate,
           COUNT(unavailable_num) AS unavailable_rate_reports,
           SUM(other_num) / NULLIF(SUM(other_den), 0) AS other_rate,
           COUNT(other_num) AS other_rate_reports,
           SUM(corrected_num) / NULLIF(SUM(corrected_den), 0) AS correction_rate,
           COUNT(corrected_num) AS correction_rate_reports
    FROM pairs
    GROUP BY year
)
SELECT year, reports, provinces, applications, processed, grant_rate, withheld_rate, rejected_rate,
       review_total, litigation_total, corrected, correction_rate, proactive_total,
       applications - LAG(applications) OVER (ORDER BY year) AS applications_change,
       grant_rate - LAG(grant_rate) OVER (ORDER BY year) AS grant_rate_change,
       grant_rate_reports, withheld_rate_reports, rejected_rate_reports, correction_rate_reports,
       unavailable_rate, other_rate, unavailable_rate_reports, other_rate_reports
FROM sums
