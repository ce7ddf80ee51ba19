-- report_metrics: one row per report with the transparency metrics analysts compare.
-- What it answers: how many applications did each body receive and decide, how did it decide them,
-- how often was it challenged and corrected, how much did it publish proactively.
-- Blanks stay NULL: a sum over rows is NULL when any of its rows is not a number, and a rate is NULL
-- when its denominator is 0 or NULL. Both templates count: the 2019 template's single 其他处理 row
-- (other_subtotal) stands for the 2021 template's three 其他处理 rows.
-- Reads the facts table (one row per report, a column per cell), not the cells table.
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
WITH joined AS (
    SELECT r.report_id, r.agency, r.body_id, r.body_kind, r.source_format, r.parse_quality, r.cells_read,
           d.duplicate_of, r.province, r.province_code, r.prefecture_code, r.county_code,
           r.township_code, r.level, r.year, r.template, r.proactive_total, r.checks_failed,
           CAST(f.sec3_new_received_total AS DOUBLE) AS applications,
           CAST(f.sec3_carried_over_total AS DOUBLE) AS carried_over,
           CAST(f.sec3_results_total_total AS DOUBLE) AS processed,
           CAST(f.sec3_carried_forward_total AS DOUBLE) AS carried_forward,
           CAST(f.sec3_granted_total AS DOUBLE) AS granted,
           CAST(f.sec3_partially_granted_total AS DOUBLE) AS partially_granted,
           -- A group is the sum of its rows, NULL when any row is not a number.
           CAST(f.sec3_withheld_state_secret_total
               + f.sec3_withheld_law_prohibited_total
               + f.sec3_withheld_security_stability_total
               + f.sec3_withheld_third_party_total
               + f.sec3_withheld_internal_affairs_total
               + f.sec3_withheld_process_info_total
               + f.sec3_withheld_enforcement_file_total
               + f.sec3_withheld_admin_query_total AS DOUBLE) AS withheld,
           CAST(f.sec3_unavailable_not_held_total
               + f.sec3_unavailable_needs_creation_total
               + f.sec3_unavailable_unclear_total AS DOUBLE) AS unavailable,
           CAST(f.sec3_rejected_petition_total
               + f.sec3_rejected_duplicate_total
               + f.sec3_rejected_publication_total
               + f.sec3_rejected_excessive_total
               + f.sec3_rejected_confirm_reissue_total AS DOUBLE) AS rejected,
           -- The 2021 template's three 其他处理 rows, or the merged row where a report prints that.
           CAST(COALESCE(f.sec3_other_no_correction_total
               + f.sec3_other_fee_unpaid_total
               + f.sec3_other_misc_total,
                         f.sec3_other_subtotal_total) AS DOUBLE) AS other,
           CAST(f.sec4_review_total AS DOUBLE) AS review_total,
           CAST(f.sec4_review_corrected AS DOUBLE) AS review_corrected,
           CAST(f.sec4_litigation_direct_total + f.sec4_litigation_after_review_total AS DOUBLE) AS litigation_total,
           CAST(f.sec4_litigation_direct_corrected + f.sec4_litigation_after_review_corrected AS DOUBLE)
               AS litigation_corrected
    FROM reports r
    LEFT JOIN facts f ON f.report_id = r.report_id
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
