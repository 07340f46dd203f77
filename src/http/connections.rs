//! Accepting connections so that clients cannot hold the server: at most `max_connections` open at
//! once (never more than the process's descriptor limit allows, with room left for the store and
//! logs), headers due within `header_timeout_s` (which is also how long an idle keep-alive
//! connection is kept), and bodies within `body_timeout_s` (a layer in [`super::app`]). Half-open
//! clients are dropped when their time runs out, and their descriptors come back.

use crate::config::Limits;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Descriptors kept free for the store, the log and the blocking pool.
const RESERVED_DESCRIPTORS: u64 = 256;

/// How long open connections get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Raises the soft descriptor limit as far as allowed and returns how many connections fit under it.
fn connection_cap(wanted: usize) -> usize {
    let soft = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let fits = soft.saturating_sub(RESERVED_DESCRIPTORS).max(16);
    let cap = wanted.min(fits as usize);
    if cap < wanted {
        tracing::warn!(
            wanted,
            cap,
            descriptors = soft,
            "max_connections lowered to fit the descriptor limit"
        );
    }
    cap
}

/// Serves `router` on `listener` until Ctrl-C.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: &Limits,
) -> std::io::Result<()> {
    let places = Arc::new(Semaphore::new(connection_cap(limits.max_connections)));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs_f64(limits.header_timeout_s));
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(Duration::from_secs(30));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let place = tokio::select! {
            place = places.clone().acquire_owned() => place.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or memory: wait for some to come back instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // The peer's address, for the audit log and sign-in throttling.
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                req
            },
        ));
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await; // a client that went away or timed out is not our error
            drop(place);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}
