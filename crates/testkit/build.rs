//! Decides, when the tests are built, which suites this machine can run: without a PostgreSQL
//! server named by `REKEY_TEST_POSTGRES_URL` (outside CI) the PostgreSQL tests are built ignored,
//! without HAProxy the multi-node tests are, and without Chromium, chromedriver and axe-core
//! the browser suite is, so that the test summary counts them as
//! ignored, with the reason, never as passed (see `skip_unless_postgres!`).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(rekey_no_postgres)");
    println!("cargo::rustc-check-cfg=cfg(rekey_no_haproxy)");
    println!("cargo::rustc-check-cfg=cfg(rekey_no_browser)");
    println!("cargo::rerun-if-env-changed=REKEY_AXE_CORE");
    println!("cargo::rerun-if-env-changed=REKEY_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=CI");
    // Debian's haproxy package installs /usr/sbin/haproxy, its chromium-driver
    // /usr/bin/chromedriver: a change to those directories is when they may have come or gone.
    println!("cargo::rerun-if-changed=/usr/sbin");
    println!("cargo::rerun-if-changed=/usr/bin");
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "false");
    // In CI nothing is ignored: a missing server or program fails the tests that need it.
    let ci = set("CI");
    if !ci && !set("REKEY_TEST_POSTGRES_URL") {
        println!("cargo::rustc-cfg=rekey_no_postgres");
    }
    let haproxy = [
        "/usr/sbin/haproxy",
        "/usr/local/sbin/haproxy",
        "/usr/bin/haproxy",
    ]
    .iter()
    .any(|p| std::path::Path::new(p).is_file());
    if !ci && !haproxy {
        println!("cargo::rustc-cfg=rekey_no_haproxy");
    }

    // The browser suite: Debian's chromium and chromium-driver, and axe-core from the npm
    // registry (`npm install -g axe-core`, or a file named by REKEY_AXE_CORE).
    let mut axe_places: Vec<std::path::PathBuf> = Vec::new();
    if let Ok(p) = std::env::var("REKEY_AXE_CORE") {
        axe_places.push(p.into());
    }
    for root in ["/usr/lib/node_modules", "/usr/local/lib/node_modules"] {
        if std::path::Path::new(root).is_dir() {
            println!("cargo::rerun-if-changed={root}");
        }
        axe_places.push(std::path::Path::new(root).join("axe-core/axe.min.js"));
    }
    let axe = axe_places.into_iter().find(|p| p.is_file());
    if let Some(axe) = &axe {
        println!("cargo::rustc-env=REKEY_AXE_CORE_JS={}", axe.display());
    }
    let browser = ["/usr/lib/chromium/chromium", "/usr/bin/chromedriver"]
        .iter()
        .all(|p| std::path::Path::new(p).is_file());
    let can_run_browser = browser && axe.is_some();
    if !ci && !can_run_browser {
        println!("cargo::rustc-cfg=rekey_no_browser");
    }
}
