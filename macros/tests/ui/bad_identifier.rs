silent_login_catalog::catalog!("bad_identifier.yaml");

fn main() {}
