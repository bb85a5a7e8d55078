//! Command-line and environment configuration (clap, with env fallbacks).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::store::DEFAULT_DATABASE_URL;

/// assetmap: community asset maps for schools.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once per run: the size of the larger variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Run the HTTP service.
    Serve(ServeArgs),
    /// Import a file of assets, schools or attendance areas (GeoJSON, CSV,
    /// Excel, Shapefile, GeoPackage, KML).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Bring the database schema up to date and exit.
    Migrate(DbArgs),
    /// Export assets to a file (GeoJSON, GeoJSON lines or CSV), filtered like the API.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Tag every asset of a GeoJSON file with the attendance areas (of every
    /// school year given) that contain it, in one pass; writes CSV.
    Join(JoinArgs),
    /// Manage the people who may write.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of the embedded SQLite database to FILE, safe
    /// while the service runs (PostGIS: use pg_dump, see the README).
    Backup {
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Put a backup made with `assetmap backup` in place of the SQLite
    /// database (stop the service first).
    Restore {
        file: PathBuf,
        /// Replace a database that already exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL: sqlite://PATH (embedded, the default) or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ASSETMAP_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    /// Do not load the Seattle demo set into an empty database.
    #[arg(long, env = "ASSETMAP_NO_DEMO")]
    pub no_demo: bool,
    /// Radius in metres used as the area of a school without an attendance area.
    #[arg(long, env = "ASSETMAP_DEFAULT_RADIUS_M", default_value_t = crate::domain::sphere::MILE_M)]
    pub default_radius_m: f64,
    /// More coordinate systems answers may be asked in (`crs=`) and boxes
    /// given in (`bbox-crs=`), besides CRS84, EPSG:4326 and EPSG:3857: EPSG
    /// codes, comma-separated (EPSG:2926 is Washington State Plane North).
    #[arg(long = "crs", env = "ASSETMAP_CRS", value_delimiter = ',', value_parser = parse_epsg)]
    pub crs: Vec<u32>,
    /// The district's time zone (IANA name): opening hours, `open=now` and
    /// `open_now` are read on its clocks.
    #[arg(long, env = "ASSETMAP_TIMEZONE", default_value = crate::domain::hours::DEFAULT_TIMEZONE, value_parser = parse_timezone)]
    pub timezone: chrono_tz::Tz,
    /// Base-map tile URL template for the web page ({z}/{x}/{y}).
    #[arg(
        long,
        env = "ASSETMAP_TILE_URL",
        default_value = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    )]
    pub tile_url: String,
    /// Attribution shown for the base-map tiles.
    #[arg(
        long,
        env = "ASSETMAP_TILE_ATTRIBUTION",
        default_value = "© OpenStreetMap contributors"
    )]
    pub tile_attribution: String,
    /// Organization sign-ups allowed per client address and hour.
    #[arg(long, env = "ASSETMAP_SIGNUPS_PER_HOUR", default_value_t = 10)]
    pub signups_per_hour: u32,
    /// Families' suggestions of a missing asset allowed per client address and hour.
    #[arg(long, env = "ASSETMAP_SUGGESTIONS_PER_HOUR", default_value_t = 10)]
    pub suggestions_per_hour: u32,
    /// Requests handled at once; more are refused at once with 503 and
    /// Retry-After instead of queueing without end.
    #[arg(long, env = "ASSETMAP_MAX_CONCURRENT_REQUESTS", default_value_t = 1024)]
    pub max_concurrent_requests: usize,
    /// Seconds a request may take to produce its answer (503 beyond).
    #[arg(long, env = "ASSETMAP_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Seconds a client may take to send a request's headers; the connection
    /// is closed beyond (against clients that trickle bytes to hold sockets).
    #[arg(long, env = "ASSETMAP_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Proxies (load balancers) to believe about the client's address, as
    /// addresses or networks (CIDR), comma-separated. Only requests from these
    /// have their `Forwarded` / `X-Forwarded-For` read, from the right,
    /// skipping trusted hops. None by default: the peer is the client.
    #[arg(
        long = "trusted-proxy",
        env = "ASSETMAP_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "CIDR"
    )]
    pub trusted_proxies: Vec<crate::http::limit::Cidr>,
    /// Submissions one organization may have awaiting review (new listings,
    /// changes and deletion requests); more are refused with 409.
    #[arg(long, env = "ASSETMAP_MAX_PENDING_PER_ORGANIZATION", default_value_t = crate::service::DEFAULT_MAX_PENDING)]
    pub max_pending_per_organization: u64,
    /// Writes by organizations allowed per client address and hour.
    #[arg(long, env = "ASSETMAP_SUBMISSIONS_PER_HOUR", default_value_t = 120)]
    pub submissions_per_hour: u32,
    /// Public base URL used in links (defaults to the request's Host).
    #[arg(long, env = "ASSETMAP_PUBLIC_URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Subcommand)]
// Parsed once per run: the size of the larger variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum ExportCommand {
    /// Every asset as Open Referral HSDS 3.0: a `.json` file, or a directory for
    /// the Tabular Data Package (CSV files and datapackage.json).
    Hsds {
        path: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Every asset the filters match.
    Assets {
        /// The file to write; its extension picks the format (.geojson, .geojsonl, .csv).
        file: PathBuf,
        /// geojson, geojsonl or csv (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
        /// Only assets inside this school's area (id or district id).
        #[arg(long)]
        school: Option<String>,
        /// School year of that area (default: the newest).
        #[arg(long)]
        year: Option<String>,
        /// Comma-separated category ids.
        #[arg(long)]
        category: Option<String>,
        /// minLon,minLat,maxLon,maxLat
        #[arg(long, allow_hyphen_values = true)]
        bbox: Option<String>,
        /// lon,lat: sorted by distance from here.
        #[arg(long, allow_hyphen_values = true)]
        near: Option<String>,
        /// With --near: only within this many metres.
        #[arg(long)]
        radius: Option<String>,
        /// Text the name contains.
        #[arg(long)]
        q: Option<String>,
        /// Open `now`, in the `evening`, at the `weekend`, or at an RFC 3339 date-time.
        #[arg(long)]
        open: Option<String>,
        /// Languages spoken, any of them (ISO 639-1, comma-separated).
        #[arg(long)]
        language: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct JoinArgs {
    /// GeoJSON file of assets (points).
    #[arg(long)]
    pub assets: PathBuf,
    /// Property holding each asset's id (default: the Feature's `id`).
    #[arg(long)]
    pub id_field: Option<String>,
    /// GeoJSON file of attendance areas; repeat with --school-field and --year for each.
    #[arg(long = "catchments", required = true)]
    pub catchments: Vec<PathBuf>,
    /// Property holding the school's id, one per --catchments.
    #[arg(long = "school-field", required = true)]
    pub school_fields: Vec<String>,
    /// School year of the areas, one per --catchments.
    #[arg(long = "year", required = true)]
    pub years: Vec<String>,
    /// Where to write the CSV (asset_id, name, longitude, latitude, school, year).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user and print their token (shown this once; only its hash is kept).
    Add {
        /// admin, editor, organization or school (school staff).
        #[arg(long)]
        role: String,
        /// The person's or organization's name.
        #[arg(long)]
        name: String,
        /// A school the `school` user works for (the API's id or the
        /// district's); repeat for several.
        #[arg(long = "school", value_name = "ID")]
        schools: Vec<String>,
        /// A district an editor may import for (and undo imports of); repeat
        /// for several. Without it, an editor works for every district.
        #[arg(long = "district", value_name = "CODE", value_parser = parse_district)]
        districts: Vec<String>,
        /// The token stops working after this long: 90d, 12h, 30m.
        #[arg(long, value_name = "LIFETIME")]
        expires_in: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Every user: id, role, name, schools, created, expires, revoked.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a user's token: it stops working at once, on every server.
    Revoke {
        #[command(flatten)]
        who: WhoArgs,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Give a user a new token (printed once); the old one stops working.
    Rotate {
        #[command(flatten)]
        who: WhoArgs,
        /// The new token stops working after this long: 90d, 12h, 30m.
        #[arg(long, value_name = "LIFETIME")]
        expires_in: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Which user: by name (must be unique) or by id.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct WhoArgs {
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub id: Option<uuid::Uuid>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Community assets (points; polygons are reduced to an interior point).
    Assets {
        #[command(flatten)]
        file: FileArgs,
        /// Property holding the name.
        #[arg(long, default_value = "name")]
        name_field: String,
        /// Property holding the category (mapped through the taxonomy).
        #[arg(long, default_value = "category")]
        category_field: String,
        /// Property holding the source's own id (re-imports are keyed on it);
        /// defaults to the Feature's `id`.
        #[arg(long)]
        id_field: Option<String>,
        /// Provenance for features without a `source` property (default: the file name).
        #[arg(long)]
        source: Option<String>,
        /// Column holding the street address: a row without coordinates is
        /// placed by it (the address points first, then --geocoder-url).
        #[arg(long, default_value = "address")]
        address_field: String,
        #[command(flatten)]
        geocoder: GeocoderArgs,
        #[command(flatten)]
        db: DbArgs,
    },
    /// An address-point file (the OpenAddresses CSV layout
    /// LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE), loaded once
    /// to place the addresses of later imports without an outside geocoder.
    Addresses {
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// School sites.
    Schools {
        #[command(flatten)]
        file: FileArgs,
        /// Property holding the district's school id; without it, a stable id
        /// is derived from each name (and reported).
        #[arg(long)]
        id_field: Option<String>,
        /// Property holding the school's name.
        #[arg(long)]
        name_field: String,
        /// Property holding the level (elementary, middle, ...).
        #[arg(long)]
        level_field: Option<String>,
        #[command(flatten)]
        district: DistrictArgs,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Open Referral HSDS: a directory (a Tabular Data Package, or the older
    /// Ohana CSV layout) or an HSDS 3.0 JSON file. Each location with
    /// coordinates becomes an asset; re-imports update by location id.
    Hsds {
        path: PathBuf,
        /// Provenance recorded on each asset (default: the directory or file name).
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Every import recorded (newest first): who, when, which file, what it did.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Undo one import whole: what it added is deleted, what it changed is put
    /// back (an asset changed since is left as it is, and said).
    Undo {
        /// The import's id, as `import list` shows it.
        id: uuid::Uuid,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Attendance areas for one school year, matched to the schools already
    /// imported by id (`--school-field`) or by name (`--school-name-field`).
    Catchments {
        #[command(flatten)]
        file: FileArgs,
        /// Property holding the school's district id (as imported with `schools`).
        #[arg(
            long,
            required_unless_present = "school_name_field",
            conflicts_with = "school_name_field"
        )]
        school_field: Option<String>,
        /// Property holding the school's name, matched to the schools' names
        /// (case, accents, punctuation and "Elementary/ES/School" aside);
        /// unmatched and ambiguous names are reported, never guessed.
        #[arg(long)]
        school_name_field: Option<String>,
        /// A CSV of name,school id pairs that says which school a name means
        /// (checked before matching by name).
        #[arg(long, requires = "school_name_field")]
        school_map: Option<PathBuf>,
        /// School year: 2024-2025 or 2024-25.
        #[arg(long)]
        year: String,
        #[command(flatten)]
        district: DistrictArgs,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The district an import's schools and areas belong to.
#[derive(Debug, Clone, Args)]
pub struct DistrictArgs {
    /// A short code for the district (letters, digits, - and _), when one
    /// service holds several; without it, the default district.
    #[arg(long = "district", default_value = "", value_parser = parse_district)]
    pub code: String,
}

/// A district code: up to 32 letters, digits, `-` and `_` (no `:`, which
/// separates it from a school's id in `DISTRICT:ID`).
pub fn parse_district(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{s:?} is not a district code: up to 32 letters, digits, - and _"
        ))
    }
}

/// An outside geocoder for the addresses the address points do not place.
#[derive(Debug, Clone, Args)]
pub struct GeocoderArgs {
    /// A Nominatim-compatible geocoder, e.g. https://nominatim.openstreetmap.org
    /// (its usage policy: at most one request a second, answers kept).
    #[arg(long, env = "ASSETMAP_GEOCODER_URL")]
    pub geocoder_url: Option<String>,
    /// Requests a second at most.
    #[arg(long, default_value_t = 1.0)]
    pub geocoder_rate: f64,
    /// An e-mail address or URL sent in the User-Agent, so the geocoder's
    /// operators can reach you, as their policies ask.
    #[arg(long, env = "ASSETMAP_GEOCODER_CONTACT")]
    pub geocoder_contact: Option<String>,
}

impl GeocoderArgs {
    pub fn config(&self) -> Option<crate::geocode::NominatimConfig> {
        self.geocoder_url
            .as_ref()
            .map(|url| crate::geocode::NominatimConfig {
                url: url.clone(),
                rate: self.geocoder_rate,
                contact: self.geocoder_contact.clone(),
            })
    }
}

/// The file an import reads and how to read it.
#[derive(Debug, Clone, Args)]
pub struct FileArgs {
    /// GeoJSON, GeoJSON lines, a JSON array, CSV, Excel (.xlsx), a Shapefile
    /// (.shp, or a .zip holding one), a GeoPackage (.gpkg) or KML (.kml, .kmz).
    pub file: PathBuf,
    /// The format, when the file's extension does not say it:
    /// geojson, geojsonseq, csv, xlsx, shapefile, gpkg, kml.
    #[arg(long, value_parser = parse_format)]
    pub format: Option<crate::import::Format>,
    /// The coordinate system of the file's coordinates (EPSG:2926, …), for a
    /// file that does not say (a CSV of x/y, a Shapefile without .prj).
    #[arg(long, value_parser = parse_crs)]
    pub source_crs: Option<crate::crs::Crs>,
    /// Column holding the longitude (default: lon, lng, long or longitude).
    #[arg(long)]
    pub lon_field: Option<String>,
    /// Column holding the latitude (default: lat or latitude).
    #[arg(long)]
    pub lat_field: Option<String>,
    /// Sheet of an Excel workbook (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Layer of a GeoPackage, or of a zip holding several Shapefiles.
    #[arg(long)]
    pub layer: Option<String>,
    /// Text encoding of a CSV or .dbf that is not UTF-8: latin1 (Windows-1252).
    #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
    pub encoding: crate::import::read::Encoding,
    /// Read everything and print the report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the rows that can be imported when some cannot (by default a
    /// file with rows that cannot be imported writes nothing and exits 1).
    #[arg(long)]
    pub allow_partial: bool,
}

impl FileArgs {
    pub fn read_options(&self) -> crate::import::ReadOptions {
        crate::import::ReadOptions {
            format: self.format,
            source_crs: self.source_crs.clone(),
            lon_field: self.lon_field.clone(),
            lat_field: self.lat_field.clone(),
            sheet: self.sheet.clone(),
            layer: self.layer.clone(),
            encoding: self.encoding,
        }
    }
}

fn parse_format(s: &str) -> Result<crate::import::Format, String> {
    crate::import::Format::parse(s).ok_or_else(|| {
        format!(
            "{s:?} is not a format assetmap reads ({})",
            crate::import::Format::NAMES.join(", ")
        )
    })
}

fn parse_crs(s: &str) -> Result<crate::crs::Crs, String> {
    crate::crs::Crs::parse(s).map_err(|e| e.to_string())
}

fn parse_encoding(s: &str) -> Result<crate::import::read::Encoding, String> {
    crate::import::read::Encoding::parse(s)
        .ok_or_else(|| format!("{s:?} is not an encoding assetmap reads (utf-8, latin1)"))
}

/// An IANA time zone name, e.g. `America/Los_Angeles`.
/// `EPSG:2926` (or `2926`): a code the catalogue of coordinate systems has.
fn parse_epsg(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let n = t
        .strip_prefix("EPSG:")
        .or_else(|| t.strip_prefix("epsg:"))
        .unwrap_or(t);
    let code: u32 = n
        .parse()
        .map_err(|_| format!("{s:?} is not an EPSG code like EPSG:2926"))?;
    crate::crs::ServedCrs::epsg(code).map_err(|e| e.to_string())?;
    Ok(code)
}

fn parse_timezone(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse::<chrono_tz::Tz>()
        .map_err(|_| format!("{s:?} is not an IANA time zone name (e.g. America/Los_Angeles)"))
}
