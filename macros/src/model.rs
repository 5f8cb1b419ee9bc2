//! Reads the YAML tree into a catalog model, collecting every schema problem on the way.

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{Node, Span};

use crate::diagnostic::Diagnostic;

/// A whole catalog file.
pub(crate) struct Catalog {
    pub(crate) provider: String,
    pub(crate) name: String,
    pub(crate) docs: Option<String>,
    pub(crate) errors: Vec<Entry>,
}

/// One error code.
pub(crate) struct Entry {
    pub(crate) span: Span,
    pub(crate) code: Option<i32>,
    pub(crate) code_span: Span,
    pub(crate) name: String,
    pub(crate) name_span: Span,
    pub(crate) message: Text,
    pub(crate) causes: Vec<Cause>,
    pub(crate) solution: Text,
    /// `source` of the solution; empty when missing (reported).
    pub(crate) solution_source: String,
    pub(crate) solution_source_span: Span,
    pub(crate) http_status: Option<u16>,
    pub(crate) http_status_span: Span,
    pub(crate) retryable: bool,
    pub(crate) raised_by: String,
    pub(crate) raised_by_span: Span,
    pub(crate) docs: Option<String>,
    pub(crate) removed: bool,
}

/// One cause of an error.
pub(crate) struct Cause {
    pub(crate) id: String,
    pub(crate) id_span: Span,
    pub(crate) text: Text,
    pub(crate) details: Vec<Text>,
    /// `source`; empty when missing (reported).
    pub(crate) source: String,
    pub(crate) source_span: Span,
}

/// A text in both languages.
#[derive(Default)]
pub(crate) struct Text {
    pub(crate) en: String,
    pub(crate) zh: String,
}

const CATALOG_KEYS: &[&str] = &["provider", "name", "docs", "errors"];
const ENTRY_KEYS: &[&str] = &[
    "code",
    "name",
    "message",
    "causes",
    "solution",
    "http_status",
    "retryable",
    "raised_by",
    "docs",
    "status",
];
const CAUSE_KEYS: &[&str] = &["id", "en", "zh", "details", "source"];
const SOLUTION_KEYS: &[&str] = &["en", "zh", "source"];
const TEXT_KEYS: &[&str] = &["en", "zh"];

/// Turns YAML nodes into the model; problems go to `diagnostics` and reading goes on.
pub(crate) struct Reader {
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Reader {
    pub(crate) fn catalog(&mut self, root: &Node) -> Catalog {
        let Some(map) = self.mapping(root, "the catalog") else {
            return Catalog {
                provider: String::new(),
                name: String::new(),
                docs: None,
                errors: Vec::new(),
            };
        };
        self.known_keys(map, CATALOG_KEYS, "the catalog");
        let provider = self.required_string(map, "provider", "the catalog");
        let name = self.required_string(map, "name", "the catalog");
        let docs = self.optional_string(map, "docs");
        let errors = match map.get_node("errors") {
            None => {
                self.diagnostics.push(Diagnostic::at(
                    map.span(),
                    "the catalog has no `errors` list",
                ));
                Vec::new()
            }
            Some(Node::Sequence(items)) => {
                items.iter().filter_map(|item| self.entry(item)).collect()
            }
            Some(other) => {
                self.diagnostics.push(Diagnostic::at(
                    other.span(),
                    "`errors` must be a list of entries",
                ));
                Vec::new()
            }
        };
        Catalog {
            provider,
            name,
            docs,
            errors,
        }
    }

    fn entry(&mut self, node: &Node) -> Option<Entry> {
        let map = self.mapping(node, "an error entry")?;
        self.known_keys(map, ENTRY_KEYS, "an error entry");
        let code_node = map.get_scalar("code");
        let code = match code_node {
            None => {
                self.diagnostics
                    .push(Diagnostic::at(map.span(), "error entry has no `code`"));
                None
            }
            Some(scalar) => match scalar.as_i32() {
                Some(code) => Some(code),
                None => {
                    self.diagnostics.push(Diagnostic::at(
                        scalar.span(),
                        format!(
                            "`code` must be a 32-bit signed integer, found `{}`",
                            scalar.as_str()
                        ),
                    ));
                    None
                }
            },
        };
        let context = match code {
            Some(code) => format!("error {code}"),
            None => "an error entry".to_owned(),
        };
        let name_node = map.get_scalar("name");
        let name = self.required_string(map, "name", &context);
        let message = self.required_text(map, "message", TEXT_KEYS, &context);
        let causes = self.causes(map, &context);
        let solution = self.required_text(map, "solution", SOLUTION_KEYS, &context);
        let solution_node = map.get_node("solution").and_then(Node::as_mapping);
        let (solution_source, solution_source_span) = match solution_node {
            Some(solution) => self.source(
                solution,
                &format!("the solution of {context} has no `source`"),
            ),
            // A missing or malformed `solution` is reported already.
            None => (String::new(), *map.span()),
        };
        let http_node = map.get_scalar("http_status");
        let http_status = match http_node {
            None => {
                self.diagnostics.push(Diagnostic::at(
                    map.span(),
                    format!("{context} has no `http_status`"),
                ));
                None
            }
            Some(scalar) => match scalar.as_u16() {
                Some(status) => Some(status),
                None => {
                    self.diagnostics.push(Diagnostic::at(
                        scalar.span(),
                        format!(
                            "`http_status` must be a number from 100 to 599, found `{}`",
                            scalar.as_str()
                        ),
                    ));
                    None
                }
            },
        };
        let retryable = match map.get_scalar("retryable") {
            None => {
                self.diagnostics.push(Diagnostic::at(
                    map.span(),
                    format!("{context} has no `retryable`"),
                ));
                false
            }
            Some(scalar) => scalar.as_bool().unwrap_or_else(|| {
                self.diagnostics.push(Diagnostic::at(
                    scalar.span(),
                    format!(
                        "`retryable` must be `true` or `false`, found `{}`",
                        scalar.as_str()
                    ),
                ));
                false
            }),
        };
        let raised_by_node = map.get_scalar("raised_by");
        let raised_by = self.required_string(map, "raised_by", &context);
        let docs = self.optional_string(map, "docs");
        let removed = match map.get_scalar("status") {
            None => false,
            Some(scalar) if scalar.as_str() == "removed" => true,
            Some(scalar) => {
                self.diagnostics.push(Diagnostic::at(
                    scalar.span(),
                    format!(
                        "`status` can only be `removed`, found `{}`",
                        scalar.as_str()
                    ),
                ));
                false
            }
        };
        Some(Entry {
            span: *map.span(),
            code,
            code_span: span_of(code_node, map),
            name,
            name_span: span_of(name_node, map),
            message,
            causes,
            solution,
            solution_source,
            solution_source_span,
            http_status,
            http_status_span: span_of(http_node, map),
            retryable,
            raised_by,
            raised_by_span: span_of(raised_by_node, map),
            docs,
            removed,
        })
    }

    fn causes(&mut self, map: &MarkedMappingNode, context: &str) -> Vec<Cause> {
        match map.get_node("causes") {
            None => {
                self.diagnostics.push(Diagnostic::at(
                    map.span(),
                    format!("{context} has no `causes`"),
                ));
                Vec::new()
            }
            Some(Node::Sequence(items)) => items
                .iter()
                .filter_map(|item| self.cause(item, context))
                .collect(),
            Some(other) => {
                self.diagnostics
                    .push(Diagnostic::at(other.span(), "`causes` must be a list"));
                Vec::new()
            }
        }
    }

    fn cause(&mut self, node: &Node, context: &str) -> Option<Cause> {
        let map = self.mapping(node, "a cause")?;
        self.known_keys(map, CAUSE_KEYS, "a cause");
        let id_node = map.get_scalar("id");
        let id = self.required_string(map, "id", &format!("a cause of {context}"));
        let text = self.text_fields(map, &format!("cause `{id}` of {context}"));
        let details = match map.get_node("details") {
            None => Vec::new(),
            Some(Node::Sequence(items)) => items
                .iter()
                .filter_map(|item| {
                    let detail = self.mapping(item, "a detail")?;
                    self.known_keys(detail, TEXT_KEYS, "a detail");
                    Some(self.text_fields(detail, &format!("a detail of cause `{id}`")))
                })
                .collect(),
            Some(other) => {
                self.diagnostics
                    .push(Diagnostic::at(other.span(), "`details` must be a list"));
                Vec::new()
            }
        };
        let (source, source_span) =
            self.source(map, &format!("cause `{id}` of {context} has no `source`"));
        Some(Cause {
            id,
            id_span: span_of(id_node, map),
            text,
            details,
            source,
            source_span,
        })
    }

    /// The `source` key of a cause or a solution: its value (checked in `validate`) and span.
    fn source(&mut self, map: &MarkedMappingNode, missing: &str) -> (String, Span) {
        match map.get_node("source") {
            Some(Node::Scalar(scalar)) => (scalar.as_str().to_owned(), *scalar.span()),
            Some(other) => {
                self.diagnostics.push(Diagnostic::at(
                    other.span(),
                    "`source` must be a plain value",
                ));
                (String::new(), *other.span())
            }
            None => {
                self.diagnostics.push(Diagnostic::at(map.span(), missing));
                (String::new(), *map.span())
            }
        }
    }

    fn required_text(
        &mut self,
        map: &MarkedMappingNode,
        key: &str,
        allowed: &[&str],
        context: &str,
    ) -> Text {
        match map.get_node(key) {
            None => {
                self.diagnostics.push(Diagnostic::at(
                    map.span(),
                    format!("{context} has no `{key}`"),
                ));
                Text::default()
            }
            Some(node) => match self.mapping(node, &format!("`{key}`")) {
                Some(text) => {
                    self.known_keys(text, allowed, &format!("`{key}`"));
                    self.text_fields(text, &format!("`{key}` of {context}"))
                }
                None => Text::default(),
            },
        }
    }

    fn text_fields(&mut self, map: &MarkedMappingNode, context: &str) -> Text {
        let mut language = |lang: &str, name: &str| match map.get_scalar(lang) {
            Some(scalar) if !scalar.as_str().trim().is_empty() => scalar.as_str().to_owned(),
            Some(scalar) => {
                self.diagnostics.push(Diagnostic::at(
                    scalar.span(),
                    format!("the {name} text of {context} is empty"),
                ));
                String::new()
            }
            None => {
                self.diagnostics.push(Diagnostic::at(
                    map.span(),
                    format!("{context} has no `{lang}` ({name}) translation"),
                ));
                String::new()
            }
        };
        let en = language("en", "English");
        let zh = language("zh", "Chinese");
        Text { en, zh }
    }

    fn required_string(&mut self, map: &MarkedMappingNode, key: &str, context: &str) -> String {
        match map.get_node(key) {
            Some(Node::Scalar(scalar)) => scalar.as_str().to_owned(),
            Some(other) => {
                self.diagnostics.push(Diagnostic::at(
                    other.span(),
                    format!("`{key}` must be a plain value"),
                ));
                String::new()
            }
            None => {
                self.diagnostics.push(Diagnostic::at(
                    map.span(),
                    format!("{context} has no `{key}`"),
                ));
                String::new()
            }
        }
    }

    fn optional_string(&mut self, map: &MarkedMappingNode, key: &str) -> Option<String> {
        match map.get_node(key)? {
            Node::Scalar(scalar) => Some(scalar.as_str().to_owned()),
            other => {
                self.diagnostics.push(Diagnostic::at(
                    other.span(),
                    format!("`{key}` must be a plain value"),
                ));
                None
            }
        }
    }

    fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n MarkedMappingNode> {
        let mapping = node.as_mapping();
        if mapping.is_none() {
            self.diagnostics.push(Diagnostic::at(
                node.span(),
                format!("{what} must be a mapping of keys to values"),
            ));
        }
        mapping
    }

    fn known_keys(&mut self, map: &MarkedMappingNode, allowed: &[&str], what: &str) {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.diagnostics.push(Diagnostic::at(
                    key.span(),
                    format!(
                        "unknown key `{}` in {what}; expected one of: {}",
                        key.as_str(),
                        allowed.join(", ")
                    ),
                ));
            }
        }
    }
}

fn span_of(node: Option<&MarkedScalarNode>, fallback: &MarkedMappingNode) -> Span {
    node.map_or(*fallback.span(), |scalar| *scalar.span())
}
