-- duplicates: the reports that repeat another report of the same body and year (the same report
-- crawled as its HTML page and its PDF or DOCX attachment, or under two URLs), each beside the
-- report kept as canonical. The trend views count canonical reports only.
-- Canonical among the reports of one body_id and year: the best parse_quality (exact, ambiguous,
-- partial, failed), then the most cells read, then the format (html, docx, pdf, md, txt), then the
-- smallest report_id. Reports without a body_id or a year are never duplicates: nothing says which
-- body and year they repeat.
-- Columns:
--   report_id, source_uri, source_format, parse_quality, cells_read   the repeating report
--   duplicate_of            the canonical report's report_id
--   body_id, year, province_code
--   canonical_uri, canonical_format, canonical_quality, canonical_cells_read   the canonical report
CREATE VIEW duplicates AS
WITH ranked AS (
    SELECT report_id, body_id, year, province_code, source_uri, source_format, parse_quality, cells_read,
           ROW_NUMBER() OVER w AS place,
           FIRST_VALUE(report_id) OVER w AS canonical_id
    FROM reports
    WHERE body_id IS NOT NULL AND year > 0
    WINDOW w AS (
        PARTITION BY body_id, year
        ORDER BY CASE parse_quality WHEN 'exact' THEN 0 WHEN 'ambiguous' THEN 1 WHEN 'partial' THEN 2 ELSE 3 END,
                 cells_read DESC,
                 CASE source_format WHEN 'html' THEN 0 WHEN 'docx' THEN 1 WHEN 'pdf' THEN 2 WHEN 'md' THEN 3 ELSE 4 END,
                 report_id
    )
)
SELECT d.report_id, d.source_uri, d.source_format, d.parse_quality, d.cells_read,
       d.canonical_id AS duplicate_of, d.body_id, d.year, d.province_code,
       c.source_uri AS canonical_uri, c.source_format AS canonical_format,
       c.parse_quality AS canonical_quality, c.cells_read AS canonical_cells_read
FROM ranked d
JOIN ranked c ON c.report_id = d.canonical_id
WHERE d.place > 1
