silent_login_catalog::catalog!("bad_raised_by.yaml");

fn main() {}
