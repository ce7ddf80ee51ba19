-- applicant_mix: who applies, per province and year: the share of each applicant type among the new
-- applications received (sec3 new_received), summed over the province's reports.
-- Shares are of the summed total column; NULL when that total is 0. Blank cells add nothing.
-- Columns:
--   province_code, year
--   applications                   summed new_received.total
--   natural_person_share           自然人
--   commercial_enterprise_share    商业企业
--   research_institution_share     科研机构
--   public_welfare_org_share       社会公益组织
--   legal_service_org_share        法律服务机构
--   other_org_share                其他 (other legal persons and organisations)
CREATE VIEW applicant_mix AS
WITH sums AS (
    SELECT province_code, year,
           CAST(SUM(CASE WHEN col = 'total' THEN value END) AS DOUBLE) AS applications,
           CAST(SUM(CASE WHEN col = 'natural_person' THEN value END) AS DOUBLE) AS natural_person,
           CAST(SUM(CASE WHEN col = 'commercial_enterprise' THEN value END) AS DOUBLE) AS commercial_enterprise,
           CAST(SUM(CASE WHEN col = 'research_institution' THEN value END) AS DOUBLE) AS research_institution,
           CAST(SUM(CASE WHEN col = 'public_welfare_org' THEN value END) AS DOUBLE) AS public_welfare_org,
           CAST(SUM(CASE WHEN col = 'legal_service_org' THEN value END) AS DOUBLE) AS legal_service_org,
           CAST(SUM(CASE WHEN col = 'other_org' THEN value END) AS DOUBLE) AS other_org
    FROM cells
    WHERE section = 'sec3' AND "row" = 'new_received'
    GROUP BY province_code, year
)
SELECT province_code, year, applications,
       natural_person / NULLIF(applications, 0) AS natural_person_share,
       commercial_enterprise / NULLIF(applications, 0) AS commercial_enterprise_share,
       research_institution / NULLIF(applications, 0) AS research_institution_share,
       public_welfare_org / NULLIF(applications, 0) AS public_welfare_org_share,
       legal_service_org / NULLIF(applications, 0) AS legal_service_org_share,
       other_org / NULLIF(applications, 0) AS other_org_share
FROM sums
