-- applicant_mix: who applies, per province and year: the share of each applicant type among the new
-- applications received (sec3 new_received), over the province's reports.
-- Each share sums the applicant column and the total column over the same reports, those that
-- printed both (a blank cell counts in neither), and its *_reports column says how many reports
-- that is. Shares are NULL when that total is 0.
-- Counts canonical reports only: one report per body and year (the duplicates view lists the others).
-- Columns:
--   province_code, year
--   applications                   summed new_received.total
--   natural_person_share           自然人
--   commercial_enterprise_share    商业企业
--   research_institution_share     科研机构
--   public_welfare_org_share       社会公益组织
--   legal_service_org_share        法律服务机构
--   other_org_share                其他 (other legal persons and organisations)
--   natural_person_share_reports, commercial_enterprise_share_reports, research_institution_share_reports,
--   public_welfare_org_share_reports, legal_service_org_share_reports, other_org_share_reports
--                                  reports each share covers
CREATE VIEW applicant_mix AS
WITH per_report AS (
    SELECT f.report_id, f.province_code, f.year,
           CAST(f.sec3_new_received_total AS DOUBLE) AS total,
           CAST(f.sec3_new_received_natural_person AS DOUBLE) AS natural_person,
           CAST(f.sec3_new_received_commercial_enterprise AS DOUBLE) AS commercial_enterprise,
           CAST(f.sec3_new_received_research_institution AS DOUBLE) AS research_institution,
           CAST(f.sec3_new_received_public_welfare_org AS DOUBLE) AS public_welfare_org,
           CAST(f.sec3_new_received_legal_service_org AS DOUBLE) AS legal_service_org,
           CAST(f.sec3_new_received_other_org AS DOUBLE) AS other_org
    FROM facts f
    LEFT JOIN duplicates d ON d.report_id = f.report_id
    WHERE d.report_id IS NULL
),
pairs AS (
    -- Each share's numerator and denominator, both NULL unless the report printed both.
    SELECT province_code, year, total,
           CASE WHEN total IS NOT NULL THEN natural_person END AS natural_person_num,
           CASE WHEN natural_person IS NOT NULL THEN total END AS natural_person_den,
           CASE WHEN total IS NOT NULL THEN commercial_enterprise END AS commercial_enterprise_num,
           CASE WHEN commercial_enterprise IS NOT NULL THEN total END AS commercial_enterprise_den,
           CASE WHEN total IS NOT NULL THEN research_institution END AS research_institution_num,
           CASE WHEN research_institution IS NOT NULL THEN total END AS research_institution_den,
           CASE WHEN total IS NOT NULL THEN public_welfare_org END AS public_welfare_org_num,
           CASE WHEN public_welfare_org IS NOT NULL THEN total END AS public_welfare_org_den,
           CASE WHEN total IS NOT NULL THEN legal_service_org END AS legal_service_org_num,
           CASE WHEN legal_service_org IS NOT NULL THEN total END AS legal_service_org_den,
           CASE WHEN total IS NOT NULL THEN other_org END AS other_org_num,
           CASE WHEN other_org IS NOT NULL THEN total END AS other_org_den
    FROM per_report
)
SELECT province_code, year, SUM(total) AS applications,
       SUM(natural_person_num) / NULLIF(SUM(natural_person_den), 0) AS natural_person_share,
       SUM(commercial_enterprise_num) / NULLIF(SUM(commercial_enterprise_den), 0) AS commercial_enterprise_share,
       SUM(research_institution_num) / NULLIF(SUM(research_institution_den), 0) AS research_institution_share,
       SUM(public_welfare_org_num) / NULLIF(SUM(public_welfare_org_den), 0) AS public_welfare_org_share,
       SUM(legal_service_org_num) / NULLIF(SUM(legal_service_org_den), 0) AS legal_service_org_share,
       SUM(other_org_num) / NULLIF(SUM(other_org_den), 0) AS other_org_share,
       COUNT(natural_person_num) AS natural_person_share_reports,
       COUNT(commercial_enterprise_num) AS commercial_enterprise_share_reports,
       COUNT(research_institution_num) AS research_institution_share_reports,
       COUNT(public_welfare_org_num) AS public_welfare_org_share_reports,
       COUNT(legal_service_org_num) AS legal_service_org_share_reports,
       COUNT(other_org_num) AS other_org_share_reports
FROM pairs
GROUP BY province_code, year
