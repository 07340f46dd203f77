//! The `sasaeai` command: serve the API, import data, generate the demo town.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sasaeai::config::Config;
use sasaeai::http::{AppState, ServerOptions, serve};
use sasaeai::import::{self, AreaOptions, ColumnMap, PopulationOptions, SiteOptions};
use sasaeai::model::{AreaLevel, SiteKind};
use sasaeai::store::{Replace, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// sasaeai (支え合い): 地域包括ケアのための地図と分析のサーバー.
/// Geospatial analysis and map server for community-based integrated care.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the map and the API on a store (the fictional demo store when none is given).
    Serve(ServeArgs),
    /// Import a file into a store, all or nothing.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The fictional demo town in geodata/.
    #[command(subcommand)]
    Demo(DemoCommand),
}

#[derive(Args)]
struct StoreArg {
    /// The GeoPackage file; created when missing. Default: the demo store, built from geodata/ on
    /// first use.
    #[arg(long, global = true)]
    store: Option<PathBuf>,
    /// Folder of the demo data (used when --store is not given).
    #[arg(long, global = true, env = "SASAEAI_GEODATA", default_value = "geodata")]
    geodata: PathBuf,
}

impl StoreArg {
    fn resolve(&self, config: Option<PathBuf>) -> Result<PathBuf> {
        match self.store.clone().or(config) {
            Some(path) => Ok(path),
            None => sasaeai::demo::ensure_store(&self.geodata)
                .with_context(|| format!("building the demo store from {}", self.geodata.display())),
        }
    }
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    addr: Option<String>,
    /// A TOML file with `store`, `addr`, `staff_token`, `public_url`, `[network]` and `[limits]`.
    #[arg(long, env = "SASAEAI_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Area boundaries from GeoJSON (国土数値情報 N03 understood without flags).
    Areas(ImportAreas),
    /// Sites from GeoJSON or CSV (自治体標準オープンデータセット columns 名称, 住所, 緯度, 経度, …).
    Sites(ImportSites),
    /// Population points from GeoJSON or CSV (total / 総数, aged65 / 65歳以上, aged75 / 75歳以上).
    Population(ImportPopulation),
    /// The walking network from an OpenStreetMap PBF extract or a GeoJSON line file; replaces the
    /// store's network.
    Network(ImportNetwork),
}

#[derive(Args)]
struct ImportNetwork {
    /// FILE.osm.pbf or FILE.geojson.
    file: PathBuf,
    #[command(flatten)]
    store: StoreArg,
    /// An attribution line, e.g. © OpenStreetMap contributors.
    #[arg(long, value_parser = attribution_line)]
    attribution: Option<String>,
    /// Replace the current network even when the new one is less than half as long (otherwise such
    /// a file, probably truncated or of the wrong place, is refused).
    #[arg(long)]
    replace: bool,
}

/// An attribution line within the length limit, checked before anything is imported.
fn attribution_line(line: &str) -> Result<String, String> {
    sasaeai::model::limits::attribution(line).map(str::to_owned).map_err(|e| format!("the attribution {e}"))
}

#[derive(Args)]
struct Common {
    /// The file to import.
    file: PathBuf,
    #[command(flatten)]
    store: StoreArg,
    /// Map a field to a column or property of the file, as FIELD=COLUMN (repeatable), e.g.
    /// `--column lat=Y座標`. Fields: name, code, parent, level, kind, lat, lon, address, schedule,
    /// audience, operator, total, aged65, aged75, year, source, population_name.
    #[arg(long = "column", value_name = "FIELD=COLUMN")]
    columns: Vec<String>,
    /// An attribution line to show with this data, e.g. 「国土数値情報（行政区域データ）」（国土交通省）を加工して作成.
    #[arg(long, value_parser = attribution_line)]
    attribution: Option<String>,
}

impl Common {
    fn column_map(&self) -> Result<ColumnMap> {
        Ok(ColumnMap::parse(&self.columns)?)
    }
}

#[derive(Args)]
struct ImportAreas {
    #[command(flatten)]
    common: Common,
    /// The level of every area: city, ward, sphere, district, chome. Default: each feature's `level`.
    #[arg(long)]
    level: Option<AreaLevel>,
    /// Property holding the name (default: N03_005/N03_004, name, 名称).
    #[arg(long)]
    name_field: Option<String>,
    /// Property holding the official code (default: N03_007, code).
    #[arg(long)]
    code_field: Option<String>,
    /// Property naming the parent area by name or code (default: derived from geometry).
    #[arg(long)]
    parent_field: Option<String>,
}

#[derive(Args)]
struct ImportSites {
    #[command(flatten)]
    common: Common,
    /// The kind of every site (care_center, care_service, clinic, pharmacy, cafe, engawa, kayoinoba,
    /// ikoi, childcare, park, community_center, other). Default: each record's `kind`.
    #[arg(long)]
    kind: Option<SiteKind>,
}

#[derive(Args)]
struct ImportPopulation {
    #[command(flatten)]
    common: Common,
    /// Source written where a record has none, e.g. 住民基本台帳.
    #[arg(long)]
    source: Option<String>,
    /// Year written where a record has none.
    #[arg(long)]
    year: Option<i32>,
    /// Join each row by 町丁 name or code to the store's 町丁 (chome) areas instead of reading
    /// coordinates (町丁別・年齢別人口).
    #[arg(long, conflicts_with = "join_points")]
    join_chome: bool,
    /// Join each row by name to the points of this GeoJSON file (e.g. 町丁 representative points).
    #[arg(long, value_name = "POINTS.geojson")]
    join_points: Option<PathBuf>,
    /// With --join-points: the property holding each point's name.
    #[arg(long, default_value = "name")]
    point_name_field: String,
    /// With --join-points: the property holding each point's ward (区), matched with a 区 column.
    #[arg(long)]
    point_ward_field: Option<String>,
    /// Import the rows that match and list the others, instead of importing nothing.
    #[arg(long)]
    allow_unmatched: bool,
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Write the fictional town's GeoJSON files (deterministic).
    Generate {
        /// Output folder.
        #[arg(long, default_value = "geodata")]
        out: PathBuf,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "sasaeai=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(args) => run_server(args),
        Command::Import(cmd) => run_import(cmd),
        Command::Demo(DemoCommand::Generate { out }) => {
            sasaeai::demo::write_files(&out).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} to {}", sasaeai::demo::FILES.join(", "), out.display());
            Ok(())
        }
    }
}

fn run_server(args: ServeArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let store_path = args.store.resolve(config.store.clone())?;
    let started = Instant::now();
    let store = Store::open(&store_path).with_context(|| format!("opening {}", store_path.display()))?;
    let (areas, sites, population) = store.read().counts();
    tracing::info!(
        store = %store_path.display(), areas, sites, population,
        ms = started.elapsed().as_millis() as u64, "store loaded"
    );
    let token = std::env::var("SASAEAI_STAFF_TOKEN").ok().or(config.staff_token);
    if token.as_deref().is_none_or(str::is_empty) {
        tracing::warn!("no staff token (SASAEAI_STAFF_TOKEN): the API is read-only");
    }
    let addr = args.addr.or(config.addr).unwrap_or_else(|| "127.0.0.1:8080".into());
    let options = ServerOptions {
        staff_token: token,
        network: config.network,
        limits: config.limits,
        public_url: config.public_url,
    };
    let state = AppState::with_options(Arc::new(store), options);
    tokio::runtime::Runtime::new()?.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(&addr).await.with_context(|| format!("binding {addr}"))?;
        let local = listener.local_addr()?;
        // Tests and scripts read this line to find the port when started on port 0.
        println!("sasaeai listening on http://{local}/");
        serve(listener, state).await?;
        Ok(())
    })
}

fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_message(message);
    bar.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A bar counting records as they are written.
fn counter(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64).with_message(format!("writing {what}"));
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn run_network_import(n: ImportNetwork) -> Result<()> {
    let started = Instant::now();
    let bytes = read_file(&n.file)?;
    let bar = spinner(format!("reading walkable ways from {}", n.file.display()));
    let read = sasaeai::network::read_file(&bytes);
    bar.finish_and_clear();
    let (nodes, edges) =
        read.with_context(|| format!("{} was not imported (nothing was written)", n.file.display()))?;
    let path = n.store.resolve(None)?;
    let store = Store::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let bar = spinner(format!("building and writing {} edges", edges.len()));
    let replace = if n.replace { Replace::Always } else { Replace::OnlyIfNotShrinking };
    let summary = store.replace_network(nodes, edges, replace)?;
    bar.finish_and_clear();
    let is_osm = bytes.starts_with(&[0, 0]) || n.file.extension().is_some_and(|e| e == "pbf");
    if let Some(line) = n.attribution.as_deref().or(is_osm.then_some("© OpenStreetMap contributors (ODbL)"))
    {
        store.add_attribution(line)?;
    }
    println!(
        "imported a walking network from {} into {} in {:.2} s: {} nodes, {} edges, {:.1} km, {} steps edges, \
         {} connected components (the largest holds {:.1} % of nodes)",
        n.file.display(),
        store.path().display(),
        started.elapsed().as_secs_f64(),
        summary.nodes,
        summary.edges,
        summary.length_km,
        summary.steps_edges,
        summary.components,
        summary.largest_component_share * 100.0
    );
    Ok(())
}

fn run_import(cmd: ImportCommand) -> Result<()> {
    let started = Instant::now();
    let (common, summary) = match cmd {
        ImportCommand::Areas(a) => {
            let mut columns = a.common.column_map()?;
            for (field, value) in
                [("name", &a.name_field), ("code", &a.code_field), ("parent", &a.parent_field)]
            {
                if let Some(v) = value {
                    columns.set(field, v.clone())?;
                }
            }
            let bytes = read_file(&a.common.file)?;
            let bar = spinner(format!("reading {}", a.common.file.display()));
            let areas = import::areas(&bytes, &AreaOptions { level: a.level, columns });
            let areas = finish_parse(&bar, areas, &a.common.file)?;
            bar.finish_and_clear();
            let store = open_store(&a.common)?;
            let bar = counter(areas.len(), "areas (then deriving their nesting)");
            let written = store.import_areas(bar.wrap_iter(areas.into_iter()))?;
            bar.finish_and_clear();
            let summary =
                format!("{} areas ({} existing areas re-nested)", written.ids.len(), written.reparented);
            if bytes.windows(7).any(|w| w == b"N03_007") {
                store.add_attribution("「国土数値情報（行政区域データ）」（国土交通省）を加工して作成")?;
            }
            (a.common, (store, summary))
        }
        ImportCommand::Sites(s) => {
            let bytes = read_file(&s.common.file)?;
            let bar = spinner(format!("reading {}", s.common.file.display()));
            let sites = import::sites(&bytes, &SiteOptions { kind: s.kind, columns: s.common.column_map()? });
            let sites = finish_parse(&bar, sites, &s.common.file)?;
            bar.finish_and_clear();
            let store = open_store(&s.common)?;
            let bar = counter(sites.len(), "sites");
            let ids = store.insert_sites(bar.wrap_iter(sites.into_iter()))?;
            bar.finish_and_clear();
            (s.common, (store, format!("{} sites", ids.len())))
        }
        ImportCommand::Network(n) => return run_network_import(n),
        ImportCommand::Population(p) => {
            let bytes = read_file(&p.common.file)?;
            let bar = spinner(format!("reading {}", p.common.file.display()));
            let options =
                PopulationOptions { source: p.source, year: p.year, columns: p.common.column_map()? };
            let store = open_store(&p.common)?;
            let places = if p.join_chome {
                Some(import::join::chome_places(&store.read()))
            } else if let Some(points) = &p.join_points {
                let bytes = read_file(points)?;
                Some(import::join::point_places(&bytes, &p.point_name_field, p.point_ward_field.as_deref())?)
            } else {
                None
            };
            let units = match places {
                None => finish_parse(&bar, import::population(&bytes, &options), &p.common.file)?,
                Some(places) => {
                    let joined = import::join::population(&bytes, &options, &places, p.allow_unmatched);
                    let (units, report) = finish_parse(&bar, joined, &p.common.file)?;
                    for row in &report.unmatched_rows {
                        eprintln!("  not imported, {row}");
                    }
                    if !report.places_without_rows.is_empty() {
                        let list = report.places_without_rows.join(", ");
                        eprintln!("  {} 町丁 have no row: {list}", report.places_without_rows.len());
                    }
                    units
                }
            };
            bar.finish_and_clear();
            let bar = counter(units.len(), "population points");
            let ids = store.insert_population(bar.wrap_iter(units.into_iter()))?;
            bar.finish_and_clear();
            (p.common, (store, format!("{} population points", ids.len())))
        }
    };
    let (store, what) = summary;
    if let Some(line) = &common.attribution {
        store.add_attribution(line)?;
    }
    let (areas, sites, population) = store.read().counts();
    println!(
        "imported {what} from {} into {} in {:.2} s; the store now holds {areas} areas, {sites} sites, {population} population points",
        common.file.display(),
        store.path().display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn open_store(common: &Common) -> Result<Store> {
    let path = common.store.resolve(None)?;
    Store::open(&path).with_context(|| format!("opening {}", path.display()))
}

/// Ends the spinner on a parse failure and lists every bad record (the first 50) on stderr.
fn finish_parse<T>(bar: &ProgressBar, result: Result<T, import::ImportError>, file: &Path) -> Result<T> {
    result.map_err(|e| {
        bar.finish_and_clear();
        if let import::ImportError::Invalid { problems } = &e {
            for p in problems.iter().take(50) {
                eprintln!("  {}: {p}", file.display());
            }
            if problems.len() > 50 {
                eprintln!("  … and {} more", problems.len() - 50);
            }
        }
        anyhow::Error::new(e).context(format!("{} was not imported (nothing was written)", file.display()))
    })
}
