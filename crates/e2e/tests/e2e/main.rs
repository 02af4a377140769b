//! Rekey end to end: the real `rekey-cloud`, `rekey-recorder` and `rekey` programs as child
//! processes on loopback, with a real SMTP server and a fresh database per test (SQLite, and
//! PostgreSQL when `REKEY_TEST_POSTGRES_URL` is set — CI sets it), walking the manual's
//! preparation (issue 3) and recovery (issue 4) flows; the same flows on three cloud nodes
//! sharing one PostgreSQL database behind HAProxy, one of them killed mid-way (issue 9); the
//! four paths in headless Chromium in both languages at both sizes (issue 10); and the changes
//! of ownership: release, transfer, hand-over, account deletion (issue 11).
//!
//! Run: `REKEY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p
//! rekey-e2e` (without the variable the PostgreSQL half is built ignored outside CI, and so is
//! the multi-node half without HAProxy, `apt-get install haproxy`, and the browser walks without
//! Chromium, chromedriver and axe-core: see `rekey_testkit::skip_unless_postgres!`). The
//! first test builds the three programs (`cargo build --bins`); a failing test prints the tail
//! of every process's log.

mod balancer;
mod browser;
mod cli;
mod cluster;
mod deletion;
mod handover;
mod harness;
mod in_chromium;
mod operations;
mod packaging;
mod preparation;
mod recovery;
mod refusals;
mod release;
mod steps;
mod transfer;

/// Runs each flow on SQLite and on PostgreSQL; attributes written before a flow carry over.
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
                rekey_testkit::skip_unless_postgres! {
                    $(#[$meta])*
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        if let Some(sys) = crate::harness::spawn_system(crate::harness::Backend::Postgres).await {
                            crate::$module::$name(sys).await;
                        }
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

mod issue4_recovery {
    on_both_backends!(recovery:
        phone_path_recovers_the_password,
        phone_path_in_the_browser,
        pc_path_recovers_the_password,
    );

    mod refusals {
        on_both_backends!(refusals:
            wrong_foreign_used_and_older_codes_are_refused,
            date_window_codes_work_only_on_their_dates,
            replaced_challenges_and_altered_qr_codes_are_refused,
            strangers_and_removed_recorders_get_nothing,
            five_wrong_codes_lock_recovery_even_across_a_restart,
        );
    }
}

mod issue11_release {
    on_both_backends!(release:
        release_from_an_online_recorder,
        release_from_an_offline_recorder,
        a_wrong_admin_password_releases_nothing,
    );
}

mod issue11_transfer {
    on_both_backends!(transfer:
        a_transferred_recorder_recovers_for_its_new_owner_only,
        a_cancelled_transfer_changes_nothing,
        an_expired_transfer_changes_nothing,
    );

    mod handover {
        on_both_backends!(handover:
            a_hand_over_of_three_accepted_in_part,
        );
    }
}

mod issue11_deletion {
    on_both_backends!(deletion:
        deleting_the_account_releases_its_recorder,
        deleting_the_account_releases_its_offline_recorder,
    );
}

mod issue9_operations {
    on_both_backends!(operations:
        sigterm_drains_the_node,
        the_recorder_stops_on_sigterm,
    );
}

/// Runs each flow on three cloud nodes behind HAProxy (on PostgreSQL).
macro_rules! on_a_cluster {
    ($module:ident: $($name:ident),* $(,)?) => {
        $(
            rekey_testkit::skip_unless_postgres_and_haproxy! {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(sys) = crate::harness::spawn_cluster(3).await {
                        crate::$module::$name(sys).await;
                    }
                }
            }
        )*
    };
}

mod issue9_cluster {
    on_a_cluster!(cluster: a_node_killed_mid_way);
    on_a_cluster!(preparation: pc_path_in_the_manuals_order, phone_path_with_the_cli);
    on_a_cluster!(recovery: phone_path_in_the_browser, pc_path_recovers_the_password);
}

mod issue10_browser {
    use rekey_testkit::chromium::Viewport;

    rekey_testkit::skip_unless_browser! {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn japanese_on_a_phone() {
            crate::in_chromium::walk("ja", Viewport::Phone).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn japanese_on_a_pc() {
            crate::in_chromium::walk("ja", Viewport::Desktop).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn english_on_a_phone() {
            crate::in_chromium::walk("en", Viewport::Phone).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn english_on_a_pc() {
            crate::in_chromium::walk("en", Viewport::Desktop).await;
        }
    }
}

mod issue9_packaging {
    #[test]
    fn compose_file_describes_the_trial_system() {
        crate::packaging::compose_file_describes_the_trial_system();
    }

    #[test]
    fn haproxy_accepts_the_balancer_configuration() {
        crate::packaging::haproxy_accepts_the_balancer_configuration();
    }

    #[test]
    fn systemd_units_are_hardened() {
        crate::packaging::systemd_units_are_hardened();
    }

    #[test]
    fn systemd_units_pass_systemd_analyze_verify() {
        crate::packaging::systemd_units_pass_systemd_analyze_verify();
    }

    #[test]
    fn compose_is_valid_and_images_build_where_docker_runs() {
        crate::packaging::compose_is_valid_and_images_build_where_docker_runs();
    }
}
