silent_login_catalog::catalog!("missing_source.yaml");

fn main() {}
