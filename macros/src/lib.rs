//! `catalog!` turns a YAML error catalog into a typed Rust enum with bilingual help text.
//!
//! The macro is re-exported by `silent-login-catalog`, whose runtime types (`Lang`, `Entry`,
//! `Cause`, …) the generated code uses; depend on that crate, not on this one.
//!
//! It works in four phases, like `thiserror`: `input` parses the macro call, `model` reads the
//! YAML into a model and collects every schema problem, `validate` checks the model as a whole
//! (duplicates, identifiers, ranges), and `expand` writes the code. When anything is wrong every
//! problem is reported at once with its `--> file:line:column`, and an empty enum of the same name
//! is still emitted so the user sees those errors and not fifty follow-on ones.

mod diagnostic;
mod expand;
mod input;
mod model;
mod validate;

use proc_macro::TokenStream;

/// Generates a catalog enum from a YAML file.
///
/// ```
/// // `name: Acme SSO` in the file: the enum is `AcmeSSOCode`.
/// silent_login_catalog::catalog!("tests/fixtures/small.yaml");
/// assert_eq!(AcmeSSOCode::from_code(1001), Some(AcmeSSOCode::TicketExpired));
///
/// // Or name the enum yourself.
/// silent_login_catalog::catalog!("tests/fixtures/small.yaml", name = TicketCode);
/// assert_eq!(TicketCode::TicketExpired.http_status(), 401);
/// ```
///
/// The path is relative to the invoking crate's `CARGO_MANIFEST_DIR`; if no file is there, it is
/// looked up next to the source file that calls the macro. Editing the YAML file and rebuilding
/// regenerates the code: the expansion `include_bytes!`s every file it read, so cargo tracks it.
#[proc_macro]
pub fn catalog(tokens: TokenStream) -> TokenStream {
    let call_site = proc_macro::Span::call_site().local_file();
    let input = match syn::parse::<input::CatalogInput>(tokens) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error().into(),
    };
    expand::catalog(&input, call_site.as_deref()).into()
}
