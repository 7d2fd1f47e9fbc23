//! Writing a scenario's two hosts as bundles in one of three layouts.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use rdpdiag_collect::{ArtifactMeta, BundleError, BundleWriter, ManifestHeader};
use rdpdiag_schemas::manifest::{
    ArtifactSource, ClockStatus, CollectionMode, CollectionWindow, CultureInfo, HostInfo, OsInfo,
    TimeZoneInfo, ToolInfo,
};
use rdpdiag_schemas::{ArtifactKind, Role};

use super::artifacts::{FileId, HostFile, client_files, server_files};
use super::catalog::ScenarioSpec;
use super::host::HostSim;
use super::noise::{NoiseKind, NoiseStream, merge};
use super::providers::*;
use super::world::{World, WorldOptions};
use crate::evtx::{EvtxWriteError, EvtxWriter, WriterOptions};
use crate::rng::Rng;

/// How the files of a host are packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Our bundle format v1: `manifest.json` + `evtx/`, `registry/`, `certs/`, `network/`, `system/`.
    Bundle,
    /// Microsoft's MSRD-Collect layout (field guide 6.1), no manifest.
    Msrd,
    /// Loose files a user zipped by hand, no manifest, names not to be trusted.
    Adhoc,
}

impl Layout {
    /// Name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Bundle => "bundle",
            Layout::Msrd => "msrd",
            Layout::Adhoc => "adhoc",
        }
    }
}

/// What a scale-mode ticket (`--evtx-mb`) looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScaleShape {
    /// The benchmark ticket: Security 55%, System 15%, Application 10%, RDP channels most of
    /// the rest (service logons, SCM, other users' RDP connections).
    #[default]
    Ticket,
    /// A busy member server: Security about 92% of the bytes, mostly network logons (4624
    /// LogonType 2/3/5 from 250 addresses and 400 accounts, 4634, 4672) and 4688 process
    /// creations with command lines; System about 5.5%, mostly SCM 7036 (issue 18's measured
    /// server ticket: Security 277 MB of 293 MB, System 16 MB).
    BusyServer,
}

impl ScaleShape {
    /// Name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ScaleShape::Ticket => "ticket",
            ScaleShape::BusyServer => "busy-server",
        }
    }
}

impl std::str::FromStr for ScaleShape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ticket" => Ok(ScaleShape::Ticket),
            "busy-server" => Ok(ScaleShape::BusyServer),
            _ => Err(format!("unknown scale shape {s:?} (ticket, busy-server)")),
        }
    }
}

impl std::str::FromStr for Layout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bundle" => Ok(Layout::Bundle),
            "msrd" => Ok(Layout::Msrd),
            "adhoc" => Ok(Layout::Adhoc),
            _ => Err(format!("unknown layout {s:?} (bundle, msrd, adhoc)")),
        }
    }
}

/// Zip file or folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packaging {
    /// One zip per host.
    Zip,
    /// One folder per host.
    Dir,
}

/// A host's time zone.
#[derive(Debug, Clone)]
pub struct TimeZoneOpt {
    /// Windows time zone name.
    pub name: String,
    /// Offset from UTC in minutes.
    pub offset_minutes: i32,
}

/// Everything `generate` can vary.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Seed: same seed, same bytes.
    pub seed: u64,
    /// Connection attempts.
    pub attempts: usize,
    /// Client clock minus server clock, seconds (-43200..=43200).
    pub skew_seconds: i64,
    /// Client time zone.
    pub client_tz: TimeZoneOpt,
    /// Server time zone.
    pub server_tz: TimeZoneOpt,
    /// Unrelated records per host (spread over System, Application, Security).
    pub noise: u64,
    /// Layout.
    pub layout: Layout,
    /// Zip or folder.
    pub packaging: Packaging,
    /// Scale mode: write about this many MB of EVTX per ticket (benchmarks; not committed).
    pub evtx_mb: Option<u64>,
    /// Scale mode: which kind of ticket the bytes make up (ignored without `evtx_mb`).
    pub scale_shape: ScaleShape,
    /// Put hostile strings (script tags, attribute breakers, bidi overrides, NUL, lone
    /// surrogates ...) into every free-text field: for testing the reports ([`super::hostile`]).
    pub hostile_strings: bool,
    /// Leave out the audit's traps (events real servers log that must not count as evidence).
    pub without_traps: bool,
    /// Display language and format culture of both hosts' command outputs (`--locale`); the
    /// manifest records it, the locale-independent files stay as they are.
    pub locale: crate::text::Locale,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            seed: 1,
            attempts: 3,
            skew_seconds: 0,
            client_tz: TimeZoneOpt {
                name: "Pacific Standard Time".into(),
                offset_minutes: -480,
            },
            server_tz: TimeZoneOpt {
                name: "UTC".into(),
                offset_minutes: 0,
            },
            noise: 600,
            layout: Layout::Bundle,
            packaging: Packaging::Zip,
            evtx_mb: None,
            scale_shape: ScaleShape::Ticket,
            hostile_strings: false,
            without_traps: false,
            locale: crate::text::Locale::En,
        }
    }
}

/// What `generate` wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The client bundle.
    pub client: PathBuf,
    /// The server bundle.
    pub server: PathBuf,
    /// The simulated world (ground truth).
    pub world: World,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Bad option.
    #[error("{0}")]
    Options(String),
    /// Writing an event log failed.
    #[error("writing {file}: {source}")]
    Evtx {
        /// Log file.
        file: String,
        /// Cause.
        source: EvtxWriteError,
    },
    /// Packaging failed.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// File system.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// An event log a host bundle carries.
#[derive(Debug, Clone, Copy)]
struct LogSpec {
    channel: &'static str,
    msrd: Option<&'static str>,
    adhoc: &'static str,
    noise: NoiseKind,
    /// Share of the host's noise (normal mode) or of the ticket's EVTX bytes (scale mode), %.
    share: u64,
    scale_share: u64,
    /// Busy-server shape ([`ScaleShape::BusyServer`]): noise family and share of the ticket's
    /// EVTX bytes, per mille.
    busy_noise: NoiseKind,
    busy_permille: u64,
}

impl LogSpec {
    /// Noise family and share of the ticket's EVTX bytes (per mille) in scale mode.
    fn scale(&self, shape: ScaleShape) -> (NoiseKind, u64) {
        match shape {
            ScaleShape::Ticket => (self.noise, self.scale_share * 10),
            ScaleShape::BusyServer => (self.busy_noise, self.busy_permille),
        }
    }
}

const CLIENT_LOGS: &[LogSpec] = &[
    LogSpec {
        channel: RDP_CLIENT.channel,
        msrd: Some("RDPClient-Operational"),
        adhoc: "RDPClient.evtx",
        noise: NoiseKind::None,
        share: 0,
        scale_share: 1,
        busy_noise: NoiseKind::None,
        busy_permille: 2,
    },
    LogSpec {
        channel: "System",
        msrd: Some("System"),
        adhoc: "System.evtx",
        noise: NoiseKind::System,
        share: 60,
        scale_share: 3,
        busy_noise: NoiseKind::System,
        busy_permille: 4,
    },
    LogSpec {
        channel: "Application",
        msrd: Some("Application"),
        adhoc: "Application.evtx",
        noise: NoiseKind::Application,
        share: 40,
        scale_share: 2,
        busy_noise: NoiseKind::Application,
        busy_permille: 2,
    },
];

const SERVER_LOGS: &[LogSpec] = &[
    LogSpec {
        channel: RDPCORETS.channel,
        msrd: Some("RemoteDesktopServicesRdpCoreTS-Operational"),
        adhoc: "rdpcorets-export.log",
        noise: NoiseKind::RdpTraffic,
        share: 0,
        scale_share: 9,
        busy_noise: NoiseKind::RdpTraffic,
        busy_permille: 8,
    },
    LogSpec {
        channel: RCM_OPERATIONAL.channel,
        msrd: Some("TerminalServicesRemoteConnectionManager-Operational"),
        adhoc: "RCM-Operational.evtx",
        noise: NoiseKind::RdpTraffic,
        share: 0,
        scale_share: 5,
        busy_noise: NoiseKind::RdpTraffic,
        busy_permille: 4,
    },
    LogSpec {
        channel: RCM_ADMIN.channel,
        msrd: Some("TerminalServicesRemoteConnectionManager-Admin"),
        adhoc: "RCM-Admin.evtx",
        noise: NoiseKind::None,
        share: 0,
        scale_share: 0,
        busy_noise: NoiseKind::None,
        busy_permille: 0,
    },
    LogSpec {
        channel: LSM.channel,
        msrd: Some("TerminalServicesLocalSessionManager-Operational"),
        adhoc: "LSM.evtx",
        noise: NoiseKind::None,
        share: 0,
        scale_share: 0,
        busy_noise: NoiseKind::None,
        busy_permille: 0,
    },
    LogSpec {
        channel: "System",
        msrd: Some("System"),
        adhoc: "System.evtx",
        noise: NoiseKind::System,
        share: 30,
        scale_share: 15,
        busy_noise: NoiseKind::BusySystem,
        busy_permille: 55,
    },
    LogSpec {
        channel: "Application",
        msrd: Some("Application"),
        adhoc: "Application.evtx",
        noise: NoiseKind::Application,
        share: 20,
        scale_share: 10,
        busy_noise: NoiseKind::Application,
        busy_permille: 5,
    },
    LogSpec {
        channel: "Security",
        msrd: Some("Security"),
        adhoc: "Security.evtx",
        noise: NoiseKind::Security,
        share: 50,
        scale_share: 55,
        busy_noise: NoiseKind::BusySecurity,
        busy_permille: 920,
    },
    LogSpec {
        channel: CAPI2.channel,
        msrd: Some("CAPI2-Operational"),
        adhoc: "capi2.evtx",
        noise: NoiseKind::None,
        share: 0,
        scale_share: 0,
        busy_noise: NoiseKind::None,
        busy_permille: 0,
    },
    LogSpec {
        channel: FIREWALL.channel,
        msrd: None,
        adhoc: "firewall.evtx",
        noise: NoiseKind::None,
        share: 0,
        scale_share: 0,
        busy_noise: NoiseKind::None,
        busy_permille: 0,
    },
    LogSpec {
        channel: GATEWAY.channel,
        msrd: Some("TerminalServicesGateway-Operational"),
        adhoc: "gateway.evtx",
        noise: NoiseKind::None,
        share: 0,
        scale_share: 0,
        busy_noise: NoiseKind::None,
        busy_permille: 0,
    },
];

/// Generates the client and server bundles of `spec` into `out_dir`.
pub fn generate(
    spec: ScenarioSpec,
    opts: &GenerateOptions,
    out_dir: &Path,
) -> Result<Generated, GenerateError> {
    if opts.skew_seconds.abs() > 12 * 3600 {
        return Err(GenerateError::Options(format!(
            "skew {} s is beyond +-12 h",
            opts.skew_seconds
        )));
    }
    std::fs::create_dir_all(out_dir).map_err(|source| GenerateError::Io {
        context: format!("creating {}", out_dir.display()),
        source,
    })?;
    let mut world = World::build(
        spec,
        &WorldOptions {
            seed: opts.seed,
            attempts: opts.attempts,
            skew_seconds: opts.skew_seconds,
            without_traps: opts.without_traps,
        },
    );
    if opts.hostile_strings {
        super::hostile::inject(&mut world);
    }
    let root = Rng::new(opts.seed ^ super::world::fnv(spec.name) ^ 0x5eed);
    let client = write_host(&world, Role::Client, opts, out_dir, &mut root.fork("client"))?;
    let server = write_host(&world, Role::Server, opts, out_dir, &mut root.fork("server"))?;
    Ok(Generated {
        client,
        server,
        world,
    })
}

fn uuid_like(rng: &mut Rng) -> String {
    let b = rng.bytes16();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Writes one EVTX log (planted events merged with noise) into `sink`.
fn render_log<W: std::io::Write + std::io::Seek>(
    host: &HostSim,
    log: &LogSpec,
    noise: NoiseStream,
    sink: W,
) -> Result<W, GenerateError> {
    let planted: Vec<_> = host
        .events
        .iter()
        .filter(|e| e.channel == log.channel)
        .cloned()
        .collect();
    let err = |source| GenerateError::Evtx {
        file: log.channel.into(),
        source,
    };
    let mut w = EvtxWriter::new(sink, WriterOptions::default()).map_err(err)?;
    for e in merge(planted, noise) {
        w.write_event(&e).map_err(err)?;
    }
    w.finish().map_err(err)
}

/// EVTX bytes per unit of a noise stream's `count`, measured on a small sample of the same
/// channel (for scale mode). Per unit, not per record: one unit may give several records (a
/// logon and its privileges), and a channel filter keeps only part of a shared stream.
fn bytes_per_unit(kind: NoiseKind, computer: &str, since: DateTime<Utc>, channel: &'static str) -> u64 {
    const UNITS: u64 = 2000;
    let sample = NoiseStream::new(
        kind,
        Rng::new(9),
        computer,
        since,
        since + Duration::hours(1),
        UNITS,
        Some(channel),
    );
    let mut w = match EvtxWriter::new(Cursor::new(Vec::new()), WriterOptions::default()) {
        Ok(w) => w,
        Err(_) => return 400,
    };
    for e in sample {
        // A record the writer refuses is simply not counted in the size.
        let _ = w.write_event(&e);
    }
    match w.finish() {
        Ok(c) => (c.into_inner().len() as u64 / UNITS).max(64),
        _ => 400,
    }
}

fn write_host(
    world: &World,
    role: Role,
    opts: &GenerateOptions,
    out_dir: &Path,
    rng: &mut Rng,
) -> Result<PathBuf, GenerateError> {
    let (host, logs, tz) = match role {
        Role::Client => (&world.client, CLIENT_LOGS, &opts.client_tz),
        _ => (&world.server, SERVER_LOGS, &opts.server_tz),
    };
    let since = host.clock(world.since);
    let until = host.clock(world.until);
    // Collected a few minutes after the window ends; the client and server at different times.
    let collected_true = world.until + Duration::minutes(if role == Role::Client { 3 } else { 11 });
    let collected = host.clock(collected_true);
    let mut files = match role {
        Role::Client => client_files(world, tz.offset_minutes, collected),
        _ => server_files(world, tz.offset_minutes, collected),
    };
    // Our collector's locale-independent files exist only in our bundle layout.
    files.retain(|f| opts.layout == Layout::Bundle || !f.what.structured());
    for f in &mut files {
        if let Some(kind) = f.what.text_kind() {
            let text = String::from_utf8_lossy(&f.content).into_owned();
            f.content = crate::text::localize(kind, &text, opts.locale).into_bytes();
        }
    }
    if opts.hostile_strings {
        for f in &mut files {
            super::hostile::patch_file(&mut f.content, matches!(f.what, FileId::Reg(_)));
        }
    }
    let name_role = if role == Role::Client { "client" } else { "server" };
    let ext = if opts.packaging == Packaging::Zip {
        ".zip"
    } else {
        ""
    };
    let stamp = (collected + Duration::minutes(i64::from(tz.offset_minutes)))
        .format("%Y%m%d_%H%M%S")
        .to_string();
    let final_name = match opts.layout {
        Layout::Bundle => format!("{}-{name_role}{ext}", world.spec.name),
        Layout::Msrd => format!(
            "{}-{name_role}-MSRD-Results-{}-{stamp}{ext}",
            world.spec.name, host.short_name
        ),
        Layout::Adhoc => format!("{}-{name_role}-logs{ext}", world.spec.name),
    };
    let final_path = out_dir.join(&final_name);
    if final_path.exists() {
        let removed = if final_path.is_dir() {
            std::fs::remove_dir_all(&final_path)
        } else {
            std::fs::remove_file(&final_path)
        };
        removed.map_err(|source| GenerateError::Io {
            context: format!("replacing {}", final_path.display()),
            source,
        })?;
    }
    let entry_time = collected + Duration::minutes(i64::from(tz.offset_minutes));
    let mut bw = match opts.packaging {
        Packaging::Zip => BundleWriter::create_zip(&final_path)?,
        Packaging::Dir => BundleWriter::create_dir(&final_path)?,
    }
    .entry_time(entry_time);
    let msrd_root = format!("MSRD-Results-{}-{stamp}", host.short_name);
    let c = &host.short_name;
    let mut log_lines = vec![format!(
        "{} rdpdiag-samples: collecting {} as {name_role}",
        collected.format("%Y-%m-%d %H:%M:%S"),
        host.computer
    )];

    for log in logs {
        let planted = host.events.iter().any(|e| e.channel == log.channel);
        // Scale mode picks the noise family and byte share by the ticket's shape.
        let (noise_kind, permille) = match opts.evtx_mb {
            Some(_) => log.scale(opts.scale_shape),
            None => (log.noise, 0),
        };
        let noisy = noise_kind != NoiseKind::None && (opts.evtx_mb.is_some() || log.share > 0);
        // Optional channels (CAPI2 is off by default, Firewall is rarely collected) appear only
        // when something was logged there, as on a real machine.
        if !planted
            && !noisy
            && matches!(log.channel, c if c == CAPI2.channel || c == FIREWALL.channel || c == RCM_ADMIN.channel || c == GATEWAY.channel)
        {
            continue;
        }
        let count = match opts.evtx_mb {
            Some(mb) => {
                let target = mb * 1_000_000 * permille / 1000;
                target / bytes_per_unit(noise_kind, &host.computer, since, log.channel).max(1)
            }
            None => opts.noise * log.share / 100,
        };
        // RdpCoreTS and RCM share one traffic stream so their halves of a connection agree.
        let noise_rng = Rng::new(
            rng.fork("noise").next_u64()
                ^ super::world::fnv(if noise_kind == NoiseKind::RdpTraffic {
                    "rdp"
                } else {
                    log.channel
                }),
        );
        let count = if noise_kind == NoiseKind::RdpTraffic && opts.evtx_mb.is_none() {
            0
        } else {
            count
        };
        let noise = NoiseStream::new(
            noise_kind,
            noise_rng,
            &host.computer,
            since,
            until,
            count,
            Some(log.channel),
        );
        // Scale mode streams each log through a temporary file: memory stays at one chunk.
        let content = if opts.evtx_mb.is_some() {
            let tmp = out_dir.join(format!(
                ".{}-{name_role}-{}.evtx.tmp",
                world.spec.name,
                log.channel.replace('/', "%4")
            ));
            let tmp = TempFile(tmp);
            let io = |source| GenerateError::Io {
                context: format!("writing {}", tmp.0.display()),
                source,
            };
            let file = std::io::BufWriter::new(std::fs::File::create(&tmp.0).map_err(io)?);
            let mut file = render_log(host, log, noise, file)?;
            std::io::Write::flush(&mut file).map_err(io)?;
            drop(file);
            LogContent::File(tmp)
        } else {
            LogContent::Bytes(render_log(host, log, noise, Cursor::new(Vec::new()))?.into_inner())
        };
        let file_stem = log.channel.replace('/', "%4");
        let path = match opts.layout {
            Layout::Bundle => format!("evtx/{file_stem}.evtx"),
            Layout::Msrd => match log.msrd {
                Some(short) => format!("{msrd_root}/{c}_EventLogs/{c}_{short}.evtx"),
                None => continue,
            },
            Layout::Adhoc => log.adhoc.to_string(),
        };
        let meta = ArtifactMeta {
            kind: ArtifactKind::Evtx,
            text_format: None,
            source: ArtifactSource {
                channel: Some(log.channel.to_string()),
                ..ArtifactSource::default()
            },
            method: "wevtutil epl".into(),
            started_utc: collected,
            finished_utc: collected,
            status: rdpdiag_schemas::ArtifactStatus::Ok,
            error: None,
        };
        match content {
            LogContent::Bytes(bytes) => {
                log_lines.push(format!(
                    "wevtutil epl \"{}\" -> {path} ({} bytes)",
                    log.channel,
                    bytes.len()
                ));
                add(&mut bw, opts.layout, &path, &bytes, meta)?;
            }
            LogContent::File(tmp) => {
                let io = |source| GenerateError::Io {
                    context: format!("reading {}", tmp.0.display()),
                    source,
                };
                let len = std::fs::metadata(&tmp.0).map_err(io)?.len();
                log_lines.push(format!(
                    "wevtutil epl \"{}\" -> {path} ({len} bytes)",
                    log.channel
                ));
                let file = std::io::BufReader::new(std::fs::File::open(&tmp.0).map_err(io)?);
                match opts.layout {
                    Layout::Bundle => bw.add_reader(&path, file, meta)?,
                    _ => bw.add_unlisted(&path, file)?,
                }
            }
        }
    }

    for f in &files {
        let Some(path) = place(f, opts.layout, &msrd_root, c) else {
            continue;
        };
        let bytes = encode_for(f, opts.layout, collected, tz.offset_minutes);
        log_lines.push(format!("{} -> {path}", f.method));
        let mut meta = ArtifactMeta::ok(f.kind, f.method, f.source.clone(), collected);
        meta.text_format = f.text_format;
        add(&mut bw, opts.layout, &path, &bytes, meta)?;
    }

    match opts.layout {
        Layout::Bundle => {
            log_lines.push("done".into());
            let text = log_lines.join("\r\n") + "\r\n";
            let meta = ArtifactMeta::ok(
                ArtifactKind::CollectionLog,
                "generated",
                ArtifactSource::default(),
                collected,
            );
            bw.add_bytes("collection-log.txt", text.as_bytes(), meta)?;
            let os = match role {
                Role::Client => &world.client_cfg.os,
                _ => &world.server_cfg.os,
            };
            let header = ManifestHeader {
                bundle_id: uuid_like(rng),
                tool: ToolInfo {
                    name: "rdpdiag-samples".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                },
                created_utc: collected,
                ticket: Some(format!("SAMPLE-{}", world.spec.name)),
                collection_mode: CollectionMode::Generated,
                host: HostInfo {
                    name: host.computer.clone(),
                    domain: Some("corp.contoso.com".into()),
                    os: Some(OsInfo {
                        product: os.product.into(),
                        build: os.build,
                        ubr: Some(os.ubr),
                        display_version: os.display_version.map(str::to_string),
                        installation_type: Some(os.installation_type.into()),
                    }),
                    role,
                    addresses: vec![host.ip.clone()],
                    time_zone: Some(TimeZoneInfo {
                        name: tz.name.clone(),
                        utc_offset_minutes: tz.offset_minutes,
                    }),
                    culture: Some(CultureInfo {
                        ui_culture: Some(opts.locale.culture().to_string()),
                        format_culture: Some(opts.locale.culture().to_string()),
                        system_locale: Some(opts.locale.culture().to_string()),
                    }),
                    clock: Some(ClockStatus {
                        host_utc_at_collection: collected,
                        sync_source: Some("dc01.corp.contoso.com".into()),
                        last_sync_utc: Some(collected - Duration::minutes(23)),
                        stratum: Some(3),
                        measured_offset_ms: None,
                    }),
                },
                window: CollectionWindow {
                    since_utc: since,
                    until_utc: until,
                },
                redaction: None,
            };
            Ok(bw.finish(header)?.0)
        }
        Layout::Msrd => {
            let text = log_lines.join("\r\n") + "\r\n";
            bw.add_unlisted(
                &format!("{msrd_root}/{c}_MSRD-Collect-Log.txt"),
                crate::text::to_utf16le_bom(&text).as_slice(),
            )?;
            Ok(bw.finish_without_manifest()?)
        }
        Layout::Adhoc => Ok(bw.finish_without_manifest()?),
    }
}

/// A rendered event log: in memory (normal mode) or in a temporary file (scale mode).
enum LogContent {
    Bytes(Vec<u8>),
    File(TempFile),
}

/// Removed when dropped, whether packaging succeeded or not.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn add(
    bw: &mut BundleWriter,
    layout: Layout,
    path: &str,
    bytes: &[u8],
    meta: ArtifactMeta,
) -> Result<(), GenerateError> {
    match layout {
        Layout::Bundle => bw.add_bytes(path, bytes, meta)?,
        _ => bw.add_unlisted(path, bytes)?,
    }
    Ok(())
}

/// Where a non-EVTX file goes in each layout (`None`: that layout does not carry it).
fn place(f: &HostFile, layout: Layout, msrd_root: &str, c: &str) -> Option<String> {
    let (bundle, msrd, adhoc): (String, Option<String>, String) = match &f.what {
        FileId::Reg(short) => (
            format!("registry/{short}.reg"),
            // MSRD-Collect does not export ProfileList, firewall rules or Cryptography by default.
            (!matches!(
                *short,
                "HKLM-SW-MS-WinNT-CV-ProfileList"
                    | "HKLM-System-CCS-Svc-SharedAccess-FirewallRules"
                    | "HKLM-SW-MS-Cryptography"
            ))
            .then(|| format!("{c}_RegistryKeys/{c}_{short}.txt")),
            format!("{}.reg", short.to_lowercase()),
        ),
        FileId::CertsMy => (
            "certs/Certificates-My.txt".into(),
            Some(format!("{c}_Certificates/{c}_Certificates-My.txt")),
            "certs-my.txt".into(),
        ),
        FileId::CertsRemoteDesktop => (
            "certs/Certificates-RemoteDesktop.txt".into(),
            Some(format!("{c}_Certificates/{c}_Certificates-RemoteDesktop.txt")),
            "certs-rdp.txt".into(),
        ),
        FileId::AclMachineKeys => (
            "certs/ACL-MachineKeys.txt".into(),
            Some(format!("{c}_Certificates/{c}_ACL-MachineKeys.txt")),
            "machinekeys-acl.txt".into(),
        ),
        FileId::Netstat => (
            "network/Netstat.txt".into(),
            Some(format!("{c}_Networking/{c}_Netstat.txt")),
            "netstat.txt".into(),
        ),
        FileId::FirewallRules => (
            "network/FirewallRules.txt".into(),
            Some(format!("{c}_Networking/{c}_FirewallRules.txt")),
            "fw-rules.txt".into(),
        ),
        FileId::W32tm => ("system/W32tm-Status.txt".into(), None, "w32tm.txt".into()),
        FileId::SecurityProducts => (
            "system/SecurityProducts.json".into(),
            None,
            "security-products.json".into(),
        ),
        FileId::ClientVersions => (
            "system/ClientVersions.json".into(),
            None,
            "client-versions.json".into(),
        ),
        FileId::Ipconfig => (
            "network/Ipconfig.txt".into(),
            Some(format!("{c}_Networking/{c}_Ipconfig.txt")),
            "ipconfig.txt".into(),
        ),
        FileId::TcpListenersJson => (
            "network/TcpListeners.json".into(),
            None,
            "tcp-listeners.json".into(),
        ),
        FileId::CertificatesJson => ("certs/Certificates.json".into(), None, "certificates.json".into()),
        FileId::NetIpInterfacesJson => (
            "network/NetIPInterfaces.json".into(),
            None,
            "net-ip-interfaces.json".into(),
        ),
        FileId::AclKeysSid => ("certs/ACL-Keys-SID.txt".into(), None, "acl-keys-sid.txt".into()),
    };
    match layout {
        Layout::Bundle => Some(bundle),
        Layout::Msrd => msrd.map(|p| format!("{msrd_root}/{p}")),
        Layout::Adhoc => Some(adhoc),
    }
}

/// Text encodings differ by who wrote the file: our collector stores UTF-8; MSRD-Collect's
/// Out-File writes UTF-16LE with BOM and frames each command; a user's `>` in cmd writes ANSI.
fn encode_for(f: &HostFile, layout: Layout, collected: DateTime<Utc>, tz: i32) -> Vec<u8> {
    if f.kind != ArtifactKind::Text {
        return f.content.clone();
    }
    let text = String::from_utf8_lossy(&f.content).into_owned();
    match layout {
        Layout::Bundle => f.content.clone(),
        Layout::Msrd => {
            let at = (collected + Duration::minutes(i64::from(tz))).naive_utc();
            let cmd = f.source.command.as_deref().unwrap_or("");
            crate::text::to_utf16le_bom(&crate::text::msrd_command_block(at, cmd, &text))
        }
        Layout::Adhoc => match f.what {
            FileId::CertsMy | FileId::CertsRemoteDesktop | FileId::AclMachineKeys => {
                crate::text::to_utf16le_bom(&text)
            }
            _ => f.content.clone(),
        },
    }
}

/// The samples README table: scenario, expected cause, planted evidence.
pub fn readme_table(worlds: &[World]) -> String {
    let mut out = String::from(
        "| scenario | expected top cause | attempts (failed) | evidence planted |\n|---|---|---|---|\n",
    );
    for w in worlds {
        let failed = w.attempts.iter().filter(|a| a.failure.is_some()).count();
        let top = w
            .spec
            .expected_top
            .map(|c| format!("`{c}`"))
            .unwrap_or_else(|| "none (healthy)".into());
        let top = match w.spec.expected_secondary {
            Some(s) => format!("{top}, then `{s}`"),
            None => top,
        };
        let evidence: Vec<String> = w
            .planted
            .iter()
            .map(|p| format!("{}: {}", p.host, p.what.replace('|', "\\|")))
            .collect();
        let evidence = if evidence.is_empty() {
            "ordinary noise only".to_string()
        } else {
            evidence.join("<br>")
        };
        out.push_str(&format!(
            "| `{}` | {top} | {} ({failed}) | {evidence} |\n",
            w.spec.name,
            w.attempts.len()
        ));
    }
    out
}
