-- body_gaps: the years for which a body has no report in the warehouse, between its first and its
-- last report (the rows of body_years without a report).
-- Years are those the warehouse has reports for. Bodies with a body_id only.
-- Columns:
--   body_id, name, province_code   the body (name from the bodies table)
--   year                           the year without a report
--   first_year, last_year          the body's first and last years with a report
CREATE VIEW body_gaps AS
SELECT e.body_id, b.name, e.province_code, e.year, e.first_year, e.last_year
FROM body_years e
LEFT JOIN bodies b ON b.body_id = e.body_id
WHERE NOT e.reported
