silent_login_catalog::catalog!("yaml_syntax.yaml");

fn main() {}
