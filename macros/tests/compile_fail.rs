//! Every class of catalog problem is a compile error that points at the YAML line, like rustc.

#[test]
fn each_validation_class_reports_file_line_and_column() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
