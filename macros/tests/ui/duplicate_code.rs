silent_login_catalog::catalog!("duplicate_code.yaml");

fn main() {}
