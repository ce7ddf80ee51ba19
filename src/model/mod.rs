//! Pure data types shared by every stage: the document grid that readers produce, and the canonical
//! report of docs/schema.md that the mapper fills. No I/O here.

pub mod cell;
mod grid;
mod report;

pub use cell::{Cell, CellKind};
pub use grid::{Document, Row, RowKind, SourceFormat, Span, file_extension};
pub use report::{Check, CheckStatus, Level, ParseQuality, Region, Report, Table, TableRow, Template};
