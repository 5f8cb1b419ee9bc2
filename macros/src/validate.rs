//! Checks that need the whole model: duplicates, identifiers, ranges and enumerations.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::model::Catalog;

const RAISED_BY: &[&str] = &["jsapi", "jsapi_errno", "server_api", "middleware"];
/// The values of `source` on a cause or a solution (`silent_login_catalog::Source`).
pub(crate) const SOURCES: &[&str] = &["seed", "reference", "inferred", "silent_login"];

/// Every problem of the catalog as a whole, after the schema was read.
pub(crate) fn validate(catalog: &Catalog, diagnostics: &mut Vec<Diagnostic>) {
    if !catalog.provider.is_empty() && !is_provider_id(&catalog.provider) {
        diagnostics.push(Diagnostic::at_line(
            1,
            1,
            format!(
                "provider id `{}` must be lowercase letters, digits and `-`",
                catalog.provider
            ),
        ));
    }
    let mut codes: HashMap<i32, usize> = HashMap::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    for entry in &catalog.errors {
        let line = |span: &marked_yaml::Span| span.start().map_or(0, |marker| marker.line());
        if let Some(code) = entry.code {
            if let Some(first) = codes.insert(code, line(&entry.code_span)) {
                diagnostics.push(Diagnostic::at(
                    &entry.code_span,
                    format!("duplicate code {code} (first defined on line {first})"),
                ));
            }
        }
        if !entry.name.is_empty() {
            if !is_upper_camel_ident(&entry.name) {
                diagnostics.push(Diagnostic::at(
                    &entry.name_span,
                    format!("`{}` is not an UpperCamelCase Rust identifier", entry.name),
                ));
            }
            if let Some(first) = names.insert(&entry.name, line(&entry.name_span)) {
                diagnostics.push(Diagnostic::at(
                    &entry.name_span,
                    format!(
                        "duplicate name `{}` (first defined on line {first})",
                        entry.name
                    ),
                ));
            }
        }
        if let Some(status) = entry.http_status {
            if !(100..=599).contains(&status) {
                diagnostics.push(Diagnostic::at(
                    &entry.http_status_span,
                    format!("http_status {status} is out of range (100 to 599)"),
                ));
            }
        }
        if !entry.raised_by.is_empty() && !RAISED_BY.contains(&entry.raised_by.as_str()) {
            diagnostics.push(Diagnostic::at(
                &entry.raised_by_span,
                format!(
                    "raised_by `{}` is not one of: {}",
                    entry.raised_by,
                    RAISED_BY.join(", ")
                ),
            ));
        }
        if entry.causes.is_empty() {
            diagnostics.push(Diagnostic::at(
                &entry.span,
                "an error entry needs at least one cause",
            ));
        }
        let context = match entry.code {
            Some(code) => format!("error {code}"),
            None => "an error entry".to_owned(),
        };
        if !entry.solution_source.is_empty() && !SOURCES.contains(&entry.solution_source.as_str()) {
            diagnostics.push(Diagnostic::at(
                &entry.solution_source_span,
                format!(
                    "source `{}` of the solution of {context} is not one of: {}",
                    entry.solution_source,
                    SOURCES.join(", ")
                ),
            ));
        }
        let mut cause_ids: HashMap<&str, ()> = HashMap::new();
        for cause in &entry.causes {
            if !cause.source.is_empty() && !SOURCES.contains(&cause.source.as_str()) {
                diagnostics.push(Diagnostic::at(
                    &cause.source_span,
                    format!(
                        "source `{}` of cause `{}` of {context} is not one of: {}",
                        cause.source,
                        cause.id,
                        SOURCES.join(", ")
                    ),
                ));
            }
            if !is_snake_id(&cause.id) {
                diagnostics.push(Diagnostic::at(
                    &cause.id_span,
                    format!("cause id `{}` must be snake_case", cause.id),
                ));
            } else if cause_ids.insert(&cause.id, ()).is_some() {
                diagnostics.push(Diagnostic::at(
                    &cause.id_span,
                    format!("duplicate cause id `{}`", cause.id),
                ));
            }
        }
    }
}

fn is_provider_id(id: &str) -> bool {
    id.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_upper_camel_ident(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric())
        && name != "Self"
}

fn is_snake_id(id: &str) -> bool {
    id.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
