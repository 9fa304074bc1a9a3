//! The integration tests, as one binary with a module per area (linking the AWS SDKs once, not
//! once per file). Each module runs against the memory store and DynamoDB Local where storage
//! matters (`on_both_stores!`); `log_secrets` stays a binary of its own, because it installs a
//! process-wide log subscriber.

mod admin_transfer;
mod anchoring;
mod attack_review;
mod authorizer_rotation;
mod budgets;
mod change_seams;
mod configuration;
mod docs;
mod dynamo_faults;
mod edge;
mod email_change;
mod erasure;
mod erasure_seams;
mod events;
mod failures;
mod foreign_fixture;
mod hardening;
mod iam;
mod import;
mod imported;
mod imported_changes;
mod key_lifecycle;
mod lifecycle;
mod mail_budgets;
mod metrics;
mod new_device;
mod oidc;
mod oidc_attacks;
mod operator_export;
mod owner_races;
mod passkeys;
mod recovery;
mod recovery_attacks;
mod revert_seams;
mod security_events;
mod store_contract;
mod store_moves;
mod surface1;
mod surface1_slice;
mod surface2;
mod template;
