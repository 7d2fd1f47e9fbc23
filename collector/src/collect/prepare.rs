//! From the options to what is collected: role, host facts, window, plan, output path.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rdpdiag_schemas::Role;
use rdpdiag_schemas::manifest::{CollectionMode, CollectionWindow, HostInfo};

use super::{CollectError, CollectOptions, Prepared, RoleChoice, Since};
use crate::plan::{self, PlanOptions, Source};
use crate::redact::Category;
use crate::volume::{self, VolumeLayout};

fn default_file_name(host: &str, role: Role, at: DateTime<Utc>) -> String {
    let safe: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let role = match role {
        Role::Client => "client",
        Role::Server => "server",
        Role::Both => "both",
        Role::Unknown => "host",
    };
    format!("rdpdiag-{safe}-{role}-{}.zip", at.format("%Y%m%d-%H%M%S"))
}

fn resolve_output(output: &Path, host: &str, role: Role, at: DateTime<Utc>) -> PathBuf {
    let as_dir = output.is_dir()
        || output
            .to_string_lossy()
            .ends_with(['/', std::path::MAIN_SEPARATOR]);
    if as_dir {
        output.join(default_file_name(host, role, at))
    } else {
        output.to_path_buf()
    }
}

/// Gathers facts, decides the role and builds the plan. Live dry runs query nothing: with
/// `--role auto` they show the steps of both roles.
pub fn prepare(opts: &CollectOptions, dry_run: bool) -> Result<Prepared, CollectError> {
    let now = Utc::now();
    let mut facts_log = Vec::new();
    let mut sensitive: Vec<(String, Category)> = Vec::new();
    let (role, role_reason, mut host, until, oem_cp, mode) = match &opts.source {
        Source::Live => {
            let facts = if dry_run {
                crate::live::LiveFacts::default()
            } else {
                crate::live::gather(opts.role == RoleChoice::Auto)
            };
            facts_log.extend(facts.log.iter().cloned());
            let (role, reason) = match opts.role {
                RoleChoice::Fixed(r) => (r, "given with --role".to_string()),
                RoleChoice::Auto if dry_run => (
                    Role::Both,
                    "auto: decided when collecting (server when the RDP listener is enabled, client otherwise); steps of both roles shown".to_string(),
                ),
                RoleChoice::Auto => match (facts.rdp_enabled, facts.client_log_records) {
                    (Some(true), Some(n)) if n > 0 => (
                        Role::Both,
                        format!("auto: RDP connections are allowed (fDenyTSConnections=0) and the RDP client log has {n} records"),
                    ),
                    (Some(true), _) => (Role::Server, "auto: RDP connections are allowed (fDenyTSConnections=0)".to_string()),
                    (Some(false), _) => (Role::Client, "auto: RDP connections are denied (fDenyTSConnections=1)".to_string()),
                    (None, _) => (Role::Client, "auto: the RDP listener setting could not be read".to_string()),
                },
            };
            let name = opts
                .host
                .clone()
                .or(facts.computer_name.clone())
                .unwrap_or_else(|| "unknown-host".into());
            if let Some(u) = &facts.user {
                sensitive.push((u.clone(), Category::User));
            }
            for s in &facts.mru_servers {
                sensitive.push((s.clone(), Category::Host));
            }
            let (users_root, _) = crate::live::trace_roots();
            for p in volume::user_profiles(&users_root) {
                sensitive.push((p.name, Category::User));
            }
            let host = HostInfo {
                name,
                domain: facts.domain.clone(),
                os: facts.os.clone(),
                role,
                addresses: Vec::new(),
                time_zone: facts.time_zone.clone(),
                culture: facts.culture.clone(),
                clock: None,
            };
            (role, reason, host, now, facts.oem_cp, CollectionMode::Live)
        }
        Source::Volume(root) => {
            if !root.is_dir() {
                return Err(CollectError::Volume(root.clone()));
            }
            let v = VolumeLayout::scan(root);
            let facts = v.facts();
            facts_log.extend(facts.notes.iter().map(|n| format!("volume: {n}")));
            let (client, server) = v.activity();
            let (role, reason) = match opts.role {
                RoleChoice::Fixed(r) => (r, "given with --role".to_string()),
                RoleChoice::Auto => {
                    let listener = facts.rdp_enabled == Some(true);
                    match (client, server || listener) {
                        (true, true) => (Role::Both, "auto: the volume shows RDP client activity and an enabled RDP listener or server logs".to_string()),
                        (false, true) => (Role::Server, "auto: the SYSTEM hive allows RDP connections or the RCM/RdpCoreTS logs have records".to_string()),
                        (true, false) => (Role::Client, "auto: the RDP client log has records or RdClientAutoTrace traces exist".to_string()),
                        (false, false) => (Role::Client, "auto: no server evidence on the volume".to_string()),
                    }
                }
            };
            let fallback_name = root
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "offline-volume".into());
            let name = opts
                .host
                .clone()
                .or(facts.computer_name.clone())
                .unwrap_or(fallback_name);
            for p in volume::user_profiles(&v.users_root()) {
                sensitive.push((p.name, Category::User));
            }
            for s in v.mru_servers() {
                sensitive.push((s, Category::Host));
            }
            let host = HostInfo {
                name,
                domain: facts.domain.clone(),
                os: facts.os.clone(),
                role,
                addresses: Vec::new(),
                time_zone: facts.time_zone.clone(),
                culture: facts.culture.clone(),
                clock: None,
            };
            // The window ends when the volume's logs were last written, not today.
            let until = match opts.since {
                Since::At(_) => now,
                Since::Ago(_) => v.latest_log_time().unwrap_or(now).min(now),
            };
            (role, reason, host, until, None, CollectionMode::Volume)
        }
    };
    host.role = role;
    sensitive.push((host.name.clone(), Category::Host));
    if let Some(d) = &host.domain {
        sensitive.push((format!("{}.{d}", host.name), Category::Host));
        sensitive.push((d.clone(), Category::Host));
    }
    if let Some(server) = &opts.server
        && let Ok((h, _)) = plan::split_target(server)
    {
        sensitive.push((h, Category::Host));
    }
    let since = match opts.since {
        Since::Ago(d) => until - d,
        Since::At(t) => t,
    }
    .min(until);
    let plan = plan::build(&PlanOptions {
        source: opts.source.clone(),
        role,
        since,
        security: opts.security,
        server: opts.server.clone(),
        probe_timeout: opts.probe_timeout,
        skip: opts.skip.clone(),
    });
    // The file name is seen before the zip is opened: with --redact it does not name the host.
    let name_in_file = if opts.redact {
        "redacted"
    } else {
        host.name.as_str()
    };
    let output = resolve_output(&opts.output, name_in_file, role, now);
    Ok(Prepared {
        plan,
        role,
        role_reason,
        host,
        window: CollectionWindow {
            since_utc: since,
            until_utc: until,
        },
        facts_log,
        oem_cp,
        sensitive,
        mode,
        output,
    })
}
