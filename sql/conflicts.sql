-- conflicts: cells on which a duplicate report disagrees with the canonical report of the same
-- body and year (the duplicates view pairs them): a finding for analysts, both values shown.
-- Compared are cells both reports printed (a number, a blank or a dash); a cell one of them could
-- not read (kind text or missing) is a reading gap, not a disagreement, and is not listed.
-- Columns:
--   body_id, year, province_code
--   canonical_id, duplicate_id        the two reports (report_id)
--   section, row, col                 the cell
--   canonical_value, duplicate_value  the values (NULL for a blank or a dash)
--   canonical_raw, duplicate_raw      the text each printed
--   canonical_kind, duplicate_kind    number, blank or dash
CREATE VIEW conflicts AS
SELECT d.body_id, d.year, d.province_code, d.duplicate_of AS canonical_id, d.report_id AS duplicate_id,
       k.section, k."row", k.col,
       k.value AS canonical_value, c.value AS duplicate_value,
       k.raw AS canonical_raw, c.raw AS duplicate_raw,
       k.kind AS canonical_kind, c.kind AS duplicate_kind
FROM duplicates d
JOIN cells k ON k.report_id = d.duplicate_of
JOIN cells c ON c.report_id = d.report_id AND c.section = k.section AND c."row" = k."row" AND c.col = k.col
WHERE k.kind IN ('number', 'blank', 'dash') AND c.kind IN ('number', 'blank', 'dash')
  AND (k.value <> c.value OR (k.value IS NULL AND c.value IS NOT NULL) OR (k.value IS NOT NULL AND c.value IS NULL))
