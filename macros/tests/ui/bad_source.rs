silent_login_catalog::catalog!("bad_source.yaml");

fn main() {}
