//! gongkai's integration tests: one binary, one module per area (see `suite/`).

mod suite;
