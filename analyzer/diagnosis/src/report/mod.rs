//! Reports: one [`model::Report`] built from the diagnosis, rendered as text, JSON, Markdown or
//! one self-contained HTML page. Every string that came from an input is escaped by the
//! renderer that needs it (HTML, Markdown); the JSON report validates against
//! `schemas/json/report.v1.schema.json`.

pub mod build;
pub mod html;
pub mod markdown;
pub mod text;

pub use build::build_report;
pub use rdpdiag_schemas::report::Report;

/// Output formats of `rdpdiag analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain text for a terminal.
    Text,
    /// JSON (schema: report.v1).
    Json,
    /// Markdown for a ticket system.
    Md,
    /// One self-contained HTML page with a two-lane timeline per attempt.
    Html,
}

/// Renders a report.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text::render(report),
        Format::Json => {
            serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        }
        Format::Md => markdown::render(report),
        Format::Html => html::render(report),
    }
}
