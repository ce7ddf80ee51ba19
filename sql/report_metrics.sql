-- report_metrics: one row per report with the transparency metrics analysts compare.
-- What it answers: how many applications did each body receive and decide, how did it decide them,
-- how often was it challenged and corrected, how much did it publish proactively.
-- Blanks stay NULL: a sum over rows is NULL when any of its rows is not a number, and a rate is NULL
-- when its denominator is 0 or NULL. Both templates count: the 2019 template's single 其他处理 row
-- (other_subtotal) stands for the 2021 template's three 其他处理 rows.
-- Columns:
--   report_id        SHA-256 of the source file (joins to reports, cells, checks)
--   agency           the publishing body as printed in the title
--   body_id, body_kind  the body, stable across years and formats (NULL when not certain)
--   source_format, parse_quality, cells_read   how the report was read
--   duplicate_of     the canonical report of the same body and year when this one repeats it
--                    (see the duplicates view); NULL for canonical reports
--   canonical        true unless the report repeats another (the trend views count these only)
--   province, province_code, prefecture_code, county_code, township_code, level
--                    where the report belongs (2023 statistical division codes; province_code 00 = unknown)
--   year             the year reported on
--   template         2021, 2019 or legacy
--   applications     new applications received (sec3 new_received, total column)
--   carried_over     applications carried over from the year before (sec3 carried_over.total)
--   processed        applications decided in the year (sec3 results_total.total)
--   carried_forward  applications carried into the next year (sec3 carried_forward.total)
--   granted          disclosed in full (granted.total)
--   partially_granted  disclosed in part (partially_granted.total)
--   withheld         refused: the eight withheld_* rows (total column)
--   unavailable      could not be provided: the three unavailable_* rows
--   rejected         not processed: the five rejected_* rows
--   other            other handling: the three other_* rows, or the 2019 template's other_subtotal
--   grant_rate       (granted + partially_granted) / processed
--   withheld_rate, unavailable_rate, rejected_rate, other_rate   each group / processed
--   review_total, review_corrected            administrative reviews, and those whose result was corrected
--   litigation_total, litigation_corrected    lawsuits (direct and after review), and those corrected
--   correction_rate  (review_corrected + litigation_corrected) / (review_total + litigation_total)
--   proactive_total  items published proactively, as the narrative states it
--   checks_failed    identity checks (H1–H5) the report fails
CREATE VIEW report_metrics AS
WITH sec3_totals AS (
    SELECT report_id, "row", value
    FROM cells
    WHERE section = 'sec3' AND col = 'total'
),
grouped AS (
    SELECT report_id, value,
           CASE
               WHEN "row" LIKE 'withheld%' THEN 'withheld'
               WHEN "row" LIKE 'unavailable%' THEN 'unavailable'
               WHEN "row" LIKE 'rejected%' THEN 'rejected'
               WHEN "row" IN ('other_no_correction', 'other_fee_unpaid', 'other_misc') THEN 'other_split'
               WHEN "row" = 'other_subtotal' THEN 'other_merged'
           END AS grp
    FROM sec3_totals
),
group_sums AS (
    SELECT report_id, grp,
           CASE WHEN COUNT(value) = COUNT(*) THEN SUM(value) END AS total
    FROM grouped
    WHERE grp IS NOT NULL
    GROUP BY report_id, grp
),
sec3 AS (
    SELECT t.report_id,
           MAX(CASE WHEN t."row" = 'new_received' THEN t.value END) AS applications,
           MAX(CASE WHEN t."row" = 'carried_over' THEN t.value END) AS carried_over,
           MAX(CASE WHEN t."row" = 'results_total' THEN t.value END) AS processed,
           MAX(CASE WHEN t."row" = 'carried_forward' THEN t.value END) AS carried_forward,
           MAX(CASE WHEN t."row" = 'granted' THEN t.value END) AS granted,
           MAX(CASE WHEN t."row" = 'partially_granted' THEN t.value END) AS partially_granted
    FROM sec3_totals t
    GROUP BY t.report_id
),
groups AS (
    SELECT report_id,
           MAX(CASE WHEN grp = 'withheld' THEN total END) AS withheld,
           MAX(CASE WHEN grp = 'unavailable' THEN total END) AS unavailable,
           MAX(CASE WHEN grp = 'rejected' THEN total END) AS rejected,
           MAX(CASE WHEN grp = 'other_split' THEN total END) AS other_split,
           MAX(CASE WHEN grp = 'other_merged' THEN total END) AS other_merged,
           SUM(CASE WHEN grp = 'other_split' THEN 1 ELSE 0 END) AS has_other_split
    FROM group_sums
    GROUP BY report_id
),
sec4 AS (
    SELECT report_id,
           MAX(CASE WHEN "row" = 'review' AND col = 'total' THEN value END) AS review_total,
           MAX(CASE WHEN "row" = 'review' AND col = 'corrected' THEN value END) AS review_corrected,
           MAX(CASE WHEN "row" = 'litigation_direct' AND col = 'total' THEN value END) AS direct_total,
           MAX(CASE WHEN "row" = 'litigation_direct' AND col = 'corrected' THEN value END) AS direct_corrected,
           MAX(CASE WHEN "row" = 'litigation_after_review' AND col = 'total' THEN value END) AS after_total,
           MAX(CASE WHEN "row" = 'litigation_after_review' AND col = 'corrected' THEN value END) AS after_corrected
    FROM cells
    WHERE section = 'sec4'
    GROUP BY report_id
),
joined AS (
    SELECT r.report_id, r.agency, r.body_id, r.body_kind, r.source_format, r.parse_quality, r.cells_read,
           d.duplicate_of, r.province, r.province_code, r.prefecture_code, r.county_code,
           r.township_code, r.level, r.year, r.template, r.proactive_total, r.checks_failed,
           CAST(s.applications AS DOUBLE) AS applications,
           CAST(s.carried_over AS DOUBLE) AS carried_over,
           CAST(s.processed AS DOUBLE) AS processed,
           CAST(s.carried_forward AS DOUBLE) AS carried_forward,
           CAST(s.granted AS DOUBLE) AS granted,
           CAST(s.partially_granted AS DOUBLE) AS partially_granted,
           CAST(g.withheld AS DOUBLE) AS withheld,
           CAST(g.unavailable AS DOUBLE) AS unavailable,
           CAST(g.rejected AS DOUBLE) AS rejected,
           CAST(CASE WHEN g.has_other_split > 0 THEN g.other_split ELSE g.other_merged END AS DOUBLE) AS other,
           CAST(f.review_total AS DOUBLE) AS review_total,
           CAST(f.review_corrected AS DOUBLE) AS review_corrected,
           CAST(f.direct_total + f.after_total AS DOUBLE) AS litigation_total,
           CAST(f.direct_corrected + f.after_corrected AS DOUBLE) AS litigation_corrected
    FROM reports r
    LEFT JOIN sec3 s ON s.report_id = r.report_id
    LEFT JOIN groups g ON g.report_id = r.report_id
    LEFT JOIN sec4 f ON f.report_id = r.report_id
    LEFT JOIN duplicates d ON d.report_id = r.report_id
)
SELECT report_id, agency, body_id, body_kind, source_format, parse_quality, cells_read,
       duplicate_of, duplicate_of IS NULL AS canonical, province, province_code, prefecture_code, county_code, township_code, level,
       year, template,
       applications, carried_over, processed, carried_forward,
       granted, partially_granted, withheld, unavailable, rejected, other,
       (granted + partially_granted) / NULLIF(processed, 0) AS grant_rate,
       withheld / NULLIF(processed, 0) AS withheld_rate,
       unavailable / NULLIF(processed, 0) AS unavailable_rate,
       rejected / NULLIF(processed, 0) AS rejected_rate,
       other / NULLIF(processed, 0) AS other_rate,
       review_total, review_corrected, litigation_total, litigation_corrected,
       (review_corrected + litigation_corrected) / NULLIF(review_total + litigation_total, 0) AS correction_rate,
       proactive_total, checks_failed
FROM joined
