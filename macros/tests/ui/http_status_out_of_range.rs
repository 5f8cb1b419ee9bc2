silent_login_catalog::catalog!("http_status_out_of_range.yaml");

fn main() {}
