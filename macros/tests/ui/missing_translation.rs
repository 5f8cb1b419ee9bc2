silent_login_catalog::catalog!("missing_translation.yaml");

fn main() {}
