silent_login_catalog::catalog!("unknown_key.yaml");

fn main() {}
