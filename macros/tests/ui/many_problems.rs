silent_login_catalog::catalog!("many_problems.yaml");

fn main() {}
