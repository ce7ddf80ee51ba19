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
    SELECT m.report_id, m.body_id, m.province_code, m.year, m.template, m.carried_over, m.carried_forward,
           CAST(f.sec2_rules_issued AS DOUBLE) AS rules_issued,
           CAST(f.sec2_rules_repealed AS DOUBLE) AS rules_repealed,
           CAST(f.sec2_rules_in_force AS DOUBLE) AS rules_in_force,
           CAST(f.sec2_normative_docs_issued AS DOUBLE) AS docs_issued,
           CAST(f.sec2_normative_docs_repealed AS DOUBLE) AS docs_repealed,
           CAST(f.sec2_normative_docs_in_force AS DOUBLE) AS docs_in_force
    FROM report_metrics m
    JOIN facts f ON f.report_id = m.report_id
    WHERE m.canonical AND m.body_id IS NOT NULL AND m.year > 0
),
-- Each report beside the body's previous one, in one pass (no self-join).
paired AS (
    SELECT *,
           LAG(year) OVER w AS prev_year,
           LAG(report_id) OVER w AS prev_report_id,
           LAG(template) OVER w AS prev_template,
           LAG(carried_forward) OVER w AS prev_carried_forward,
           LAG(rules_in_force) OVER w AS prev_rules_in_force,
           LAG(docs_in_force) OVER w AS prev_docs_in_force
    FROM canon
    WINDOW w AS (PARTITION BY body_id ORDER BY year)
),
-- One row per item; the in_force items only between two 2021-template reports (the 2019
-- template counts documents differently).
items AS (
    SELECT p.body_id, p.province_code, p.year, p.report_id, p.prev_year, p.prev_report_id, k.item,
           CASE k.item
               WHEN 'carried_over' THEN p.carried_over
               WHEN 'rules.in_force' THEN p.rules_in_force
               ELSE p.docs_in_force
           END AS value,
           CASE k.item
               WHEN 'carried_over' THEN p.prev_carried_forward
               WHEN 'rules.in_force' THEN p.prev_rules_in_force + p.rules_issued - p.rules_repealed
               ELSE p.prev_docs_in_force + p.docs_issued - p.docs_repealed
           END AS expected
    FROM paired p
    CROSS JOIN (VALUES ('carried_over'), ('rules.in_force'), ('normative_docs.in_force')) AS k(item)
    WHERE p.prev_year = p.year - 1
      AND (k.item = 'carried_over' OR (p.template = '2021' AND p.prev_template = '2021'))
)
SELECT body_id, province_code, year, report_id, prev_year, prev_report_id, item, value, expected,
       value - expected AS difference,
       CASE
           WHEN value IS NULL OR expected IS NULL THEN 'not_assessable'
           WHEN value = expected THEN 'match'
           ELSE 'mismatch'
       END AS status
FROM items
