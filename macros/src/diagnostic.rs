//! Problems found in a catalog file, rendered like rustc's own diagnostics.

use marked_yaml::Span;

/// One problem at one place of one file.
pub(crate) struct Diagnostic {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl Diagnostic {
    pub(crate) fn at(span: &Span, message: impl Into<String>) -> Self {
        let (line, column) = span
            .start()
            .map_or((1, 1), |marker| (marker.line(), marker.column()));
        Self {
            line,
            column,
            message: message.into(),
        }
    }

    pub(crate) fn at_line(line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            column,
            message: message.into(),
        }
    }

    /// `message\n  --> file:line:col\n   |\n12 | snippet\n   |     ^`
    pub(crate) fn render(&self, display_path: &str, source: &str) -> String {
        let snippet = source
            .lines()
            .nth(self.line.saturating_sub(1))
            .unwrap_or("");
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        let caret_pad = " ".repeat(self.column.saturating_sub(1));
        format!(
            "{message}\n{gutter}--> {display_path}:{line}:{column}\n{gutter} |\n{number} | {snippet}\n{gutter} | {caret_pad}^",
            message = self.message,
            line = self.line,
            column = self.column,
        )
    }
}
