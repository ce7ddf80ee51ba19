-- outcome_mix: how applications end, per province and year: the share of each outcome group among
-- the applications decided (processed), over the province's reports (the sums of
-- province_year_trends). Shares are NULL when processed is 0. Groups follow report_metrics (both
-- templates contribute; the 2019 template's single 其他处理 row is `other`).
-- Columns:
--   province_code, year
--   processed                 summed results_total.total
--   granted_share             予以公开
--   partially_granted_share   部分公开
--   withheld_share            不予公开 (eight rows)
--   unavailable_share         无法提供 (three rows)
--   rejected_share            不予处理 (five rows)
--   other_share               其他处理
CREATE VIEW outcome_mix AS
SELECT province_code, year, processed,
       granted / NULLIF(processed, 0) AS granted_share,
       partially_granted / NULLIF(processed, 0) AS partially_granted_share,
       withheld / NULLIF(processed, 0) AS withheld_share,
       unavailable / NULLIF(processed, 0) AS unavailable_share,
       rejected / NULLIF(processed, 0) AS rejected_share,
       other / NULLIF(processed, 0) AS other_share
FROM province_year_trends
