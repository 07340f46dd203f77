//! The `sasaeai` command: serve the API, import data, generate the demo town.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sasaeai::app::{App, AppOptions, ImportJob, ImportLayer, ImportSummary, Join, Principal};
use sasaeai::config::{Config, DEFAULT_ADDR};
use sasaeai::http::{AppState, ServerOptions, serve};
use sasaeai::import::{self, ColumnMap};
use sasaeai::model::indicators::Catalogue;
use sasaeai::model::kind_table::KindTable;
use sasaeai::model::{AreaLevel, SiteKind};
use sasaeai::private::{PrivateStore, Role};
use sasaeai::store::{Location, Replace, Store};
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
    /// Accounts (kept in the private store — NAME.private.sqlite beside a GeoPackage, or the
    /// tenant's private tables in PostgreSQL — never with the public layers).
    #[command(subcommand)]
    User(UserCommand),
    /// Personal API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Copy the GeoPackage and the private store beside it into DIR while the server runs: each
    /// copy is one consistent snapshot, and the server's writes go on meanwhile. Never overwrites.
    Backup(BackupArgs),
    /// Copy every layer of one store into another, empty one, keeping every id — a GeoPackage into
    /// PostgreSQL or back — then read the copy back and compare each layer's count and checksum.
    /// The private store (accounts, support maps, sheets) moves with it, table by table.
    Migrate(MigrateArgs),
    /// Read a configuration file and report every setting that cannot work, each with its line (as
    /// `serve --config` would refuse to start on it).
    CheckConfig {
        /// The TOML file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account; its password is read from standard input (one line).
    Add {
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// Limit the account to these area ids (wards for staff, areas for coordinators),
        /// comma-separated; default: the whole city.
        #[arg(long, value_delimiter = ',')]
        scope: Vec<i64>,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Set an account's password, read from standard input; its sessions end.
    Passwd {
        name: String,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Disable an account: its sessions end and its tokens are revoked.
    Disable {
        name: String,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Enable a disabled account again.
    Enable {
        name: String,
        #[command(flatten)]
        store: StoreArg,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new personal API token for the account NAME (shown once; send it as
    /// `Authorization: Bearer …`; its owner can revoke it).
    Create {
        /// The account.
        name: String,
        /// What the token is for, e.g. "QGIS on the planning PC".
        #[arg(long, default_value = "cli")]
        label: String,
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Args)]
struct StoreArg {
    /// The store: a GeoPackage file (created when missing) or a PostgreSQL database with PostGIS,
    /// `postgres://USER@HOST/DB` (with --tenant). Default: the demo store, built from geodata/ on
    /// first use.
    #[arg(long, global = true, env = "SASAEAI_STORE")]
    store: Option<String>,
    /// The municipality whose part of a shared PostgreSQL store this is, e.g. its code 141305.
    #[arg(long, global = true, env = "SASAEAI_TENANT")]
    tenant: Option<String>,
    /// The private store (accounts, support maps, staff sheets) as a SQLite file of its own.
    /// Default: NAME.private.sqlite beside a GeoPackage; with a PostgreSQL store, the same
    /// database and tenant (so every instance shares sign-ins).
    #[arg(long, global = true, env = "SASAEAI_PRIVATE")]
    private: Option<PathBuf>,
    /// Folder of the demo data (used when --store is not given).
    #[arg(long, global = true, env = "SASAEAI_GEODATA", default_value = "geodata")]
    geodata: PathBuf,
}

impl StoreArg {
    /// The store of the flags, else of the configuration file, else the demo store.
    fn resolve(&self, config: &Config) -> Result<Location> {
        let tenant = self.tenant.as_deref().or(config.tenant.as_deref());
        match self.store.as_deref().or(config.store.as_deref()) {
            Some(store) => Location::parse(store, tenant).map_err(anyhow::Error::msg),
            None => Ok(Location::GeoPackage(
                sasaeai::demo::ensure_store(&self.geodata)
                    .with_context(|| format!("building the demo store from {}", self.geodata.display()))?,
            )),
        }
    }

    fn private(&self, config: &Config) -> Option<PathBuf> {
        self.private.clone().or_else(|| config.private.clone())
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
    /// Statistics per area and year (CSV or Excel): wide — one row per area, one column per
    /// indicator named by its id or Japanese name (総人口, 高齢化率, 要介護・要支援認定者数 …) — or long,
    /// with 地区名 (or コード), 指標, 年度 and 値 columns. Importing a year again replaces it.
    Indicators(ImportIndicators),
    /// Participants per site and year (通いの場の参加者数), CSV or Excel: a 名称 (or site_id) column
    /// with a 参加者数 column and a 年度 column (or --year), or one column per year (2023年度 …).
    /// Sums per area become the 通いの場参加者数 indicator. Importing a year again replaces it.
    Participants(ImportParticipants),
}

#[derive(Args)]
struct BackupArgs {
    /// The folder to write the copies into (created when missing), e.g. backups/2026-11-22.
    dir: PathBuf,
    #[command(flatten)]
    store: StoreArg,
}

#[derive(Args)]
struct MigrateArgs {
    /// The store to copy: a GeoPackage file or postgres://USER@HOST/DB.
    #[arg(long)]
    from: String,
    /// The empty store to copy into (a GeoPackage is created when missing).
    #[arg(long)]
    to: String,
    /// The municipality whose part of a PostgreSQL store is read or written, e.g. 141305.
    #[arg(long, env = "SASAEAI_TENANT")]
    tenant: Option<String>,
}

/// A statistics table or list, and how to read it.
#[derive(Args)]
struct TableArgs {
    /// The table (CSV or Excel).
    file: PathBuf,
    #[command(flatten)]
    store: StoreArg,
    /// The year of every figure, when the table has no 年度 column (nor a column per year).
    #[arg(long)]
    year: Option<i32>,
    /// For a workbook: the sheet to read. Default: the first.
    #[arg(long)]
    sheet: Option<String>,
    /// Check the table against the store (and the catalogue), and write nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
struct ImportParticipants {
    #[command(flatten)]
    table: TableArgs,
}

#[derive(Args)]
struct ImportIndicators {
    #[command(flatten)]
    table: TableArgs,
    /// The level of the areas the table names, when a name is used at two levels.
    #[arg(long)]
    level: Option<AreaLevel>,
    /// A CSV of the ward's own indicators added to the catalogue (as `indicator_catalogue` in the
    /// server's configuration file).
    #[arg(long)]
    catalogue: Option<PathBuf>,
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
    /// For a workbook (.xlsx, .xls, .ods — recognised by content, whatever the name): the sheet to
    /// read. Default: the first.
    #[arg(long)]
    sheet: Option<String>,
    /// What coordinates are in when the file does not say: EPSG:4326 (default; decimal degrees or
    /// 度分秒) or a JGD2011 平面直角座標系 zone, EPSG:6669 (I) … EPSG:6687 (XIX). In a table the X座標
    /// column is then the northing and Y座標 the easting, as in Japanese surveying; a GeoJSON file
    /// naming its crs needs no flag.
    #[arg(long, default_value = "EPSG:4326")]
    crs: sasaeai::import::crs::Crs,
    /// Show how the file would be read and what would be imported — encoding, delimiter, the column
    /// of each field, good / suspect / geocoded / bad rows, kinds, the first problems — and write
    /// nothing.
    #[arg(long)]
    dry_run: bool,
    /// Sites and population: import the valid rows and write the others, each with its reason, to
    /// FILE.rejected.csv beside the input, instead of importing nothing.
    #[arg(long)]
    skip_invalid: bool,
}

impl Common {
    fn column_map(&self) -> Result<ColumnMap> {
        Ok(ColumnMap::parse(&self.columns)?)
    }

    /// A job reading this file into `layer` with `columns` and this attribution.
    fn job(&self, layer: ImportLayer, columns: ColumnMap) -> Result<ImportJob> {
        let mut job = ImportJob::new(layer, read_input(&self.file)?);
        job.columns = columns;
        job.attribution = self.attribution.clone();
        job.sheet = self.sheet.clone();
        job.crs = self.crs;
        job.skip_invalid = self.skip_invalid;
        Ok(job)
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
    /// The file is a list of areas and the 町丁 each holds (a 小中学校通学区域 table): each area is
    /// the union of its 町丁 — 中学校区 for --level sphere, 小学校区 otherwise. Items naming part of a
    /// place (番地 ranges, exceptions) are listed for a person to settle; unknown names are listed.
    #[arg(long, requires = "level")]
    from_chome_list: bool,
    /// With --from-chome-list, when the store has no 町丁 polygons: 町丁 representative points
    /// (GeoJSON, property `name`) whose Voronoi cells, clipped to the city, stand in for them
    /// (marked approximate).
    #[arg(long, value_name = "POINTS.geojson", requires = "from_chome_list")]
    gazetteer: Option<PathBuf>,
}

#[derive(Args)]
struct ImportSites {
    #[command(flatten)]
    common: Common,
    /// The kind of every site (care_center, care_service, clinic, pharmacy, cafe, engawa, kayoinoba,
    /// ikoi, childcare, park, community_center, other). Default: each record's `kind`.
    #[arg(long)]
    kind: Option<SiteKind>,
    /// 町丁 / 大字 representative points (GeoJSON, property `name`, e.g. Geolonia's): rows with a
    /// 住所 and no coordinates are placed on the 町丁 it names (marked `geocoded: chome`), as they
    /// are on the store's 町丁 without this flag; rows far from every place are refused as suspect.
    #[arg(long, value_name = "POINTS.geojson")]
    gazetteer: Option<PathBuf>,
    /// Without --kind, a CSV of `value,kind` lines adding to or overriding the built-in table that
    /// maps a 種別 / 実施サービス / 施設種別 column's values (通所介護, 無床診療所 …) to kinds.
    #[arg(long, value_name = "KINDS.csv")]
    kind_table: Option<PathBuf>,
    /// The source the rows come from (default: the file's name). Importing the same source again
    /// replaces its sites row by row — added, changed, removed — and keeps sites edited by hand
    /// since, saying so.
    #[arg(long)]
    source: Option<String>,
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
    /// The date the figures are for (2025-03-31, 令和7年3月31日), over any date the file gives
    /// (調査年月日, or a date in the sheet's name); use it when the file's date is stale.
    #[arg(long)]
    date: Option<sasaeai::import::dates::Date>,
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
    /// Write a large fictional city's walking network (大ささえ市, 架空) as GeoJSON, to measure on:
    /// `sasaeai import network` reads it. Deterministic for a seed.
    City {
        /// About how many walkable edges (250,000: a city of about 35 km across), from 100 to 5,000,000.
        #[arg(long, default_value_t = 250_000, value_parser = clap::value_parser!(u64).range(100..=5_000_000))]
        edges: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file.
        #[arg(long, default_value = "city-network.geojson")]
        out: PathBuf,
    },
}

/// One malloc arena per core, unless `MALLOC_ARENA_MAX` says otherwise. With glibc's default (eight
/// per core) each of the server's many blocking threads keeps an arena of its own holding memory freed
/// after a burst of analyses, and resident memory creeps up under mixed load: the one-minute soak grew
/// by 25 % after warm-up with the default and by 11 % with this.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    // SAFETY: mallopt only sets a parameter of the allocator, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, i32::try_from(cores).unwrap_or(i32::MAX));
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> Result<()> {
    limit_malloc_arenas();
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
        Command::User(cmd) => run_user(cmd),
        Command::Token(TokenCommand::Create { name, label, store }) => {
            let app = open_app(&store)?;
            let (_, token) = app.create_token(&Principal::operator(), Some(&name), &label)?;
            println!("{token}");
            Ok(())
        }
        Command::Backup(BackupArgs { dir, store }) => {
            let started = Instant::now();
            for file in open_app(&store)?.backup(&Principal::operator(), &dir)? {
                let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or_default();
                println!("{} ({:.1} MB)", file.display(), bytes as f64 / 1e6);
            }
            println!("copied in {:.2} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Migrate(args) => migrate(args),
        Command::CheckConfig { file } => {
            let config = Config::load(&file)?;
            let profiles: Vec<&str> = config.network.profiles.keys().map(String::as_str).collect();
            println!(
                "{}: ok (listen {}, store {}, profiles {})",
                file.display(),
                config.addr.as_deref().unwrap_or(DEFAULT_ADDR),
                config.store.as_deref().unwrap_or("from --store"),
                profiles.join(", ")
            );
            Ok(())
        }
        Command::Demo(DemoCommand::Generate { out }) => {
            sasaeai::demo::write_files(&out).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} to {}", sasaeai::demo::FILES.join(", "), out.display());
            Ok(())
        }
        Command::Demo(DemoCommand::City { edges, seed, out }) => {
            let city = sasaeai::demo::city(edges as usize, seed);
            let write = |path: &PathBuf| -> std::io::Result<()> {
                let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
                city.write_geojson(&mut file)?;
                std::io::Write::flush(&mut file)
            };
            write(&out).with_context(|| format!("writing {}", out.display()))?;
            let steps = city.edges.iter().filter(|e| e.steps).count();
            println!(
                "wrote {}: {} junctions, {} edges ({steps} of them steps), {} bridges over the river",
                out.display(),
                city.nodes.len(),
                city.edges.len(),
                city.bridges.len()
            );
            Ok(())
        }
    }
}

fn migrate(args: MigrateArgs) -> Result<()> {
    let started = Instant::now();
    let parse = |s: &str| Location::parse(s, args.tenant.as_deref()).map_err(anyhow::Error::msg);
    let (from, to) = (parse(&args.from)?, parse(&args.to)?);
    let source = Store::open_at(&from).with_context(|| format!("opening {from}"))?;
    // Files made for the copy are removed again if the copy fails: nothing half-written.
    let created: Vec<PathBuf> = match &to {
        Location::GeoPackage(path) => {
            [path.clone(), PrivateStore::path_beside(path)].into_iter().filter(|p| !p.exists()).collect()
        }
        Location::Postgres { .. } => Vec::new(),
    };
    match copy_stores(&source, &from, &to) {
        Ok(()) => {
            println!(
                "copied {from} into {to} in {:.2} s; every layer and table read back equal",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Err(e) => {
            for path in &created {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Err(e.context(format!("copying {from} into {to}")))
        }
    }
}

/// Copies the public layers of `source` (at `from`) into the store at `to`, then its private store
/// (accounts, support maps, sheets) into the private store that belongs there.
fn copy_stores(source: &Store, from: &Location, to: &Location) -> Result<()> {
    let has_private = match from {
        Location::GeoPackage(path) => PrivateStore::path_beside(path).exists(),
        Location::Postgres { .. } => true,
    };
    let private = match has_private {
        true => Some((PrivateStore::open_at(from)?, PrivateStore::open_at(to)?)),
        false => None,
    };
    // Both targets are checked before either is written, so a refusal leaves both as they were.
    if let Some((_, target)) = &private {
        anyhow::ensure!(target.is_empty()?, "{} already holds private data", target.describe());
    }
    let target = Store::open_at(to)?;
    for layer in source.copy_into(&target)?.layers {
        println!("{:<18} {:>8}  sha256 {}", layer.layer, layer.count, layer.sha256);
    }
    if let Some((source, target)) = private {
        for table in source.copy_into(&target)? {
            println!("{:<18} {:>8}  sha256 {}", table.table, table.count, table.sha256);
        }
    }
    Ok(())
}

fn run_server(args: ServeArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let location = args.store.resolve(&config)?;
    let started = Instant::now();
    let store = Arc::new(Store::open_at(&location).with_context(|| format!("opening {location}"))?);
    store.follow()?;
    let (areas, sites, population) = store.read().counts();
    tracing::info!(
        store = %location, areas, sites, population,
        ms = started.elapsed().as_millis() as u64, "store loaded"
    );
    let private = sasaeai::app::open_private(&location, args.store.private(&config).as_deref())?;
    tracing::info!(private = %private.describe(), "private store opened");
    let token = std::env::var("SASAEAI_STAFF_TOKEN").ok().or(config.staff_token);
    let addr = args.addr.or(config.addr).unwrap_or_else(|| DEFAULT_ADDR.into());
    let options = ServerOptions {
        staff_token: token,
        app: AppOptions {
            accounts: config.accounts,
            privacy: config.privacy,
            staff_token: None,
            catalogue: config.catalogue,
        },
        private: Some(Arc::new(private)),
        network: config.network,
        limits: config.limits,
        public_url: config.public_url,
        background: config.background,
    };
    let state = AppState::with_options(store, options)?;
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

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// A file to import; a Shapefile's `.shp` is read with the `.shx`, `.dbf`, `.prj` and `.cpg`
/// beside it, as one zip.
fn read_input(path: &Path) -> Result<Vec<u8>> {
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("shp")) {
        return read_file(path);
    }
    let mut files = Vec::new();
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        let part = path.with_extension(ext);
        if part.exists() {
            let name = part.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            files.push((name, read_file(&part)?));
        } else if ext == "dbf" {
            anyhow::bail!("{} has no {} beside it (the attributes)", path.display(), part.display());
        }
    }
    Ok(import::shp::bundle(&files))
}

/// The store of `arg` and the private store beside it.
/// The built-in indicator catalogue with the ward's file added.
fn load_catalogue(path: &Path) -> Result<Arc<Catalogue>> {
    Ok(Arc::new(Catalogue::built_in_with_file(path).map_err(anyhow::Error::msg)?))
}

fn open_app(arg: &StoreArg) -> Result<App> {
    open_app_with(arg, AppOptions::default())
}

fn open_app_with(arg: &StoreArg, options: AppOptions) -> Result<App> {
    let config = Config::default();
    let location = arg.resolve(&config)?;
    let private = arg.private(&config);
    App::open(&location, private.as_deref(), Default::default(), options)
        .with_context(|| format!("opening {location}"))
}

/// Reads one line from standard input: a password, never echoed back or logged.
fn password_from_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn run_user(cmd: UserCommand) -> Result<()> {
    let operator = Principal::operator();
    match cmd {
        UserCommand::Add { name, role, scope, store } => {
            let app = open_app(&store)?;
            let user = app.add_user(&operator, &name, role, &scope, &password_from_stdin()?)?;
            println!("added {} ({})", user.name, user.role.as_str());
        }
        UserCommand::Passwd { name, store } => {
            open_app(&store)?.set_password(&operator, &name, &password_from_stdin()?)?;
            println!("password of {name} changed; its sessions have ended");
        }
        UserCommand::Disable { name, store } => {
            open_app(&store)?.set_disabled(&operator, &name, true)?;
            println!("{name} disabled; its sessions have ended and its tokens are revoked");
        }
        UserCommand::Enable { name, store } => {
            open_app(&store)?.set_disabled(&operator, &name, false)?;
            println!("{name} enabled");
        }
        UserCommand::List { store } => {
            for u in open_app(&store)?.users(&operator)? {
                let scope = if u.scope.is_empty() { "all".to_owned() } else { format!("{:?}", u.scope) };
                let state = if u.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{state}\tscope {scope}", u.name, u.role.as_str());
            }
        }
    }
    Ok(())
}

impl ImportCommand {
    /// Whether the command only previews.
    fn dry_run(&self) -> bool {
        match self {
            ImportCommand::Areas(a) => a.common.dry_run,
            ImportCommand::Sites(s) => s.common.dry_run,
            ImportCommand::Population(p) => p.common.dry_run,
            ImportCommand::Network(_) => false,
            ImportCommand::Indicators(i) => i.table.dry_run,
            ImportCommand::Participants(p) => p.table.dry_run,
        }
    }
}

/// The file, the store and the job of an import command.
fn import_job(cmd: ImportCommand) -> Result<(PathBuf, StoreArg, ImportJob)> {
    Ok(match cmd {
        ImportCommand::Areas(a) => {
            let mut columns = a.common.column_map()?;
            for (field, value) in
                [("name", &a.name_field), ("code", &a.code_field), ("parent", &a.parent_field)]
            {
                if let Some(v) = value {
                    columns.set(field, v.clone())?;
                }
            }
            let gazetteer = a.gazetteer.as_deref().map(read_file).transpose()?;
            let job = ImportJob {
                level: a.level,
                from_chome_list: a.from_chome_list,
                gazetteer,
                ..a.common.job(ImportLayer::Areas, columns)?
            };
            (a.common.file, a.common.store, job)
        }
        ImportCommand::Sites(s) => {
            let columns = s.common.column_map()?;
            let gazetteer = s.gazetteer.as_deref().map(read_file).transpose()?;
            let kind_table = s.kind_table.as_deref().map(kind_table).transpose()?;
            let job = ImportJob {
                kind: s.kind,
                gazetteer,
                kind_table,
                ..s.common.job(ImportLayer::Sites, columns)?
            };
            (s.common.file, s.common.store, job)
        }
        ImportCommand::Population(p) => {
            let join = if p.join_chome {
                Some(Join::Chome)
            } else if let Some(points) = &p.join_points {
                let bytes = read_file(points)?;
                Some(Join::Points { bytes, name_field: p.point_name_field, ward_field: p.point_ward_field })
            } else {
                None
            };
            let columns = p.common.column_map()?;
            let job = ImportJob {
                source: p.source,
                year: p.year,
                date: p.date,
                join,
                allow_unmatched: p.allow_unmatched,
                ..p.common.job(ImportLayer::Population, columns)?
            };
            (p.common.file, p.common.store, job)
        }
        ImportCommand::Indicators(i) => {
            let (file, store, mut job) = table_job(i.table, ImportLayer::Indicators)?;
            job.level = i.level;
            (file, store, job)
        }
        ImportCommand::Participants(p) => table_job(p.table, ImportLayer::Participants)?,
        ImportCommand::Network(n) => {
            let mut job = ImportJob::new(ImportLayer::Network, read_input(&n.file)?);
            job.replace = if n.replace { Replace::Always } else { Replace::OnlyIfNotShrinking };
            job.attribution = n.attribution;
            (n.file, n.store, job)
        }
    })
}

/// The file and store of a table import, and its job.
fn table_job(t: TableArgs, layer: ImportLayer) -> Result<(PathBuf, StoreArg, ImportJob)> {
    let mut job = ImportJob::new(layer, read_input(&t.file)?);
    job.year = t.year;
    job.sheet = t.sheet;
    Ok((t.file, t.store, job))
}

/// The built-in kind table with the lines of `path` added.
fn kind_table(path: &Path) -> Result<KindTable> {
    let text =
        String::from_utf8(read_file(path)?).with_context(|| format!("{} is not UTF-8", path.display()))?;
    KindTable::built_in_with(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn run_import(cmd: ImportCommand) -> Result<()> {
    let started = Instant::now();
    let dry_run = cmd.dry_run();
    let catalogue = match &cmd {
        ImportCommand::Indicators(i) => i.catalogue.as_deref().map(load_catalogue).transpose()?,
        _ => None,
    };
    let (file, store, job) = import_job(cmd)?;
    let app = open_app_with(&store, AppOptions { catalogue, ..AppOptions::default() })?;
    let rejected = if job.skip_invalid && !dry_run { Some(rejected_path(&file)?) } else { None };
    if dry_run {
        let preview = app.preview_import(&Principal::operator(), job).map_err(|e| not_imported(e, &file))?;
        print!("{}", describe_preview(&file, &preview));
        return Ok(());
    }
    let bar = spinner(format!("importing {}", file.display()));
    let result = app.import(&Principal::operator(), job);
    bar.finish_and_clear();
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            if let Some(path) = &rejected {
                let _ = std::fs::remove_file(path); // nothing was imported, so nothing was left out
            }
            return Err(not_imported(e, &file));
        }
    };
    report_join(&summary);
    if let Some(path) = &rejected {
        write_rejected(path, &summary)?;
    }
    let (areas, sites, population) = app.store.read().counts();
    println!(
        "imported {} from {} into {} in {:.2} s; the store now holds {areas} areas, {sites} sites, {population} population points",
        what(&summary),
        file.display(),
        app.store.describe(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Where --skip-invalid writes the rows left out: FILE.rejected.csv beside the input, created
/// before the import so that a folder that cannot take it stops the import, not its report.
fn rejected_path(file: &Path) -> Result<PathBuf> {
    let stem = file.file_stem().map_or("import".into(), |s| s.to_string_lossy().into_owned());
    let path = file.with_file_name(format!("{stem}.rejected.csv"));
    std::fs::write(&path, b"")
        .with_context(|| format!("cannot write the rejected rows to {}", path.display()))?;
    Ok(path)
}

/// Writes the rows left out to `path`, or removes it when there are none.
fn write_rejected(path: &Path, summary: &ImportSummary) -> Result<()> {
    if summary.rejected.is_empty() {
        return Ok(std::fs::remove_file(path)?);
    }
    std::fs::write(path, import::rejected_csv(&summary.rejected)?)
        .with_context(|| format!("writing the rejected rows to {}", path.display()))?;
    eprintln!("  {} rows not imported, each with its reason, in {}", summary.rejected.len(), path.display());
    Ok(())
}

/// A preview in words, for the terminal.
fn describe_preview(file: &Path, p: &import::preview::Preview) -> String {
    use std::fmt::Write;
    let mut out = format!("{} (dry run: nothing written)\n", file.display());
    let how = [
        Some(p.format.to_owned()),
        p.encoding.map(|e| {
            use import::TextEncoding::*;
            match e {
                Utf8 => "UTF-8",
                Utf8Bom => "UTF-8 with BOM",
                ShiftJis => "Shift_JIS",
            }
            .to_owned()
        }),
        p.delimiter.as_ref().map(|d| format!("delimiter {d:?}")),
        p.sheet.as_ref().map(|s| format!("sheet {s:?}")),
    ];
    let _ = writeln!(out, "  read as: {}", how.into_iter().flatten().collect::<Vec<_>>().join(", "));
    for (field, column) in &p.columns {
        let _ = writeln!(out, "  {field:<16} ← {column}");
    }
    let _ = writeln!(
        out,
        "  {} records: {} good ({} placed by address), {} suspect, {} bad",
        p.records, p.good, p.geocoded, p.suspect, p.bad
    );
    for (kind, n) in &p.kinds {
        let _ = writeln!(out, "  kind {kind}: {n}");
    }
    for problem in &p.problems {
        let _ = writeln!(out, "  problem: {problem}");
    }
    if p.problem_count > p.problems.len() {
        let _ = writeln!(out, "  … {} problems in all", p.problem_count);
    }
    out
}

/// What an import wrote, in words.
fn what(summary: &ImportSummary) -> String {
    match (&summary.summary, summary.reparented) {
        (Some(n), _) => format!(
            "a walking network: {} nodes, {} edges, {:.1} km, {} steps edges, {} connected components (the largest holds {:.1} % of nodes)",
            n.nodes,
            n.edges,
            n.length_km,
            n.steps_edges,
            n.components,
            n.largest_component_share * 100.0
        ),
        (None, Some(reparented)) => {
            format!("{} areas ({reparented} existing areas re-nested)", summary.imported)
        }
        (None, None) if summary.layer == "sites" => format!("{} sites", summary.imported),
        (None, None) if summary.layer == "indicators" => match &summary.indicators {
            Some(i) => format!(
                "{} figures of {} indicators for {} areas, years {} ({} figures of those years replaced)",
                summary.imported,
                i.indicators.len(),
                i.areas,
                i.years.iter().map(i32::to_string).collect::<Vec<_>>().join(", "),
                i.replaced
            ),
            None => format!("{} figures", summary.imported),
        },
        (None, None) => format!("{} population points", summary.imported),
    }
}

/// Lists what a join left out, on stderr.
fn report_join(summary: &ImportSummary) {
    if let Some(sync) = &summary.sync {
        eprintln!(
            "  source {:?}: {} added, {} changed, {} unchanged, {} removed",
            sync.source, sync.added, sync.changed, sync.unchanged, sync.removed
        );
        for name in &sync.kept_edits {
            eprintln!("  kept as edited by hand (not updated from the file): {name}");
        }
    }
    if let Some(list) = &summary.list {
        for item in &list.to_settle {
            eprintln!("  to settle by hand (part of a place): {item}");
        }
        for name in &list.unmatched {
            eprintln!("  no such 町丁: {name}");
        }
    }
    let Some(report) = &summary.join else { return };
    for row in &report.unmatched_rows {
        eprintln!("  not imported, {row}");
    }
    if !report.places_without_rows.is_empty() {
        let list = report.places_without_rows.join(", ");
        eprintln!("  {} 町丁 have no row: {list}", report.places_without_rows.len());
    }
}

/// The error of a refused import; a file with bad records has each (the first 50) listed on stderr.
fn not_imported(e: sasaeai::app::Error, file: &Path) -> anyhow::Error {
    if let sasaeai::app::Error::Import(import::ImportError::Invalid { problems }) = &e {
        for p in problems.iter().take(50) {
            eprintln!("  {}: {p}", file.display());
        }
        if problems.len() > 50 {
            eprintln!("  … and {} more", problems.len() - 50);
        }
    }
    anyhow::Error::new(e).context(format!("{} was not imported (nothing was written)", file.display()))
}
