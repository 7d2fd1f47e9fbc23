//! From a plan step to its acquisition; the server probe.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rdpdiag_schemas::manifest::ArtifactSource;
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus};

use super::run::{Run, meta, with_status};
use crate::plan::{Action, Step};

impl Run {
    pub(super) fn run_step(&mut self, step: &Step) {
        let started = Utc::now();
        match &step.action {
            Action::Skip { reason } => {
                let m = meta(step, step.kind, "none", ArtifactSource::default(), started);
                self.record(
                    &step.target,
                    with_status(m, ArtifactStatus::Skipped, Some(reason.clone())),
                );
            }
            Action::ExportLog { channel } => self.export_log(step, channel, started),
            Action::RegExport { key } => self.reg_export(step, key, started),
            Action::Capture {
                command,
                fallback,
                output,
            } => self.capture(step, command, fallback.as_ref(), *output, started),
            Action::CopyLog { channel, source } => self.copy_log(step, channel, source.as_deref(), started),
            Action::CopyHive { name, source } => self.copy_hive(step, name, source.as_deref(), started),
            Action::UserHives { users_root } => self.user_hives(step, users_root, started),
            Action::ListMachineKeys { dir } => self.list_machine_keys(step, dir.as_deref(), started),
            Action::Traces {
                users_root,
                extra_dirs,
                convert,
            } => self.traces(step, users_root, extra_dirs, *convert, started),
            Action::Probe { target, timeout } => self.probe(step, target, *timeout, started),
        }
    }

    #[cfg(feature = "probe")]
    fn probe(&mut self, step: &Step, target: &str, timeout: Duration, started: DateTime<Utc>) {
        let report = crate::probe::probe(target, timeout);
        if let Some(local) = &report.tcp.local
            && let Ok(addr) = local.parse::<std::net::SocketAddr>()
        {
            let ip = addr.ip().to_string();
            if !self.addresses.contains(&ip) {
                self.addresses.push(ip);
            }
        }
        self.log.push(format!("    probe verdict: {}", report.verdict));
        let src = ArtifactSource {
            command: Some(format!("rdpdiag-collect probe {target}")),
            ..ArtifactSource::default()
        };
        let m = meta(step, ArtifactKind::Json, "probe", src, started);
        match serde_json::to_vec_pretty(&report) {
            Ok(bytes) => self.add_bytes(&step.target, bytes, m),
            Err(e) => self.record(
                &step.target,
                with_status(m, ArtifactStatus::Failed, Some(e.to_string())),
            ),
        }
    }

    #[cfg(not(feature = "probe"))]
    fn probe(&mut self, step: &Step, _target: &str, _timeout: Duration, started: DateTime<Utc>) {
        let m = meta(
            step,
            ArtifactKind::Json,
            "probe",
            ArtifactSource::default(),
            started,
        );
        self.record(
            &step.target,
            with_status(
                m,
                ArtifactStatus::Skipped,
                Some("this build has no probe (built without the `probe` feature)".into()),
            ),
        );
    }
}
