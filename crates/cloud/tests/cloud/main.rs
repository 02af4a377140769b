//! The cloud's integration tests: the real service on a random port with a fresh database
//! (SQLite, and PostgreSQL when `REKEY_TEST_POSTGRES_URL` is set — CI sets it), a real SMTP
//! server on loopback, real HTTP and real WebSockets.

mod at_rest;
mod deletion;
mod device;
mod flows;
mod gateway;
mod hardening;
mod layout;
mod network;
mod nodes;
mod operations;
mod recovery;
mod release;
mod retrieved;
mod screens;
mod support;
mod time_zone;
mod transfer;

use rekey_proto::CloudPublicKey;

/// The public key of the test cloud's signing key (`Config::for_local` with seed 7).
pub fn cloud_public_key() -> CloudPublicKey {
    rekey_cloud::config::Config::for_local(std::path::Path::new("/nonexistent"), None, None, 7)
        .signing_key()
        .public()
}

use at_rest::*;
use deletion::*;
use flows::*;
use hardening::*;
use layout::*;
use operations::*;
use recovery::*;
use release::*;
use retrieved::*;
use time_zone::*;
use transfer::*;

/// Runs each flow on SQLite and on PostgreSQL.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = crate::support::spawn_app(crate::support::Backend::Sqlite).await.expect("SQLite is always available");
                    crate::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                rekey_testkit::skip_unless_postgres! {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        if let Some(app) = crate::support::spawn_app(crate::support::Backend::Postgres).await {
                            crate::$name(app).await;
                        }
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    pc_signup_then_add_device_by_register_code,
    phone_signup_through_the_api_then_add_device,
    verification_code_errors,
    password_and_duplicate_errors,
    login_by_name_or_email_and_throttling,
    register_code_errors_and_one_account_per_recorder,
    rename_and_remove_give_a_new_register_code,
    gateway_refuses_bad_signatures_and_other_keys,
    cloud_restart_loses_nothing,
    forms_without_csrf_token_are_refused,
    undeliverable_mail_is_retried,
    presence_follows_the_connection,
    user_information_changes,
    registration_qr_link_asks_for_login_first,
    a_registration_qr_survives_signing_up_on_the_phone,
    concurrent_signups_do_not_block_each_other,
    phone_path_sends_a_challenge_code_to_the_qr_address,
    altered_expired_and_foreign_qr_codes_are_refused,
    pc_path_retrieves_a_date_window_code,
    daily_limits_say_when_the_next_code_is_possible,
    a_removed_recorder_gets_no_more_codes,
    a_code_retrieved_before_the_new_key_arrives_says_so,
    reloading_the_retrieve_result_shows_the_same_password_to_its_account_only,
    removing_the_device_deletes_its_retrieve_results,
    the_add_from_qr_page_shows_the_code_grouped_under_its_title,
    a_login_burst_gets_no_more_checks_than_the_limit,
    the_name_and_the_address_share_one_login_limit,
    a_stolen_session_cannot_guess_the_current_password,
    a_look_alike_address_receives_no_reset_code,
    the_register_code_limit_is_exact_under_a_burst,
    cool_down_refusals_cost_no_code_request,
    the_language_changes_the_account_only_by_a_form_post,
    forms_from_another_site_are_refused,
    earlier_email_keys_are_folded_at_the_next_start,
    delivered_codes_and_temporary_passwords_are_not_at_rest,
    readiness_follows_the_database_and_draining,
    every_response_names_its_request_id,
    metrics_show_what_an_operator_watches,
    a_release_unbinds_rotates_the_key_and_tells_the_former_owner,
    a_late_release_does_not_unbind_a_new_owner,
    retrieve_starts_on_today_in_the_accounts_time_zone,
    pages_and_mail_show_times_in_the_accounts_zone_and_follow_its_change,
    the_api_shows_and_changes_the_time_zone,
    earlier_accounts_get_their_regions_time_zone_at_the_next_start,
    the_time_zone_field_renders_in_each_language,
    a_transfer_moves_the_device_once_accepted,
    a_cancelled_transfer_moves_nothing,
    offers_are_limited_per_account,
    parallel_offers_of_one_device_make_one,
    the_offer_limit_is_exact_under_a_burst,
    closed_and_expired_transfers_are_swept_after_the_retention,
    an_expired_transfer_moves_nothing,
    an_installer_hands_three_recorders_over_and_two_are_accepted,
    bad_transfers_are_refused_and_change_nothing,
    the_portal_offers_a_hand_over_and_accepts_part_of_it,
    deleting_an_account_releases_its_recorders_and_frees_its_address,
    the_export_holds_the_accounts_devices_and_activity_and_no_secret,
    deletion_through_the_api_and_the_sweep_after_the_retention,
    the_deletion_and_export_forms_render_in_each_language,
);

/// One rendering test per screen and language (the database plays no part: SQLite only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_portal_screen_renders_in_japanese_and_english() {
    let app = support::spawn_app(support::Backend::Sqlite)
        .await
        .expect("SQLite is always available");
    screens::every_portal_screen_renders_in_japanese_and_english(app).await;
}

/// Tests of what several cloud nodes share, each with databases of its own.
mod shared {
    macro_rules! on_both_backends {
        ($($name:ident),* $(,)?) => {
            mod sqlite {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        crate::nodes::$name(crate::support::Backend::Sqlite).await;
                    }
                )*
            }
            mod postgres {
                $(
                    rekey_testkit::skip_unless_postgres! {
                        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                        async fn $name() {
                            crate::nodes::$name(crate::support::Backend::Postgres).await;
                        }
                    }
                )*
            }
        };
    }

    on_both_backends!(
        parallel_claims_hand_out_each_message_once,
        claims_run_out_and_failing_mail_is_given_up,
        three_workers_send_each_mail_once,
        the_sweep_deletes_only_what_ran_out,
    );
}
