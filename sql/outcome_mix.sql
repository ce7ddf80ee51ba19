-- outcome_mix: how applications end, per province and year: the share of each outcome group among
-- the applications decided (processed), over the province's reports. Each share sums the group and
-- processed over the same reports, those that printed both (a blank cell counts in neither), and
-- its *_reports column says how many reports that is. Shares are NULL when processed is 0. Groups
-- follow report_metrics (both templates contribute; the 2019 template's single 其他处理 row is
-- `other`).
-- Counts canonical reports only: one report per body and year (the duplicates view lists the others).
-- Columns:
--   province_code, year
--   processed                 summed results_total.total
--   granted_share             予以公开
--   partially_granted_share   部分公开
--   withheld_share            不予公开 (eight rows)
--   unavailable_share         无法提供 (three rows)
--   rejected_share            不予处理 (five rows)
--   other_share               其他处理
--   granted_share_reports, partially_granted_share_reports, withheld_share_reports,
--   unavailable_share_reports, rejected_share_reports, other_share_reports   reports each share covers
CREATE VIEW outcome_mix AS
WITH pairs AS (
    -- Each share's numerator and denominator, both NULL unless the report printed both.
    SELECT province_code, year, processed,
           CASE WHEN processed IS NOT NULL THEN granted END AS granted_num,
           CASE WHEN granted IS NOT NULL THEN processed END AS granted_den,
           CASE WHEN processed IS NOT NULL THEN partially_granted END AS partially_granted_num,
           CASE WHEN partially_granted IS NOT NULL THEN processed END AS partially_granted_den,
           CASE WHEN processed IS NOT NULL THEN withheld END AS withheld_num,
           CASE WHEN withheld IS NOT NULL THEN processed END AS withheld_den,
           CASE WHEN processed IS NOT NULL THEN unavailable END AS unavailable_num,
           CASE WHEN unavailable IS NOT NULL THEN processed END AS unavailable_den,
           CASE WHEN processed IS NOT NULL THEN rejected END AS rejected_num,
           CASE WHEN rejected IS NOT NULL THEN processed END AS rejected_den,
           CASE WHEN processed IS NOT NULL THEN other END AS other_num,
           CASE WHEN other IS NOT NULL THEN processed END AS other_den
    FROM report_metrics
    WHERE canonical
)
SELECT province_code, year, SUM(processed) AS processed,
       SUM(granted_num) / NULLIF(SUM(granted_den), 0) AS granted_share,
       SUM(partially_granted_num) / NULLIF(SUM(partially_granted_den), 0) AS partially_granted_share,
       SUM(withheld_num) / NULLIF(SUM(withheld_den), 0) AS withheld_share,
       SUM(unavailable_num) / NULLIF(SUM(unavailable_den), 0) AS unavailable_share,
       SUM(rejected_num) / NULLIF(SUM(rejected_den), 0) AS rejected_share,
       SUM(other_num) / NULLIF(SUM(other_den), 0) AS other_share,
       COUNT(granted_num) AS granted_share_reports,
       COUNT(partially_granted_num) AS partially_granted_share_reports,
       COUNT(withheld_num) AS withheld_share_reports,
       COUNT(unavailable_num) AS unavailable_share_reports,
       COUNT(rejected_num) AS rejected_share_reports,
       COUNT(other_num) AS other_share_reports
FROM pairs
GROUP BY province_code, year
