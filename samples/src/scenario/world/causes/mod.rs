//! One file per root cause, named after its rule file (`analyzer/rules/<cause>.toml`, `-` -> `_`):
//! the cause's configuration (`configure_<cause>`) and the events of one failed attempt
//! (`fail_<cause>`), both `impl World` methods that `World::apply_cause_config` and
//! `World::attempt` dispatch to. A test (`cause_files_mirror_rule_files`) keeps the two lists equal.
//! Each file also states how far a failing attempt of its cause gets (`STAGE`), which
//! `World::attempt` reads to decide which client and server events come before the cause's own.

mod cert_expired_or_mismatched;
mod cert_key_unreadable;
mod credentials_rejected;
mod firewall_or_av_interference;
mod gateway_or_broker_leg;
mod listener_or_port_problem;
mod logon_disabled;
mod max_outstanding_connections;
mod middlebox_reset;
mod network_transport;
mod nla_credssp_mismatch;
mod outdated_client;
mod proxy_or_bastion_in_path;
mod rdp_protocol_error;
mod rdp_service_crash;
mod tls_or_fips_mismatch;
mod user_profile_corrupt;

use rdpdiag_schemas::RootCauseId;

/// How far a failing attempt of a cause gets before it fails.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stage {
    /// The connection reaches TermService on the server (RdpCoreTS 131 / RCM 261 are logged).
    pub reaches_termservice: bool,
    /// The client gets to the credential prompt (1028, then 1029 after the user typed).
    pub after_prompt: bool,
    /// The failure is in the TLS handshake (the client logs 226 TsSslEventHandshakeFailed).
    pub tls_handshake: bool,
}

/// The stage of `cause`, from its file.
pub(super) fn stage_of(cause: RootCauseId) -> Stage {
    use RootCauseId as C;
    match cause {
        C::CertExpiredOrMismatched => cert_expired_or_mismatched::STAGE,
        C::CertKeyUnreadable => cert_key_unreadable::STAGE,
        C::CredentialsRejected => credentials_rejected::STAGE,
        C::FirewallOrAvInterference => firewall_or_av_interference::STAGE,
        C::GatewayOrBrokerLeg => gateway_or_broker_leg::STAGE,
        C::ListenerOrPortProblem => listener_or_port_problem::STAGE,
        C::LogonDisabled => logon_disabled::STAGE,
        C::MaxOutstandingConnections => max_outstanding_connections::STAGE,
        C::MiddleboxReset => middlebox_reset::STAGE,
        C::NetworkTransport => network_transport::STAGE,
        C::NlaCredsspMismatch => nla_credssp_mismatch::STAGE,
        C::OutdatedClient => outdated_client::STAGE,
        C::ProxyOrBastionInPath => proxy_or_bastion_in_path::STAGE,
        C::RdpProtocolError => rdp_protocol_error::STAGE,
        C::RdpServiceCrash => rdp_service_crash::STAGE,
        C::TlsOrFipsMismatch => tls_or_fips_mismatch::STAGE,
        C::UserProfileCorrupt => user_profile_corrupt::STAGE,
    }
}
