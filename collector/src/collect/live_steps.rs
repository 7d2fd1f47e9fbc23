//! The tools of a live Windows host: `wevtutil epl` + `wevtutil al`, `reg export`, captured
//! commands.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rdpdiag_schemas::domain::TextFormat;
use rdpdiag_schemas::manifest::ArtifactSource;
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus};

use super::run::{Run, meta, with_status};
use crate::decode::{console_to_bundle_text, decode_console};
use crate::exec::{CommandSpec, RunEnd, RunOutput, run};
use crate::plan::{self, Output, Step, channel_file_stem, timeouts};

fn cmd_source(c: &CommandSpec) -> ArtifactSource {
    ArtifactSource {
        command: Some(shown_command(c)),
        ..ArtifactSource::default()
    }
}

/// The command line for the manifest: PowerShell scripts are named, not base64.
fn shown_command(c: &CommandSpec) -> String {
    if c.program == "powershell" && c.args.iter().any(|a| a == "-EncodedCommand") {
        let script = plan::COMMANDS
            .iter()
            .filter(|r| r.program == "ps:")
            .find(|r| plan::powershell(r.args.first().copied().unwrap_or("")) == *c)
            .map(|r| {
                r.args
                    .first()
                    .copied()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default();
        format!("powershell -EncodedCommand <{script} ...>")
    } else {
        c.display()
    }
}

impl Run {
    pub(super) fn export_log(&mut self, step: &Step, channel: &str, started: DateTime<Utc>) {
        let stem = channel_file_stem(channel);
        let file = self.tmp.0.join(format!("{stem}.evtx"));
        let _ = std::fs::remove_file(&file);
        let epl = CommandSpec::new(
            "wevtutil",
            [
                "epl".to_string(),
                channel.to_string(),
                file.display().to_string(),
                format!("/q:{}", plan::window_query(self.since)),
                "/ow:true".to_string(),
            ],
        );
        let src = ArtifactSource {
            channel: Some(channel.to_string()),
            command: Some(epl.display().replace(&self.tmp.0.display().to_string(), "%TEMP%")),
            ..ArtifactSource::default()
        };
        let m = meta(step, ArtifactKind::Evtx, "wevtutil epl", src.clone(), started);
        let out = run(&epl, None, self.limits(step.timeout));
        if let Some(why) = out.failure() {
            // ERROR_EVT_CHANNEL_NOT_FOUND: the channel does not exist on this edition/build.
            let status = if out.end == RunEnd::Exited(Some(15007)) {
                ArtifactStatus::Skipped
            } else {
                ArtifactStatus::Failed
            };
            self.record(&step.target, with_status(m, status, Some(why)));
            return;
        }
        match std::fs::metadata(&file) {
            Ok(md) if md.len() > 0 => {}
            _ => {
                let why = "wevtutil exited 0 but wrote no file (wevtutil is a stub under Wine; is the event log service running?)";
                self.record(
                    &step.target,
                    with_status(m, ArtifactStatus::Failed, Some(why.into())),
                );
                return;
            }
        }
        self.add_file(&step.target, &file, m);
        // Message text for readers on other machines (field guide 6.1).
        let al = CommandSpec::new(
            "wevtutil",
            ["al".to_string(), file.display().to_string(), "/l:en-us".into()],
        );
        let al_src = ArtifactSource {
            channel: Some(channel.to_string()),
            command: Some(al.display().replace(&self.tmp.0.display().to_string(), "%TEMP%")),
            ..ArtifactSource::default()
        };
        let al_started = Utc::now();
        let out = run(&al, None, self.limits(timeouts::ARCHIVE_LOG));
        let meta_dir = self.tmp.0.join("LocaleMetaData");
        let mut added = 0;
        if out.success() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&meta_dir)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.path())
                        .filter(|p| {
                            p.file_name().is_some_and(|n| {
                                n.to_string_lossy()
                                    .to_lowercase()
                                    .starts_with(&stem.to_lowercase())
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            for f in found {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                let mut m = meta(
                    step,
                    ArtifactKind::Text,
                    "wevtutil al",
                    al_src.clone(),
                    al_started,
                );
                m.text_format = Some(TextFormat::Other);
                self.add_file(&format!("evtx/LocaleMetaData/{name}"), &f, m);
                let _ = std::fs::remove_file(&f);
                added += 1;
            }
        }
        if added == 0 {
            let why = out
                .failure()
                .unwrap_or_else(|| "wevtutil al wrote no LocaleMetaData file".into());
            let mut m = meta(step, ArtifactKind::Text, "wevtutil al", al_src, al_started);
            m.text_format = Some(TextFormat::Other);
            self.record(
                &format!("evtx/LocaleMetaData/{stem}_1033.MTA"),
                with_status(m, ArtifactStatus::Failed, Some(why)),
            );
        }
        let _ = std::fs::remove_file(&file);
    }

    pub(super) fn reg_export(&mut self, step: &Step, key: &str, started: DateTime<Utc>) {
        let file = self.tmp.0.join(
            Path::new(&step.target)
                .file_name()
                .map(|n| n.to_os_string())
                .unwrap_or_else(|| "export.reg".into()),
        );
        let _ = std::fs::remove_file(&file);
        let cmd = CommandSpec::new(
            "reg",
            [
                "export".to_string(),
                key.to_string(),
                file.display().to_string(),
                "/y".into(),
            ],
        );
        let src = ArtifactSource {
            registry_key: Some(key.to_string()),
            command: Some(cmd.display().replace(&self.tmp.0.display().to_string(), "%TEMP%")),
            ..ArtifactSource::default()
        };
        let m = meta(step, ArtifactKind::Reg, "reg export", src, started);
        let out = run(&cmd, None, self.limits(step.timeout));
        if let Some(why) = out.failure() {
            let text = format!(
                "{} {}",
                decode_console(&out.stderr, self.oem_cp),
                decode_console(&out.stdout, self.oem_cp)
            );
            let status = if text.to_lowercase().contains("unable to find") {
                ArtifactStatus::Skipped
            } else {
                ArtifactStatus::Failed
            };
            self.record(&step.target, with_status(m, status, Some(why)));
            return;
        }
        match std::fs::metadata(&file) {
            Ok(md) if md.len() > 0 => self.add_file(&step.target, &file, m),
            _ => self.record(
                &step.target,
                with_status(
                    m,
                    ArtifactStatus::Failed,
                    Some("reg export exited 0 but wrote no file".into()),
                ),
            ),
        }
        let _ = std::fs::remove_file(&file);
    }

    pub(super) fn capture(
        &mut self,
        step: &Step,
        command: &CommandSpec,
        fallback: Option<&CommandSpec>,
        output: Output,
        started: DateTime<Utc>,
    ) {
        let empty = |o: &RunOutput| o.stdout.iter().all(|b| b.is_ascii_whitespace() || *b == 0);
        let first = run(command, None, self.limits(step.timeout));
        let (used, out, note) = match fallback {
            Some(fb) if first.failure().is_some() || empty(&first) => {
                let why = first.failure().unwrap_or_else(|| "printed nothing".into());
                let second = run(fb, None, self.limits(step.timeout));
                let note = format!(
                    "`{}` failed ({why}); used `{}` instead",
                    command.display(),
                    fb.display()
                );
                (fb, second, Some(note))
            }
            _ => (command, first, None),
        };
        let m = meta(step, step.kind, "command", cmd_source(used), started);
        if empty(&out) {
            let why = out
                .failure()
                .unwrap_or_else(|| "the command printed nothing".into());
            let why = match note {
                Some(n) => format!("{n}; {why}"),
                None => why,
            };
            self.record(&step.target, with_status(m, ArtifactStatus::Failed, Some(why)));
            return;
        }
        if output == Output::Json && !out.success() {
            let why = out.failure().unwrap_or_default();
            self.record(&step.target, with_status(m, ArtifactStatus::Failed, Some(why)));
            return;
        }
        let mut problems: Vec<String> = note.into_iter().collect();
        if let Some(why) = out.failure() {
            problems.push(why);
        }
        if out.stdout_truncated {
            problems.push(format!("output cut at {} bytes", out.stdout.len()));
        }
        let bytes = match output {
            Output::Text => console_to_bundle_text(&out.stdout, self.oem_cp).into_bytes(),
            Output::Json => {
                let text = decode_console(&out.stdout, self.oem_cp);
                if serde_json::from_str::<serde_json::Value>(text.trim()).is_err() {
                    problems.push("the output is not valid JSON".into());
                }
                text.into_bytes()
            }
        };
        if step.id == "w32tm-status" {
            self.w32tm = Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        if step.id == "ipconfig" {
            self.addresses
                .extend(rdpdiag_artifacts::host_addresses::ipconfig_addresses(&bytes));
        }
        let (status, error) = if problems.is_empty() {
            (ArtifactStatus::Ok, None)
        } else {
            (ArtifactStatus::Partial, Some(problems.join("; ")))
        };
        self.add_bytes(&step.target, bytes, with_status(m, status, error));
    }
}
