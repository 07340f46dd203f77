//! Soak: mixed load against the real binary on the demo town for `SOAK_SECONDS` (60 by default;
//! `scripts/soak.sh` runs ten minutes on a release build) — tile reads across zooms and sets, paged
//! lists, coverage and gaps with varied questions, site writes, imports, and hostile requests — from
//! a bounded load generator on loopback. Afterwards: no 5xx but the documented 503/504 and every
//! acknowledged write present, also after a `kill -9` and a reopen of the store. Resident memory is
//! sampled every second: after warm-up (the first third, while the caches fill to their bounds) it
//! stays within 20 %. The clients delete what they add, so the town stays the same size and memory
//! measures the server, not a growing data set.

mod common;

use common::{TOKEN, site_json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Load generator threads; each sends one request at a time.
const CLIENTS: usize = 4;

/// Small caches, so they fill during warm-up and memory must then stay flat.
const CONFIG: &str = "[limits]
tile_cache_mb = 4
catchment_cache_mb = 4
coverage_cache_mb = 2
map_cache_mb = 4
queue_wait_s = 1
analysis_deadline_s = 10
header_timeout_s = 5
";

/// A small deterministic generator (xorshift), so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

/// What the clients saw, and what the server acknowledged.
#[derive(Default)]
struct Log {
    statuses: BTreeMap<(String, u16), u64>,
    unexpected: Vec<String>,
    /// Site id → its last acknowledged name; `None` once deleted.
    sites: HashMap<i64, Option<String>>,
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Sites a client keeps at most: past this it deletes instead of adding, so the data stays the same
/// size over the run and resident memory measures the server, not a growing town.
const OWN_SITES_MAX: usize = 12;

/// One request of the mix: (kind, method, path, body).
fn pick(rng: &mut Rng, own_sites: &[i64]) -> (&'static str, &'static str, String, Option<String>) {
    let (lon, lat) = (140.022 + rng.unit() * 0.056, 34.621 + rng.unit() * 0.03);
    let roll = match rng.below(100) {
        // An addition (create 76–83, import 93–94) becomes a delete (89–92) once the client holds enough.
        76..=83 | 93..=94 if own_sites.len() >= OWN_SITES_MAX => 89,
        roll => roll,
    };
    match roll {
        0..=44 => {
            let z = 10 + rng.below(7) as u8;
            let t = sasaeai_tiles::TileId::containing(lon, lat, z);
            let set = ["base", "analysis", "network", "population", "all"][rng.below(5) as usize];
            // The page's questions: the usual one mostly, others as staff change the selectors.
            let question =
                ["", "", "?minutes=30&kinds=clinic", "?minutes=60&profile=standard"][rng.below(4) as usize];
            ("tile", "GET", format!("/tiles/{set}/{z}/{}/{}.mvt{question}", t.x, t.y), None)
        }
        45..=59 => {
            let list = [
                "/api/sites?limit=20",
                "/api/areas?level=district&limit=5",
                "/api/population?limit=100&after=50",
            ];
            ("list", "GET", list[rng.below(3) as usize].to_owned(), None)
        }
        60..=71 => {
            let kinds =
                ["cafe", "cafe,engawa", "kayoinoba", "clinic,pharmacy", "care_center"][rng.below(5) as usize];
            let minutes = 5 + rng.below(56);
            let profile = ["elderly", "standard", "wheelchair"][rng.below(3) as usize];
            let what = ["coverage", "gaps", "karte"][rng.below(3) as usize];
            (
                "analysis",
                "GET",
                format!("/api/{what}?kinds={kinds}&minutes={minutes}&profile={profile}"),
                None,
            )
        }
        72..=75 => ("reach", "GET", format!("/api/reach?lon={lon:.5}&lat={lat:.5}&minutes=15"), None),
        76..=83 => (
            "create",
            "POST",
            "/api/sites".into(),
            Some(site_json("ソークのカフェ（架空）", "cafe", lon, lat)),
        ),
        84..=88 if !own_sites.is_empty() => {
            let id = own_sites[rng.below(own_sites.len() as u64) as usize];
            let name = format!("改名{}", rng.below(1000));
            ("rename", "PUT", format!("/api/sites/{id}"), Some(site_json(&name, "engawa", lon, lat)))
        }
        89..=92 if !own_sites.is_empty() => {
            let id = own_sites[rng.below(own_sites.len() as u64) as usize];
            ("delete", "DELETE", format!("/api/sites/{id}"), None)
        }
        93..=94 => {
            let body = format!(
                r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
                site_json("取込A（架空）", "kayoinoba", lon, lat),
                site_json("取込B（架空）", "ikoi", lon + 0.001, lat)
            );
            ("import", "POST", "/api/import/sites".into(), Some(body))
        }
        _ => {
            let hostile = [
                "/tiles/sites,sites,sites/22/0/0.mvt",
                "/tiles/all/25/0/0.mvt",
                "/api/catchments?kind=cafe&minutes=500",
                "/api/suggest?kind=cafe&minutes=60&grid_m=50",
                "/api/suggest?kind=cafe&minutes=60&count=20",
                "/web/package.json",
                "/web/node_modules/maplibre-gl/package.json",
                "/api/sites?limit=999999",
                "/api/catchments?kind=cafe,engawa,kayoinoba&minutes=60",
            ];
            ("hostile", "GET", hostile[rng.below(hostile.len() as u64) as usize].to_owned(), None)
        }
    }
}

/// A client that connects, sends half a request and goes away.
fn half_open(addr: &str) {
    if let Ok(mut s) = std::net::TcpStream::connect(addr) {
        let _ = s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n");
    }
}

fn client(base: String, seed: u64, until: Instant, log: Arc<Mutex<Log>>) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build(),
    );
    let mut rng = Rng(seed);
    let mut own_sites: Vec<i64> = Vec::new();
    let addr = base.trim_start_matches("http://").to_owned();
    while Instant::now() < until {
        if rng.below(200) == 0 {
            half_open(&addr);
        }
        let (kind, method, path, body) = pick(&mut rng, &own_sites);
        let url = format!("{base}{path}");
        let auth = format!("Bearer {TOKEN}");
        let response = match (method, body) {
            ("GET", _) => agent.get(&url).call(),
            ("DELETE", _) => agent.delete(&url).header("authorization", &auth).call(),
            ("PUT", Some(b)) => agent.put(&url).header("authorization", &auth).send(b),
            (_, b) => agent.post(&url).header("authorization", &auth).send(b.unwrap_or_default()),
        };
        let mut response = match response {
            Ok(r) => r,
            Err(e) => {
                log.lock().unwrap().unexpected.push(format!("{method} {path}: {e}"));
                continue;
            }
        };
        let status = response.status().as_u16();
        let text = response.body_mut().with_config().limit(64 << 20).read_to_string().unwrap_or_default();
        let mut log = log.lock().unwrap();
        *log.statuses.entry((kind.to_owned(), status)).or_default() += 1;
        if status >= 500 && status != 503 && status != 504 {
            log.unexpected
                .push(format!("{method} {path}: {status} {}", text.chars().take(200).collect::<String>()));
        }
        let json = || serde_json::from_str::<serde_json::Value>(&text).unwrap();
        match (kind, status) {
            ("create", 201) => {
                let id = json()["id"].as_i64().unwrap();
                own_sites.push(id);
                log.sites.insert(id, Some("ソークのカフェ（架空）".into()));
            }
            ("rename", 200) => {
                let f = json();
                log.sites.insert(
                    f["id"].as_i64().unwrap(),
                    Some(f["properties"]["name"].as_str().unwrap().to_owned()),
                );
            }
            ("delete", 204) => {
                let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
                own_sites.retain(|s| *s != id);
                log.sites.insert(id, None);
            }
            ("import", 201) => {
                for (id, name) in
                    json()["ids"].as_array().unwrap().iter().zip(["取込A（架空）", "取込B（架空）"])
                {
                    let id = id.as_i64().unwrap();
                    own_sites.push(id);
                    log.sites.insert(id, Some(name.into()));
                }
            }
            _ => {}
        }
    }
}

/// Site id → name, as the store holds them.
fn stored_sites(store: &sasaeai::store::Store) -> HashMap<i64, String> {
    store.read().sites().map(|s| (s.id.0, s.data.name.clone())).collect()
}

fn check_acknowledged(log: &Log, stored: &HashMap<i64, String>, when: &str) {
    let mut missing = 0;
    for (id, expected) in &log.sites {
        match (expected, stored.get(id)) {
            (Some(name), Some(found)) if found == name => {}
            (None, None) => {}
            (e, f) => {
                missing += 1;
                eprintln!("{when}: site {id} expected {e:?}, found {f:?}");
            }
        }
    }
    assert_eq!(missing, 0, "{when}: acknowledged writes lost or wrong");
}

#[test]
fn soak_mixed_load_answers_without_5xx_and_keeps_every_acknowledged_write() {
    let seconds: u64 = std::env::var("SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let (_dir, store_path) = common::demo_store_file();
    let mut server = common::Server::on_store(&store_path, CONFIG);
    let pid = server.child.id();
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let log = Arc::new(Mutex::new(Log::default()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (base, log) = (server.base.clone(), log.clone());
            std::thread::spawn(move || client(base, 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1), until, log))
        })
        .collect();
    let mut samples = Vec::new();
    while Instant::now() < until {
        std::thread::sleep(Duration::from_secs(1));
        samples.push(rss_kib(pid));
    }
    for c in clients {
        c.join().unwrap();
    }
    let log = log.lock().unwrap();
    let total: u64 = log.statuses.values().sum();
    // Warm-up: the first third, while the caches fill to their bounds. Its level is the highest of its
    // last ten samples, not one sample, which may fall in a dip of a few megabytes.
    let warm = samples.len() / 3;
    let steady = &samples[warm..];
    let (first, max) =
        (*samples[warm.saturating_sub(10)..warm].iter().max().unwrap(), *steady.iter().max().unwrap());
    println!(
        "soak {seconds} s, {CLIENTS} clients: {total} requests ({:.0}/s); RSS after warm-up {first} KiB, max {max} KiB, end {} KiB",
        total as f64 / started.elapsed().as_secs_f64(),
        steady.last().unwrap()
    );
    let every_10_s: Vec<String> = samples.iter().step_by(10).map(|kib| format!("{}", kib / 1024)).collect();
    println!("  RSS every 10 s (MiB): {}", every_10_s.join(" "));
    for ((kind, status), n) in &log.statuses {
        println!("  {kind:9} {status}: {n}");
    }
    assert!(log.unexpected.is_empty(), "unexpected answers:\n{}", log.unexpected.join("\n"));
    assert!(total > seconds * 20, "the load generator hardly ran");
    let growth_pct = (max as f64 / first as f64 - 1.0) * 100.0;
    println!("resident memory after warm-up grew by {growth_pct:.0} %");
    assert!(growth_pct <= 20.0, "resident memory grew by {growth_pct:.0} % after warm-up");

    let probe = sasaeai::store::Store::open(&store_path).unwrap(); // a second reader, while it runs
    check_acknowledged(&log, &stored_sites(&probe), "while running");
    drop(probe);
    server.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    server.child.wait().unwrap();
    let reopened = sasaeai::store::Store::open(&store_path).unwrap();
    check_acknowledged(&log, &stored_sites(&reopened), "after kill -9");
    assert_eq!(reopened.integrity_check().unwrap(), ["ok"]);
    println!("{} acknowledged site writes all present after kill -9", log.sites.len());
}
