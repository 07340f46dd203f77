//! Several instances and several towns over one PostgreSQL database: writes reach the other
//! instance, a killed instance loses nothing acknowledged, towns never see each other's rows (also
//! with the row-level security alone), and a store moves to PostgreSQL and back unchanged. Each test
//! has a database of its own in a throwaway cluster (`common::postgres`).

mod common;

use common::{Server, TOKEN};
use sasaeai::private::PrivateStore;
use sasaeai::store::postgres::Postgres;
use sasaeai::store::{Location, Store, Tenant, digests};
use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

/// The password of the demo town's account `sato` (a resident) in these tests.
const PASSWORD: &str = "本町の支え合い 2026";

/// The demo town, with an account `sato`, copied into `tenant` of the database at `url` by the
/// CLI, as an office would.
fn migrate_demo_into(url: &str, tenant: &str) -> tempfile::TempDir {
    let (dir, demo) = common::demo_store_file();
    let user = ["user", "add", "sato", "--role", "resident", "--store"].map(OsStr::new);
    common::cli(&[&user[..], &[demo.as_os_str()]].concat(), &format!("{PASSWORD}\n"));
    let out = common::cli(
        &[
            "migrate".as_ref(),
            "--from".as_ref(),
            demo.as_os_str(),
            "--to".as_ref(),
            url.as_ref(),
            "--tenant".as_ref(),
            tenant.as_ref(),
        ],
        "",
    );
    assert!(out.contains("every layer and table read back equal") && out.contains("users"), "{out}");
    dir
}

/// `sasaeai serve` on `tenant` of the database at `url`, its private store there too.
fn serve(url: &str, tenant: &str) -> Server {
    Server::start(&["--store".as_ref(), url.as_ref(), "--tenant".as_ref(), tenant.as_ref()], &[])
}

fn get(agent: &ureq::Agent, url: &str) -> (String, Option<String>) {
    let mut response = agent.get(url).header("authorization", format!("Bearer {TOKEN}")).call().unwrap();
    let etag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
    (response.body_mut().read_to_string().unwrap(), etag)
}

fn get_bytes(agent: &ureq::Agent, url: &str) -> (Vec<u8>, String) {
    let mut response = agent.get(url).call().unwrap();
    let etag = response.headers().get("etag").unwrap().to_str().unwrap().to_owned();
    (response.body_mut().read_to_vec().unwrap(), etag)
}

fn post_site(agent: &ureq::Agent, server: &Server, name: &str, lon: f64, lat: f64) {
    let response = agent
        .post(format!("{}/api/sites", server.base))
        .header("authorization", format!("Bearer {TOKEN}"))
        .content_type("application/geo+json")
        .send(common::site_json(name, "cafe", lon, lat))
        .unwrap();
    assert_eq!(response.status(), 201, "{name}");
}

/// The z16 tile holding (`lon`, `lat`).
fn tile_of(lon: f64, lat: f64) -> (u32, u32) {
    let n = 2f64.powi(16);
    let x = (lon + 180.0) / 360.0 * n;
    let lat = lat.to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x as u32, y as u32)
}

/// Polls `check` until it holds or `limit` passes; how long it took.
fn within(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn a_site_written_through_one_instance_is_served_by_the_other_within_a_second() {
    let Some(cluster) = common::postgres::cluster() else { return };
    let url = cluster.database();
    let _dir = migrate_demo_into(&url, "141305");
    let (a, b) = (serve(&url, "141305"), serve(&url, "141305"));
    let agent = ureq::Agent::new_with_defaults();
    let first = sasaeai::store::Store::open_at(&Location::parse(&url, Some("141305")).unwrap()).unwrap();
    let at = first.read().sites().next().unwrap().data.location;
    let (x, y) = tile_of(at.x(), at.y());
    let tile = format!("{}/tiles/all/16/{x}/{y}.mvt", b.base);
    let (_, tile_before) = get_bytes(&agent, &tile);

    post_site(&agent, &a, "二台目から見えるカフェ", at.x() + 1e-5, at.y() + 1e-5);
    let took = within(Duration::from_secs(1), || {
        get(&agent, &format!("{}/api/sites", b.base)).0.contains("二台目から見えるカフェ")
    })
    .expect("B serves A's site within 1 s");
    eprintln!("A's write served by B after {took:?}");
    let (body, tile_after) = get_bytes(&agent, &tile);
    assert_ne!(tile_after, tile_before, "B's tile of the site was rendered again");
    assert!(body.windows("二台目から見えるカフェ".len()).any(|w| w == "二台目から見えるカフェ".as_bytes()));
}

#[test]
fn an_instance_killed_loses_no_acknowledged_write_and_serves_the_same_after_restart() {
    let Some(cluster) = common::postgres::cluster() else { return };
    let url = cluster.database();
    let _dir = migrate_demo_into(&url, "141305");
    let (mut a, b) = (serve(&url, "141305"), serve(&url, "141305"));
    let agent = ureq::Agent::new_with_defaults();
    for i in 0..50 {
        post_site(&agent, &a, &format!("カフェ{i}"), 139.6 + i as f64 * 1e-4, 35.55);
    }
    // SIGKILL right after the last 201.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let sites_on_b = || get(&agent, &format!("{}/api/sites", b.base)).0;
    within(Duration::from_secs(2), || sites_on_b().contains("カフェ49"))
        .expect("B has every acknowledged write");
    let a = serve(&url, "141305");
    let restarted = get(&agent, &format!("{}/api/sites", a.base)).0;
    assert_eq!(restarted, sites_on_b(), "the restarted instance serves what the other serves");
    for i in 0..50 {
        assert!(restarted.contains(&format!("\"カフェ{i}\"")), "カフェ{i} lost");
    }
}

/// Both towns' stores with the application's tenant filter taken out: only the row-level security
/// keeps them apart.
fn rls_only(url: &str, tenant: &str) -> Store {
    Store::over(Box::new(
        Postgres::connect(url, Tenant::new(tenant).unwrap()).unwrap().without_tenant_filter(),
    ))
    .unwrap()
}

#[test]
fn towns_never_see_each_others_rows_even_by_row_level_security_alone() {
    let Some(cluster) = common::postgres::cluster() else { return };
    let url = cluster.database();
    let dir = migrate_demo_into(&url, "352021");
    let other = Store::open_at(&Location::parse(&url, Some("141305")).unwrap()).unwrap();
    other.insert_sites([site_of_other_town()]).unwrap();
    let demo = Store::open(dir.path().join("demo.gpkg")).unwrap();

    for (what, town) in [
        ("filter and RLS", Store::open_at(&Location::parse(&url, Some("352021")).unwrap()).unwrap()),
        ("RLS alone", rls_only(&url, "352021")),
    ] {
        assert_eq!(
            digests(&town.read()),
            digests(&demo.read()),
            "{what}: the town holds its own rows and no other's"
        );
    }
    let other_alone = rls_only(&url, "141305");
    assert_eq!(other_alone.read().counts(), (0, 1, 0), "RLS alone: the other town sees its one site only");
    assert!(other_alone.read().network().is_none());

    // Straight SQL as the application's role: no tenant set, no rows; another tenant's rows cannot be written.
    let mut client = cluster.plain(&url);
    let count =
        |c: &mut postgres::Client| c.query_one("SELECT count(*) FROM sites", &[]).unwrap().get::<_, i64>(0);
    assert_eq!(count(&mut client), 0, "no tenant set: no rows");
    client.execute("SELECT set_config('sasaeai.tenant', '141305', false)", &[]).unwrap();
    assert_eq!(count(&mut client), 1);
    let smuggled = client.execute(
        "INSERT INTO sites (tenant, geom, name, kind) VALUES ('352021', ST_Point(139.7, 35.6, 4326), 'x', 'cafe')",
        &[],
    );
    assert!(
        smuggled.unwrap_err().as_db_error().unwrap().message().contains("row-level security"),
        "writing into another town is refused"
    );

    // Over HTTP: the other town's server shows none of this town's sites anywhere.
    let server = serve(&url, "141305");
    let agent = ureq::Agent::new_with_defaults();
    let demo_site = demo.read().sites().next().unwrap().data.name.clone();
    for path in [
        "/api/sites",
        "/api/export/sites.geojson",
        "/ogc/collections/sites/items?f=json&limit=1000",
        "/api/areas",
    ] {
        let (body, _) = get(&agent, &format!("{}{path}", server.base));
        assert!(!body.contains(&demo_site), "{path} shows another town's site");
    }
    let at = demo.read().sites().next().unwrap().data.location;
    let (x, y) = tile_of(at.x(), at.y());
    let (tile, _) = get_bytes(&agent, &format!("{}/tiles/all/16/{x}/{y}.mvt", server.base));
    assert!(
        !tile.windows(demo_site.len()).any(|w| w == demo_site.as_bytes()),
        "a tile shows another town's site"
    );
    // This town's account does not sign in at the other town.
    assert_eq!(login(&server, "sato", PASSWORD).status(), 401, "an account belongs to its town");
    assert_eq!(login(&serve(&url, "352021"), "sato", PASSWORD).status(), 200);
}

fn login(server: &Server, name: &str, password: &str) -> ureq::http::Response<ureq::Body> {
    let agent =
        ureq::Agent::new_with_config(ureq::Agent::config_builder().http_status_as_error(false).build());
    agent
        .post(format!("{}/api/login", server.base))
        .header("content-type", "application/json")
        .send(serde_json::json!({ "name": name, "password": password }).to_string())
        .unwrap()
}

#[test]
fn a_sign_in_on_one_instance_holds_on_the_other_and_so_does_a_sign_out() {
    let Some(cluster) = common::postgres::cluster() else { return };
    let url = cluster.database();
    let _dir = migrate_demo_into(&url, "141305");
    let (a, b) = (serve(&url, "141305"), serve(&url, "141305"));
    let signed_in = login(&a, "sato", PASSWORD);
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let agent =
        ureq::Agent::new_with_config(ureq::Agent::config_builder().http_status_as_error(false).build());
    let me = |server: &Server| {
        agent.get(format!("{}/api/me", server.base)).header("cookie", &cookie).call().unwrap()
    };
    let mut on_b = me(&b);
    assert_eq!(on_b.status(), 200, "B knows A's session");
    assert!(on_b.body_mut().read_to_string().unwrap().contains("\"sato\""));
    let csrf = {
        let mut again = login(&b, "sato", PASSWORD);
        let cookie = again.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let body: serde_json::Value =
            serde_json::from_str(&again.body_mut().read_to_string().unwrap()).unwrap();
        (cookie, body["csrf"].as_str().unwrap().to_owned())
    };
    // Signed in on B a second time, signed out there: A no longer takes that session.
    let out = agent
        .post(format!("{}/api/logout", b.base))
        .header("cookie", &csrf.0)
        .header("x-csrf-token", &csrf.1)
        .send_empty()
        .unwrap();
    assert!(out.status().is_success(), "{}", out.status());
    let signed_in = |mut reply: ureq::http::Response<ureq::Body>| {
        let body: serde_json::Value =
            serde_json::from_str(&reply.body_mut().read_to_string().unwrap()).unwrap();
        body["signed_in"].as_bool().unwrap()
    };
    let after = agent.get(format!("{}/api/me", a.base)).header("cookie", &csrf.0).call().unwrap();
    assert!(!signed_in(after), "signed out on B, not signed in on A");
    assert!(signed_in(me(&a)), "the first session is untouched");
}

fn site_of_other_town() -> sasaeai::model::SiteData {
    sasaeai::model::SiteData {
        name: "宇部のカフェ".into(),
        kind: sasaeai::model::SiteKind::Cafe,
        location: geo::Point::new(131.25, 33.95),
        address: None,
        schedule: None,
        audience: vec![],
        operator: None,
        properties: Default::default(),
    }
}

#[test]
fn migrate_to_postgres_and_back_keeps_every_feature_and_id() {
    let Some(cluster) = common::postgres::cluster() else { return };
    let url = cluster.database();
    let dir = migrate_demo_into(&url, "141305");
    let back = dir.path().join("back.gpkg");
    let out = common::cli(
        &[
            "migrate".as_ref(),
            "--from".as_ref(),
            url.as_ref(),
            "--to".as_ref(),
            back.as_os_str(),
            "--tenant".as_ref(),
            "141305".as_ref(),
        ],
        "",
    );
    assert!(out.contains("every layer and table read back equal"), "{out}");
    let original = Store::open(dir.path().join("demo.gpkg")).unwrap();
    assert_eq!(digests(&Store::open(&back).unwrap().read()), digests(&original.read()));
    let private = |gpkg: &std::path::Path| {
        PrivateStore::open(&PrivateStore::path_beside(gpkg)).unwrap().digests().unwrap()
    };
    assert_eq!(
        private(&back),
        private(&dir.path().join("demo.gpkg")),
        "accounts and the audit log came back too"
    );

    // Into a store that holds features: refused, and a file made for it is not left behind.
    let (ok, stderr) = common::cli_status(&[
        "migrate".as_ref(),
        "--from".as_ref(),
        back.as_os_str(),
        "--to".as_ref(),
        url.as_ref(),
        "--tenant".as_ref(),
        OsStr::new("141305"),
    ]);
    assert!(!ok && stderr.contains("already holds private data"), "{stderr}");
    let (ok, stderr) = common::cli_status(&[
        "migrate".as_ref(),
        "--from".as_ref(),
        url.as_ref(),
        "--to".as_ref(),
        back.as_os_str(),
    ]);
    assert!(!ok && stderr.contains("--tenant"), "a PostgreSQL store without a tenant is refused: {stderr}");
}

#[test]
fn a_lost_database_connection_is_answered_503_and_the_next_request_connects_again() {
    let Some(cluster) = common::postgres::cluster() else { return };
    let url = cluster.database();
    let _dir = migrate_demo_into(&url, "141305");
    let server = serve(&url, "141305");
    let cookie = login(&server, "sato", PASSWORD).headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let agent =
        ureq::Agent::new_with_config(ureq::Agent::config_builder().http_status_as_error(false).build());
    end_every_connection(cluster, &url);

    // Each of a write (the layers' connection) and a signed-in read (the private store's): the
    // first attempt may find the connection gone and says so with 503 and Retry-After, never 500;
    // the next goes through on a new connection.
    let write = || {
        agent
            .post(format!("{}/api/sites", server.base))
            .header("authorization", format!("Bearer {TOKEN}"))
            .content_type("application/geo+json")
            .send(common::site_json("再接続カフェ", "cafe", 139.7, 35.6))
            .unwrap()
    };
    let me = || agent.get(format!("{}/api/me", server.base)).header("cookie", &cookie).call().unwrap();
    for (what, attempt) in
        [("write", &write as &dyn Fn() -> ureq::http::Response<ureq::Body>), ("session", &me)]
    {
        let first = attempt();
        let status = first.status().as_u16();
        assert!([200, 201, 503].contains(&status), "{what}: {status}");
        eprintln!("{what} after the connection was ended: {status}");
        if status == 503 {
            assert_eq!(first.headers()["retry-after"], "1", "{what}");
            assert!(
                first.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json")
            );
            let again = attempt().status().as_u16();
            assert!([200, 201].contains(&again), "{what}: the next request connects again, got {again}");
        }
    }
    let mut signed_in = me();
    assert!(signed_in.body_mut().read_to_string().unwrap().contains("\"signed_in\":true"));
    assert!(
        get(&ureq::Agent::new_with_defaults(), &format!("{}/api/sites", server.base))
            .0
            .contains("再接続カフェ")
    );
}

/// Ends every connection of the application's role to the database at `url`, as an administrator
/// (or a restart) would.
fn end_every_connection(cluster: &common::postgres::Cluster, url: &str) {
    let database = url.split('?').next().unwrap().rsplit('/').next().unwrap().to_owned();
    cluster
        .admin("postgres")
        .execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = 'sasaeai'", &[&database])
        .unwrap();
}

/// Regression: a signed-in write was answered 503 twice in a row once the database had ended the
/// server's connections: the private store's connection failed first, and when it had been opened
/// again the layers' connection failed in turn, each finding its loss only by failing.
#[test]
fn a_connection_found_lost_makes_the_others_check_theirs_before_use() {
    let Some(cluster) = common::postgres::cluster() else { return };
    let url = cluster.database();
    let location = Location::parse(&url, Some("141306")).unwrap();
    let store = Store::open_at(&location).unwrap();
    let private = PrivateStore::open_at(&location).unwrap();
    end_every_connection(cluster, &url);

    assert!(private.digests().is_err(), "the private store's connection was ended");
    store.insert_sites([site_of_other_town()]).expect("the layers' connection was checked and opened again");
    private.digests().expect("and the private store's once it had failed");
}

#[test]
fn connections_use_tls_and_an_untrusted_certificate_is_refused_with_what_to_do() {
    let Some(cluster) = common::postgres::cluster() else { return };
    let url = cluster.database();
    let database = url.split('?').next().unwrap().rsplit('/').next().unwrap().to_owned();
    let encrypted = |ssl: bool| -> i64 {
        let sql = "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                   WHERE a.datname = $1 AND a.usename = 'sasaeai' AND s.ssl = $2";
        cluster.admin("postgres").query_one(sql, &[&database, &ssl]).unwrap().get(0)
    };
    let verified = Store::open_at(&Location::parse(&url, Some("141305")).unwrap()).unwrap();
    assert!(encrypted(true) >= 1, "the store's connection is encrypted");
    assert_eq!(encrypted(false), 0, "and no other is plain");
    drop(verified);

    // The system's roots do not know the cluster's own CA: refused, saying what to do.
    let without_ca = url.split('?').next().unwrap().to_owned();
    let refused =
        Store::open_at(&Location::parse(&without_ca, Some("141305")).unwrap()).err().unwrap().to_string();
    assert!(refused.contains("certificate") && refused.contains("sslrootcert=FILE"), "{refused}");
    let (ok, stderr) = common::cli_status(&[
        "migrate".as_ref(),
        "--from".as_ref(),
        without_ca.as_ref(),
        "--to".as_ref(),
        "unused.gpkg".as_ref(),
        "--tenant".as_ref(),
        "141305".as_ref(),
    ]);
    assert!(!ok && stderr.contains("sslrootcert=FILE") && !Path::new("unused.gpkg").exists(), "{stderr}");

    // Turned off on purpose, it is plain.
    let plain =
        Store::open_at(&Location::parse(&format!("{without_ca}?sslmode=disable"), Some("141305")).unwrap())
            .unwrap();
    assert!(encrypted(false) >= 1, "sslmode=disable connects without TLS");
    drop(plain);
}
