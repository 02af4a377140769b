//! Issue 9, operations: what a load balancer and an orchestrator ask a node.

use serde_json::Value;

use crate::support::TestApp;

async fn readyz(app: &TestApp) -> (u16, Value) {
    let (status, body) = app.get("/readyz").await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// `/readyz` is 200 only while the database answers with this version's schema and the node is
/// not draining, and names the reason otherwise; `/healthz` (liveness) stays 200 throughout.
pub async fn readiness_follows_the_database_and_draining(app: TestApp) {
    let (status, body) = readyz(&app).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    let pool = &app.state.store.db.pool;

    // A newer version migrated the database: this node must not serve it.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         SELECT 99990101000000, 'from a newer version', success, checksum, execution_time
         FROM _sqlx_migrations WHERE version = (SELECT MIN(version) FROM _sqlx_migrations)",
    )
    .execute(pool)
    .await
    .expect("add a migration");
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("schema_ahead"))
    );
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 99990101000000")
        .execute(pool)
        .await
        .expect("remove it");
    assert_eq!(readyz(&app).await.0, 200);

    // One of this version's migrations is missing.
    sqlx::query(
        "UPDATE _sqlx_migrations SET success = FALSE
         WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(pool)
    .await
    .expect("mark a migration failed");
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("schema_behind"))
    );
    sqlx::query(
        "UPDATE _sqlx_migrations SET success = TRUE
         WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(pool)
    .await
    .expect("mark it applied again");
    assert_eq!(readyz(&app).await.0, 200);

    // Draining (what a shutdown sets first).
    app.state
        .draining
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, body) = readyz(&app).await;
    assert_eq!((status, body["reason"].as_str()), (503, Some("draining")));
    app.state
        .draining
        .store(false, std::sync::atomic::Ordering::SeqCst);

    // The database is gone.
    pool.close().await;
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("database_unreachable"))
    );
    assert_eq!(app.get("/healthz").await.0, 200);
}
