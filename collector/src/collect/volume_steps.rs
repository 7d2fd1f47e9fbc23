//! Copies from an offline volume: event logs, hives with their transaction logs (or, with
//! `--redact`, reduced `.reg`s), user hives, the MachineKeys listing.

use std::path::Path;

use chrono::{DateTime, Utc};
use rdpdiag_schemas::manifest::ArtifactSource;
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus};

use super::run::{Run, meta, with_status};
use crate::plan::{Step, channel_file_stem};
use crate::redact_registry::{MAX_HIVE_BYTES, RAW_HIVE_LEFT_OUT};
use crate::volume;

impl Run {
    /// An event log file copied from `Windows\System32\winevt\Logs`.
    pub(super) fn copy_log(
        &mut self,
        step: &Step,
        channel: &str,
        source: Option<&Path>,
        started: DateTime<Utc>,
    ) {
        let src = ArtifactSource {
            channel: Some(channel.to_string()),
            file_path: source.map(|p| p.display().to_string()),
            ..ArtifactSource::default()
        };
        let m = meta(step, ArtifactKind::Evtx, "copy", src, started);
        match source {
            Some(p) => self.add_file(&step.target, p, m),
            None => self.record(
                &step.target,
                with_status(
                    m,
                    ArtifactStatus::Skipped,
                    Some(format!(
                        "{}.evtx is not on the volume",
                        channel_file_stem(channel)
                    )),
                ),
            ),
        }
    }

    /// A listing of the MachineKeys folder (names, sizes, times; no key material).
    pub(super) fn list_machine_keys(&mut self, step: &Step, dir: Option<&Path>, started: DateTime<Utc>) {
        let src = ArtifactSource {
            file_path: dir.map(|d| d.display().to_string()),
            ..ArtifactSource::default()
        };
        let m = meta(step, ArtifactKind::Text, "directory listing", src, started);
        match dir {
            None => self.record(
                &step.target,
                with_status(
                    m,
                    ArtifactStatus::Skipped,
                    Some("MachineKeys is not on the volume".into()),
                ),
            ),
            Some(d) => {
                match volume::machinekeys_listing(d, r"ProgramData\Microsoft\Crypto\RSA\MachineKeys") {
                    Ok(text) => self.add_bytes(&step.target, text.into_bytes(), m),
                    Err(e) => self.record(
                        &step.target,
                        with_status(
                            m,
                            ArtifactStatus::Failed,
                            Some(format!("cannot list {}: {e}", d.display())),
                        ),
                    ),
                }
            }
        }
    }

    pub(super) fn copy_hive(
        &mut self,
        step: &Step,
        name: &str,
        source: Option<&Path>,
        started: DateTime<Utc>,
    ) {
        let Some(src) = source else {
            let m = meta(
                step,
                ArtifactKind::Hive,
                "copy",
                ArtifactSource::default(),
                started,
            );
            let why = format!(r"Windows\System32\config\{name} is not on the volume");
            self.record(&step.target, with_status(m, ArtifactStatus::Skipped, Some(why)));
            return;
        };
        self.copy_with_logs(step, &step.target, src, started);
    }

    /// A hive and its `.LOG1`/`.LOG2` beside it in the bundle; with `--redact`, a `.reg` of the
    /// keys the analyzer reads instead (the logs replayed), the raw files left out.
    pub(super) fn copy_with_logs(&mut self, step: &Step, target: &str, src: &Path, started: DateTime<Utc>) {
        let source = |p: &Path| ArtifactSource {
            file_path: Some(p.display().to_string()),
            ..ArtifactSource::default()
        };
        if self.redactor.is_some() {
            self.reduce_hive_file(step, target, src, started);
            return;
        }
        self.add_file(
            target,
            src,
            meta(step, ArtifactKind::Hive, "copy", source(src), started),
        );
        for log in volume::hive_logs(src) {
            let suffix = log
                .extension()
                .map(|e| e.to_string_lossy().to_uppercase())
                .unwrap_or_default();
            self.add_file(
                &format!("{target}.{suffix}"),
                &log,
                meta(step, ArtifactKind::Hive, "copy", source(&log), started),
            );
        }
    }

    pub(super) fn reduce_hive_file(&mut self, step: &Step, target: &str, src: &Path, started: DateTime<Utc>) {
        let path = format!("{target}.reduced.reg");
        let logs = volume::hive_logs(src);
        let mut m = meta(
            step,
            ArtifactKind::Reg,
            "copy",
            ArtifactSource {
                file_path: Some(src.display().to_string()),
                ..ArtifactSource::default()
            },
            started,
        );
        let read = |p: &Path| -> Result<Vec<u8>, String> {
            let size = std::fs::metadata(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?
                .len();
            if size > MAX_HIVE_BYTES {
                return Err(format!(
                    "{}: {size} bytes, over the {MAX_HIVE_BYTES}-byte limit",
                    p.display()
                ));
            }
            std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        let primary = match read(src) {
            Ok(b) => b,
            Err(why) => {
                self.record(
                    &path,
                    with_status(
                        m,
                        ArtifactStatus::Failed,
                        Some(format!("left out by --redact: {why}")),
                    ),
                );
                return;
            }
        };
        // A log that cannot be read is left out; the hive is then read without it (noted).
        let log_bytes: Vec<Vec<u8>> = logs.iter().filter_map(|l| read(l).ok()).collect();
        let log_refs: Vec<&[u8]> = log_bytes.iter().map(Vec::as_slice).collect();
        let name = src
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match crate::redact_registry::reduce_hive(&primary, &log_refs, &name) {
            Ok(reduced) => {
                m.method = format!(
                    "copy with {} transaction log(s) replayed, then {}; {}",
                    log_refs.len(),
                    reduced.summary(),
                    RAW_HIVE_LEFT_OUT
                );
                let reg = self.redact_reduced(reduced);
                self.redacted.push(path.clone());
                self.add_redacted_bytes(&path, reg, m);
            }
            Err(e) => {
                let why = format!("left out by --redact: {e}");
                self.record(&path, with_status(m, ArtifactStatus::Failed, Some(why)));
            }
        }
    }

    pub(super) fn user_hives(&mut self, step: &Step, users_root: &Path, started: DateTime<Utc>) {
        let mut any = false;
        for p in volume::user_profiles(users_root) {
            let Some(hive) = volume::resolve_ci(&p.path, &["NTUSER.DAT"]).filter(|h| h.is_file()) else {
                continue;
            };
            any = true;
            let dir = self.user_dir_name(&p.name);
            if dir.is_empty() {
                continue;
            }
            self.copy_with_logs(step, &format!("{}/{dir}/NTUSER.DAT", step.target), &hive, started);
        }
        if !any {
            let m = meta(
                step,
                ArtifactKind::Hive,
                "copy",
                ArtifactSource::default(),
                started,
            );
            self.record(
                &step.target,
                with_status(
                    m,
                    ArtifactStatus::Skipped,
                    Some("no user profile with NTUSER.DAT".into()),
                ),
            );
        }
    }
}
