//! One file per root cause, named after its rule file (`analyzer/rules/<cause>.toml`, `-` -> `_`):
//! the cause's configuration (`configure_<cause>`) and the events of one failed attempt
//! (`fail_<cause>`), both `impl World` methods that `World::apply_cause_config` and
//! `World::attempt` dispatch to. A test (`cause_files_mirror_rule_files`) keeps the two lists equal.

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
