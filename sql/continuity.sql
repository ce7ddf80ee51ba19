-- continuity: the checks across years (SCHEMA.md §4, soft), per body and pair of consecutive years:
-- this year's carried_over against last year's carried_forward, and each sec2 row's in_force
-- against last year's in_force plus this year's issued minus this year's repealed.
-- What it answers: which bodies' reports disagree with their own previous year.
-- Counts canonical reports only (one per body and year), of bodies with a body_id, whose report of
-- the year before is in the warehouse (the body_gaps view lists the years that are not).
-- Columns:
--   body_id, province_code
--   year, report_id               this year's report
--   prev_year, prev_report_id     the report of the year before
--   item                          'carried_over', or the sec2 row and 'in_force' (normative_docs.in_force)
--   value                         this year's printed number
--   expected                      what last year's report implies
--   difference                    value - expected
--   status                        'match', 'mismatch', or 'not_assessable' when a number is not printed
CREATE VIEW continuity AS
WITH canon AS (
    SELECT report_id, body_id, province_code, year, template, carried_over, carried_forward
    FROM report_metrics
    WHERE canonical AND body_id IS NOT NULL AND year > 0
),
docs AS (
    -- The sec2 rows that count documents in force (2021 template).
    SELECT f.report_id, 'rules' AS "row",
           CAST(f.sec2_rules_issued AS DOUBLE) AS issued,
           CAST(f.sec2_rules_repealed AS DOUBLE) AS repealed,
           CAST(f.sec2_rules_in_force AS DOUBLE) AS in_force
    FROM facts f
    JOIN canon k ON k.report_id = f.report_id
    WHERE k.template = '2021'
    UNION ALL
    SELECT f.report_id, 'normative_docs' AS "row",
           CAST(f.sec2_normative_docs_issued AS DOUBLE),
           CAST(f.sec2_normative_docs_repealed AS DOUBLE),
           CAST(f.sec2_normative_docs_in_force AS DOUBLE)
    FROM facts f
    JOIN canon k ON k.report_id = f.report_id
    WHERE k.template = '2021'
),
pairs AS (
    SELECT cur.body_id, cur.province_code, cur.year, cur.report_id, cur.carried_over,
           prev.year AS prev_year, prev.report_id AS prev_report_id, prev.carried_forward AS prev_carried_forward
    FROM canon cur
    JOIN canon prev ON prev.body_id = cur.body_id AND prev.year = cur.year - 1
),
items AS (
    SELECT body_id, province_code, year, report_id, prev_year, prev_report_id,
           'carried_over' AS item, carried_over AS value, prev_carried_forward AS expected
    FROM pairs
    UNION ALL
    SELECT p.body_id, p.province_code, p.year, p.report_id, p.prev_year, p.prev_report_id,
           s."row" || '.in_force' AS item, s.in_force AS value, t.in_force + s.issued - s.repealed AS expected
    FROM pairs p
    JOIN docs s ON s.report_id = p.report_id
    JOIN docs t ON t.report_id = p.prev_report_id AND t."row" = s."row"
)
SELECT body_id, province_code, year, report_id, prev_year, prev_report_id, item, value, expected,
       value - expected AS difference,
       CASE
           WHEN value IS NULL OR expected IS NULL THEN 'not_assessable'
           WHEN value = expected THEN 'match'
           ELSE 'mismatch'
       END AS status
FROM items
