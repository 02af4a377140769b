//! Decides, when the tests are built, which suites this machine can run: without a PostgreSQL
//! server named by `REKEY_TEST_POSTGRES_URL` (outside CI) the PostgreSQL tests are built ignored,
//! and without HAProxy the multi-node tests are, so that the test summary counts them as
//! ignored, with the reason, never as passed (see `skip_unless_postgres!`).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(rekey_no_postgres)");
    println!("cargo::rustc-check-cfg=cfg(rekey_no_haproxy)");
    println!("cargo::rerun-if-env-changed=REKEY_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=CI");
    // Debian's haproxy package installs /usr/sbin/haproxy: a change to that directory is when
    // it may have come or gone.
    println!("cargo::rerun-if-changed=/usr/sbin");
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
}
