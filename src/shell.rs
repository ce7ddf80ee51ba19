//! `gongkai sql`: an interactive SQL shell over the catalog. Statements may span lines and end with
//! `;`; `\d` lists tables and views, `\d NAME` describes one, `\q` quits. On a terminal it keeps a
//! history file; otherwise it reads statements from standard input, so it also runs scripts.

use std::io::{BufRead, IsTerminal, Write};

use datafusion::prelude::SessionContext;
use rustyline::error::ReadlineError;

use crate::query::{self, OutputFormat};

const HELP: &str = "\\d            list tables and views\n\\d NAME       describe a table or view\n\\q            quit\nSQL ending in ; runs it (statements may span lines)";

/// What one input line asks for.
enum Input {
    /// A whole statement (or a backslash command) to run.
    Run(String),
    /// Part of a statement; more lines follow.
    More,
    Quit,
}

/// Accumulates lines into statements.
#[derive(Default)]
struct Statement {
    buffer: String,
}

impl Statement {
    fn push(&mut self, line: &str) -> Input {
        let trimmed = line.trim();
        if self.buffer.is_empty() {
            if trimmed.is_empty() {
                return Input::More;
            }
            if matches!(trimmed, "\\q" | "quit" | "exit") {
                return Input::Quit;
            }
            if trimmed.starts_with('\\') {
                return Input::Run(trimmed.to_string());
            }
        }
        self.buffer.push_str(line);
        self.buffer.push('\n');
        if trimmed.ends_with(';') { Input::Run(std::mem::take(&mut self.buffer)) } else { Input::More }
    }
}

/// Run the shell until `\q` or end of input. Errors in a statement are printed and the shell goes
/// on. Returns how many statements read from standard input (not a terminal) failed, so that a
/// script that went wrong exits non-zero; an interactive session returns 0.
pub async fn run(ctx: &SessionContext, history: Option<std::path::PathBuf>) -> anyhow::Result<usize> {
    let mut statement = Statement::default();
    let mut failed = 0;
    if std::io::stdin().is_terminal() {
        let mut editor = rustyline::DefaultEditor::new()?;
        if let Some(path) = &history {
            let _ = editor.load_history(path);
        }
        println!("gongkai sql: tables reports, cells, checks, quarantine and the views of sql/. \\? for help.");
        loop {
            let prompt = if statement.buffer.is_empty() { "gongkai> " } else { "     ...> " };
            match editor.readline(prompt) {
                Ok(line) => {
                    let _ = editor.add_history_entry(line.as_str());
                    match statement.push(&line) {
                        Input::Run(sql) => {
                            execute(ctx, &sql, &mut std::io::stdout()).await;
                        }
                        Input::More => {}
                        Input::Quit => break,
                    }
                }
                Err(ReadlineError::Interrupted) => statement.buffer.clear(),
                Err(ReadlineError::Eof) => break,
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(path) = &history {
            let _ = editor.save_history(path);
        }
    } else {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            match statement.push(&line?) {
                Input::Run(sql) => failed += usize::from(!execute(ctx, &sql, &mut std::io::stdout()).await),
                Input::More => {}
                Input::Quit => break,
            }
        }
        if !statement.buffer.trim().is_empty() {
            let sql = std::mem::take(&mut statement.buffer);
            failed += usize::from(!execute(ctx, &sql, &mut std::io::stdout()).await);
        }
    }
    Ok(failed)
}

/// Run a statement or backslash command, printing its result or its error; false when it failed.
async fn execute(ctx: &SessionContext, input: &str, out: &mut dyn Write) -> bool {
    let sql = match input.trim() {
        "\\?" | "\\h" | "help" => {
            let _ = writeln!(out, "{HELP}");
            return true;
        }
        "\\d" => "SELECT table_name, table_type FROM information_schema.tables \
                  WHERE table_schema = 'public' ORDER BY table_type, table_name"
            .to_string(),
        cmd if cmd.starts_with("\\d ") => {
            let name = cmd[3..].trim().replace('\'', "''");
            format!(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{name}' ORDER BY ordinal_position"
            )
        }
        cmd if cmd.starts_with('\\') => {
            let _ = writeln!(out, "unknown command {cmd}; \\? for help");
            return false;
        }
        sql => sql.to_string(),
    };
    match query::run(ctx, &sql).await {
        Ok(result) => {
            let written = query::write(&result, OutputFormat::Table, out);
            if let Err(e) = &written {
                let _ = writeln!(out, "error: {e}");
            }
            let _ = writeln!(out, "({} row{})", result.num_rows(), if result.num_rows() == 1 { "" } else { "s" });
            written.is_ok()
        }
        Err(e) => {
            let _ = writeln!(out, "error: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_span_lines_and_commands_stand_alone() {
        let mut s = Statement::default();
        assert!(matches!(s.push("SELECT 1,"), Input::More));
        assert!(matches!(s.push("  2;"), Input::Run(sql) if sql == "SELECT 1,\n  2;\n"));
        assert!(matches!(s.push("\\d reports"), Input::Run(cmd) if cmd == "\\d reports"));
        assert!(matches!(s.push(""), Input::More));
        assert!(matches!(s.push("\\q"), Input::Quit));
    }
}
