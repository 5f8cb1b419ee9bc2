silent_login_catalog::catalog!("no_solution.yaml");

fn main() {}
