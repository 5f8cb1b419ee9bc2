silent_login_catalog::catalog!("no_cause.yaml");

fn main() {}
