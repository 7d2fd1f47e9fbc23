//! RdClientAutoTrace `.etl` files in the window (left out with `--redact`) and, live, their
//! `tracerpt` conversion to XML.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};
use rdpdiag_schemas::manifest::ArtifactSource;
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus};

use super::run::{Run, meta, with_status};
use crate::exec::{CommandSpec, run};
use crate::plan::{Step, timeouts};
use crate::redact::ETL_LEFT_OUT;
use crate::volume;

impl Run {
    pub(super) fn traces(
        &mut self,
        step: &Step,
        users_root: &Path,
        extra_dirs: &[PathBuf],
        convert: bool,
        started: DateTime<Utc>,
    ) {
        let user = self.current_user.clone().unwrap_or_else(|| "current-user".into());
        let extra: Vec<(String, PathBuf)> = extra_dirs.iter().map(|d| (user.clone(), d.clone())).collect();
        let (files, older) = volume::find_traces(users_root, &extra, self.since);
        self.log.push(format!(
            "    {} trace file(s) in the window, {older} older left out",
            files.len()
        ));
        if files.is_empty() {
            let m = meta(
                step,
                ArtifactKind::Etl,
                "copy",
                ArtifactSource::default(),
                started,
            );
            let why = format!(
                "no RdClientAutoTrace .etl file modified since {} ({older} older file(s) left out)",
                self.since.to_rfc3339_opts(SecondsFormat::Secs, true)
            );
            self.record(&step.target, with_status(m, ArtifactStatus::Skipped, Some(why)));
            return;
        }
        let mut used = std::collections::HashSet::new();
        for f in files {
            let dir = self.user_dir_name(&f.user);
            let name = f
                .path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let mut path = format!("{}/{dir}/{name}", step.target);
            let mut n = 1;
            while !used.insert(path.clone()) {
                n += 1;
                path = format!("{}/{dir}/{n}-{name}", step.target);
            }
            let src = ArtifactSource {
                file_path: Some(f.path.display().to_string()),
                ..ArtifactSource::default()
            };
            if Instant::now() >= self.deadline {
                let m = meta(step, ArtifactKind::Etl, "copy", src, started);
                self.record(
                    &path,
                    with_status(m, ArtifactStatus::Failed, Some("step deadline passed".into())),
                );
                continue;
            }
            if self.redactor.is_some() {
                let m = meta(step, ArtifactKind::Etl, "copy", src, started);
                self.record(
                    &path,
                    with_status(m, ArtifactStatus::Skipped, Some(ETL_LEFT_OUT.into())),
                );
            } else {
                self.add_file(
                    &path,
                    &f.path,
                    meta(step, ArtifactKind::Etl, "copy", src, started),
                );
            }
            if !convert {
                continue;
            }
            let stem = path.trim_end_matches(".etl").trim_end_matches(".ETL").to_string();
            let xml_path = format!("{stem}.xml");
            let xml = self.tmp.0.join(format!("trace-{}.xml", self.acc.files));
            let cmd = CommandSpec::new(
                "tracerpt",
                [
                    f.path.display().to_string(),
                    "-o".into(),
                    xml.display().to_string(),
                    "-of".into(),
                    "XML".into(),
                    "-y".into(),
                ],
            );
            let xsrc = ArtifactSource {
                file_path: Some(f.path.display().to_string()),
                command: Some(cmd.display().replace(&self.tmp.0.display().to_string(), "%TEMP%")),
                ..ArtifactSource::default()
            };
            let xstarted = Utc::now();
            let out = run(&cmd, None, self.limits(timeouts::TRACERPT));
            let m = meta(step, ArtifactKind::TraceXml, "tracerpt -of XML", xsrc, xstarted);
            match (out.failure(), std::fs::metadata(&xml)) {
                (None, Ok(md)) if md.len() > 0 => self.add_file(&xml_path, &xml, m),
                (why, _) => self.record(
                    &xml_path,
                    with_status(
                        m,
                        ArtifactStatus::Failed,
                        Some(why.unwrap_or_else(|| "tracerpt wrote no XML".into())),
                    ),
                ),
            }
            let _ = std::fs::remove_file(&xml);
        }
    }
}
