//! Model → tokens: the enum, its inherent API, and the trait impls; or the fallback on error.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::diagnostic::Diagnostic;
use crate::input::CatalogInput;
use crate::model::{Catalog, Entry, Reader, Text};
use crate::validate::validate;

/// Expands one `catalog!` call.
pub(crate) fn catalog(input: &CatalogInput, call_site_file: Option<&Path>) -> TokenStream {
    let requested = input.path.value();
    let path = resolve(&requested, call_site_file);
    let fallback_name = input
        .name
        .clone()
        .unwrap_or_else(|| format_ident!("CatalogCode"));
    let source = match std::fs::read_to_string(&path) {
        Ok(source) => source,
        Err(error) => {
            let message = format!("cannot read catalog file `{}`: {error}", path.display());
            let error = syn::Error::new(input.path.span(), message).to_compile_error();
            let fallback = fallback(&fallback_name, None);
            return quote! { #error #fallback };
        }
    };
    let tracked = path.to_string_lossy().into_owned();
    let display_path = display_path(&path);
    let options = marked_yaml::LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(false);
    let mut diagnostics = Vec::new();
    let model = match marked_yaml::parse_yaml_with_options(0, &source, options) {
        Ok(root) => {
            let mut reader = Reader {
                diagnostics: Vec::new(),
            };
            let model = reader.catalog(&root);
            diagnostics = reader.diagnostics;
            validate(&model, &mut diagnostics);
            Some(model)
        }
        Err(error) => {
            diagnostics.push(load_error(&error));
            None
        }
    };
    let enum_name = input
        .name
        .clone()
        .or_else(|| model.as_ref().and_then(|model| derived_name(&model.name)))
        .unwrap_or(fallback_name);
    match model {
        Some(model) if diagnostics.is_empty() => generate(&model, &enum_name, &tracked, &requested),
        _ => {
            let errors = diagnostics.iter().map(|diagnostic| {
                let message = diagnostic.render(&display_path, &source);
                quote::quote_spanned! { input.path.span() => ::core::compile_error!(#message); }
            });
            let fallback = fallback(&enum_name, Some(&tracked));
            quote! { #(#errors)* #fallback }
        }
    }
}

/// The path relative to the invoking crate's manifest directory, else next to the calling file.
fn resolve(requested: &str, call_site_file: Option<&Path>) -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let from_manifest = manifest_dir.join(requested);
    if from_manifest.exists() {
        return from_manifest;
    }
    call_site_file
        .and_then(Path::parent)
        .map(|dir| dir.join(requested))
        .filter(|candidate| candidate.exists())
        .unwrap_or(from_manifest)
}

/// Relative to the directory rustc runs in (the workspace root under cargo) when possible.
fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

fn load_error(error: &marked_yaml::LoadError) -> Diagnostic {
    use marked_yaml::LoadError;
    let (marker, message) = match error {
        LoadError::TopLevelMustBeMapping(marker) => {
            (*marker, "the catalog must be a mapping".to_owned())
        }
        LoadError::TopLevelMustBeSequence(marker) => {
            (*marker, "unexpected top-level sequence".to_owned())
        }
        LoadError::UnexpectedAnchor(marker) => {
            (*marker, "YAML anchors are not supported".to_owned())
        }
        LoadError::MappingKeyMustBeScalar(marker) => {
            (*marker, "mapping keys must be plain values".to_owned())
        }
        LoadError::UnexpectedTag(marker) => (*marker, "YAML tags are not supported".to_owned()),
        LoadError::ScanError(marker, scan) => {
            (*marker, format!("YAML syntax error: {}", scan.info()))
        }
        LoadError::DuplicateKey(inner) => {
            let marker = inner
                .key
                .span()
                .start()
                .copied()
                .unwrap_or_else(|| marked_yaml::Marker::new(0, 0, 1, 1));
            (marker, format!("duplicate key `{}`", inner.key.as_str()))
        }
    };
    Diagnostic::at_line(marker.line().max(1), marker.column().max(1), message)
}

/// `DingTalk` → `DingTalkCode`; `silent-login` → `SilentLoginCode`.
fn derived_name(display_name: &str) -> Option<Ident> {
    let mut name = String::new();
    for word in display_name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    name.push_str("Code");
    Some(Ident::new(&name, Span::call_site()))
}

/// Keeps cargo watching the file even when the expansion failed.
fn track(path: &str) -> TokenStream {
    quote! { const _: &[u8] = ::core::include_bytes!(#path); }
}

fn fallback(name: &Ident, tracked: Option<&str>) -> TokenStream {
    let track = tracked.map(track);
    quote! {
        #track
        /// This catalog failed to compile; see the errors above.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum #name {}
        #[automatically_derived]
        impl #name {
            /// No entries: the catalog failed to compile.
            pub const ALL: &'static [Self] = &[];
        }
    }
}

fn text(text: &Text) -> TokenStream {
    let (en, zh) = (&text.en, &text.zh);
    quote! { ::silent_login_catalog::Text::new(#en, #zh) }
}

/// `seed` → `Source::Seed`, …; anything else was reported by `validate` and never expands.
fn source(value: &str) -> TokenStream {
    match value {
        "seed" => quote! { ::silent_login_catalog::Source::Seed },
        "reference" => quote! { ::silent_login_catalog::Source::Reference },
        "silent_login" => quote! { ::silent_login_catalog::Source::SilentLogin },
        _ => quote! { ::silent_login_catalog::Source::Inferred },
    }
}

fn entry_tokens(provider: &str, entry: &Entry) -> TokenStream {
    let code = entry.code.unwrap_or_default();
    let name = &entry.name;
    let message = text(&entry.message);
    let solution = text(&entry.solution);
    let causes = entry.causes.iter().map(|cause| {
        let id = &cause.id;
        let text = text(&cause.text);
        let details = cause.details.iter().map(self::text);
        let source = source(&cause.source);
        quote! { ::silent_login_catalog::Cause::new(#id, #text, &[#(#details),*], #source) }
    });
    let solution_source = source(&entry.solution_source);
    let http_status = entry.http_status.unwrap_or(500);
    let retryable = entry.retryable;
    let raised_by = match entry.raised_by.as_str() {
        "jsapi" => quote! { ::silent_login_catalog::RaisedBy::Jsapi },
        "jsapi_errno" => quote! { ::silent_login_catalog::RaisedBy::JsapiErrno },
        "middleware" => quote! { ::silent_login_catalog::RaisedBy::Middleware },
        _ => quote! { ::silent_login_catalog::RaisedBy::ServerApi },
    };
    let docs = option(entry.docs.as_deref());
    let removed = entry.removed;
    quote! {
        ::silent_login_catalog::Entry {
            provider: #provider,
            code: #code,
            name: #name,
            message: #message,
            causes: &[#(#causes),*],
            solution: #solution,
            solution_source: #solution_source,
            http_status: #http_status,
            retryable: #retryable,
            raised_by: #raised_by,
            docs: #docs,
            removed: #removed,
        }
    }
}

fn option(value: Option<&str>) -> TokenStream {
    match value {
        Some(value) => quote! { ::core::option::Option::Some(#value) },
        None => quote! { ::core::option::Option::None },
    }
}

fn variant_doc(entry: &Entry) -> String {
    let mut doc = format!(
        "**{}** — {}\n\n{}\n\n# Causes\n",
        entry.code.unwrap_or_default(),
        entry.message.en,
        entry.message.zh
    );
    for cause in &entry.causes {
        doc.push_str(&format!(
            "- `{}` ({}): {} / {}\n",
            cause.id, cause.source, cause.text.en, cause.text.zh
        ));
        for detail in &cause.details {
            doc.push_str(&format!("  - {} / {}\n", detail.en, detail.zh));
        }
    }
    doc.push_str(&format!(
        "\n# Solution ({})\n{}\n\n{}\n\n",
        entry.solution_source, entry.solution.en, entry.solution.zh
    ));
    doc.push_str(&format!(
        "HTTP status {}, retryable: {}, raised by: `{}`.",
        entry.http_status.unwrap_or(500),
        entry.retryable,
        entry.raised_by
    ));
    if let Some(docs) = &entry.docs {
        doc.push_str(&format!(" Docs: <{docs}>"));
    }
    if entry.removed {
        doc.push_str(
            "\n\n**Removed**: the platform no longer returns this code; it stays documented.",
        );
    }
    doc
}

fn generate(catalog: &Catalog, name: &Ident, tracked: &str, requested: &str) -> TokenStream {
    let provider = &catalog.provider;
    let provider_name = &catalog.name;
    let provider_docs = option(catalog.docs.as_deref());
    let variants: Vec<Ident> = catalog
        .errors
        .iter()
        .map(|entry| format_ident!("{}", entry.name))
        .collect();
    let docs = catalog.errors.iter().map(variant_doc);
    let deprecated = catalog.errors.iter().map(|entry| {
        entry
            .removed
            .then(|| quote! { #[deprecated(note = "the platform no longer returns this code")] })
    });
    let entries = catalog
        .errors
        .iter()
        .map(|entry| entry_tokens(provider, entry));
    let indices = 0..catalog.errors.len();
    let codes = catalog
        .errors
        .iter()
        .map(|entry| entry.code.unwrap_or_default());
    let enum_doc = format!(
        "Every error code of {provider_name} (`{provider}`), generated from `{requested}` by \
         `catalog!`.\n\nEach variant's documentation is the catalog entry: message, causes and \
         solution in English and Chinese."
    );
    let track = track(tracked);
    let variants_again = variants.clone();
    let variants_from = variants.clone();
    quote! {
        #track

        #[doc = #enum_doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #docs] #deprecated #variants, )*
        }

        #[automatically_derived]
        #[allow(deprecated)]
        impl #name {
            /// The provider id used in JSON bodies and lookups.
            pub const PROVIDER: &'static str = #provider;
            /// The provider's display name.
            pub const PROVIDER_NAME: &'static str = #provider_name;
            /// The provider-wide documentation link, if any.
            pub const PROVIDER_DOCS: ::core::option::Option<&'static str> = #provider_docs;
            /// Every code of this catalog, in file order.
            pub const ALL: &'static [Self] = &[#(Self::#variants_again),*];
            const ENTRIES: &'static [::silent_login_catalog::Entry] = &[#(#entries),*];

            /// The catalog entry behind this code.
            pub const fn entry(self) -> &'static ::silent_login_catalog::Entry {
                match self { #(Self::#variants => &Self::ENTRIES[#indices],)* }
            }
            /// The numeric code the platform (or silent-login) uses.
            pub const fn code(self) -> i32 { self.entry().code }
            /// The variant for a numeric code, if the catalog has it.
            pub const fn from_code(code: i32) -> ::core::option::Option<Self> {
                match code {
                    #(#codes => ::core::option::Option::Some(Self::#variants_from),)*
                    _ => ::core::option::Option::None,
                }
            }
            /// The variant's name, as in the YAML file.
            pub const fn name(self) -> &'static str { self.entry().name }
            /// The message in `lang`.
            pub const fn message(self, lang: ::silent_login_catalog::Lang) -> &'static str { self.entry().message.get(lang) }
            /// Every documented cause.
            pub const fn causes(self) -> &'static [::silent_login_catalog::Cause] { self.entry().causes }
            /// The solution in `lang`.
            pub const fn solution(self, lang: ::silent_login_catalog::Lang) -> &'static str { self.entry().solution.get(lang) }
            /// The whole explanation, like `rustc --explain`.
            pub fn help(self, lang: ::silent_login_catalog::Lang) -> ::std::string::String { self.entry().help(lang) }
            /// The HTTP status a server answers with when this error ends a request.
            pub const fn http_status(self) -> u16 { self.entry().http_status }
            /// Whether the same request can succeed later without a change.
            pub const fn retryable(self) -> bool { self.entry().retryable }
            /// Where the error is raised: front-end JSAPI, server API or middleware.
            pub const fn raised_by(self) -> ::silent_login_catalog::RaisedBy { self.entry().raised_by }
            /// A documentation link, if the catalog has one.
            pub const fn docs(self) -> ::core::option::Option<&'static str> { self.entry().docs }
        }

        #[automatically_derived]
        impl ::silent_login_catalog::CatalogCode for #name {
            const PROVIDER: &'static str = #provider;
            const ALL: &'static [Self] = Self::ALL;
            fn entry(self) -> &'static ::silent_login_catalog::Entry { #name::entry(self) }
            fn from_code(code: i32) -> ::core::option::Option<Self> { #name::from_code(code) }
        }

        #[automatically_derived]
        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(self.entry(), f)
            }
        }

        #[automatically_derived]
        impl ::std::error::Error for #name {}

        #[automatically_derived]
        impl ::core::convert::TryFrom<i32> for #name {
            type Error = ::silent_login_catalog::UnknownCode;
            fn try_from(code: i32) -> ::core::result::Result<Self, Self::Error> {
                Self::from_code(code).ok_or(::silent_login_catalog::UnknownCode { provider: #provider, code })
            }
        }

        #[automatically_derived]
        impl ::silent_login_catalog::__private::serde::Serialize for #name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: ::silent_login_catalog::__private::serde::Serializer,
            {
                ::silent_login_catalog::__private::serde::Serialize::serialize(&self.entry().key(), serializer)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(source: &str) -> String {
        let input: CatalogInput = syn::parse_str(source).expect("macro input");
        // The tracked path is absolute; keep the snapshot independent of the checkout's location
        // (before pretty-printing, whose line breaks depend on the path's length).
        let tokens = catalog(&input, None)
            .to_string()
            .replace(env!("CARGO_MANIFEST_DIR"), "$CARGO_MANIFEST_DIR");
        let file: syn::File = syn::parse_str(&tokens).expect("expansion is valid Rust");
        prettyplease::unparse(&file)
    }

    #[test]
    fn a_small_catalog_expands_to_an_enum_with_its_api() {
        insta::assert_snapshot!(expand(r#""tests/fixtures/small.yaml""#));
    }

    #[test]
    fn from_code_is_a_match_not_a_scan() {
        let expanded = expand(r#""tests/fixtures/small.yaml""#);
        assert!(expanded.contains("match code {"), "{expanded}");
        assert!(expanded.contains("1001i32 => ::core::option::Option::Some(Self::TicketExpired)"));
    }

    #[test]
    fn enum_name_is_derived_from_the_display_name() {
        assert_eq!(
            derived_name("DingTalk").map(|i| i.to_string()),
            Some("DingTalkCode".into())
        );
        assert_eq!(
            derived_name("silent-login").map(|i| i.to_string()),
            Some("SilentLoginCode".into())
        );
        assert_eq!(
            derived_name("Feishu / Lark").map(|i| i.to_string()),
            Some("FeishuLarkCode".into())
        );
        assert_eq!(derived_name("42"), None);
    }
}
