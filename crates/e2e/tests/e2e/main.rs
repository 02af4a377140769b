//! Rekey end to end: the real `rekey-cloud`, `rekey-recorder` and `rekey` programs as child
//! processes on loopback, with a real SMTP server and a fresh database per test (SQLite, and
//! PostgreSQL when `REKEY_TEST_POSTGRES_URL` is set — CI sets it), walking the manual's
//! preparation (issue 3) and recovery (issue 4) flows.

// The recovery tests (next commit) use the rest of the harness.
#![allow(dead_code)]

mod browser;
mod cli;
mod harness;
mod preparation;
mod recovery;
mod steps;

/// Runs each flow on SQLite and on PostgreSQL; attributes (such as `#[ignore]`) carry over.
macro_rules! on_both_backends {
    ($module:ident: $($(#[$meta:meta])* $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let sys = crate::harness::spawn_system(crate::harness::Backend::Sqlite)
                        .await
                        .expect("SQLite is always available");
                    crate::$module::$name(sys).await;
                }
            )*
        }
        mod postgres {
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(sys) = crate::harness::spawn_system(crate::harness::Backend::Postgres).await {
                        crate::$module::$name(sys).await;
                    }
                }
            )*
        }
    };
}

mod issue3_preparation {
    on_both_backends!(preparation:
        pc_path_in_the_manuals_order,
        phone_path_with_the_cli,
        second_account_and_invalid_codes_are_refused,
        cloud_restart_mid_way,
    );
}
