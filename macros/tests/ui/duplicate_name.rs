silent_login_catalog::catalog!("duplicate_name.yaml");

fn main() {}
