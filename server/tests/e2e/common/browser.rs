//! The browser scripts of `tests/browser/` (headless Chromium driven by playwright-core).

/// Runs `script` with `env` and fails the test if it fails, with what it printed; `None`
/// when the browser tests cannot run here (outside CI only: CI installs Chromium and the
/// npm packages).
pub fn run(script: &str, env: &[(&str, String)]) -> Option<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = dir.join("node_modules/playwright-core").exists()
        && std::path::Path::new(&chromium).exists();
    if !ready {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser tests: deploy/test.sh installs chromium and tests/browser's npm packages"
        );
        eprintln!("SKIPPED: {script} (no /usr/bin/chromium or no tests/browser/node_modules)");
        return None;
    }
    let artefacts =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/browser-artefacts");
    let mut command = std::process::Command::new("node");
    command
        .arg(script)
        .current_dir(&dir)
        .env("VITRINE_ARTEFACTS", artefacts);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "the browser tests of {script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(())
}
