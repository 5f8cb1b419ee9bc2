//! Editing a catalog file and running `cargo build` regenerates the code with no other step, and
//! a mistake in the file is reported at its `file:line:column`. This builds a real crate, so it
//! takes a while; it shares a target directory under `target/tests/` between runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NEW_ENTRY: &str = r#"
  - code: 1002
    name: NewlyAdded
    message: { en: "Added by the test", zh: "测试新增" }
    causes:
      - { id: added, en: "The test added it.", zh: "测试添加的。", source: inferred }
    solution: { en: "Nothing to do.", zh: "无需处理。", source: inferred }
    http_status: 400
    retryable: false
    raised_by: server_api
"#;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn cargo_run(project: &Path) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(["run", "--quiet", "--offline"])
        .current_dir(project)
        .env(
            "CARGO_TARGET_DIR",
            workspace_root().join("target/tests/edit-rebuild"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs")
}

fn write_probe_crate(dir: &Path) {
    let catalog_crate = env!("CARGO_MANIFEST_DIR");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"edit-rebuild-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nsilent-login-catalog = {{ path = {catalog_crate:?} }}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    // The workspace's lock file keeps the probe on the versions already built and downloaded.
    std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "silent_login_catalog::catalog!(\"codes.yaml\", name = AcmeCode);\n\
         fn main() { for code in AcmeCode::ALL { println!(\"{} {}\", code.code(), code.name()); } }\n",
    )
    .unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme.yaml"),
        dir.join("codes.yaml"),
    )
    .unwrap();
}

#[test]
fn editing_the_yaml_and_rebuilding_regenerates_the_enum() {
    let dir = tempfile::tempdir().unwrap();
    write_probe_crate(dir.path());

    let before = cargo_run(dir.path());
    assert!(
        before.status.success(),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );
    let stdout = String::from_utf8_lossy(&before.stdout);
    assert!(
        stdout.contains("1001 TicketExpired") && !stdout.contains("NewlyAdded"),
        "{stdout}"
    );

    let yaml = dir.path().join("codes.yaml");
    let mut text = std::fs::read_to_string(&yaml).unwrap();
    text.push_str(NEW_ENTRY);
    std::fs::write(&yaml, &text).unwrap();
    let after = cargo_run(dir.path());
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    assert!(String::from_utf8_lossy(&after.stdout).contains("1002 NewlyAdded"));

    // A mistake: the same code twice. The error names the file, line and column of the second.
    let duplicate_line = text.lines().count() + 2;
    text.push_str(&NEW_ENTRY.replace("NewlyAdded", "AddedTwice"));
    std::fs::write(&yaml, &text).unwrap();
    let broken = cargo_run(dir.path());
    assert!(!broken.status.success());
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(stderr.contains("duplicate code 1002"), "{stderr}");
    assert!(
        stderr.contains(&format!("codes.yaml:{duplicate_line}:11")),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("error: duplicate code").count(),
        1,
        "one error, not fifty: {stderr}"
    );
}
