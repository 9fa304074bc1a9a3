//! `GET /authentication_factors`: the account's enrolled factors and their status; each
//! passkey is one, named by its credential id; the recovery codes are one while any remain.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, Caller(principal, _): Caller<Access>) -> Answer {
    let app: &App = &app;
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    let factors: Vec<_> = user
        .factors
        .iter()
        .map(|f| serde_json::json!({ "type": f.kind, "channel": f.channel, "status": f.status }))
        .chain(user.passkeys.iter().map(|p| {
            let (_, backup_eligible, backed_up) = crate::passkeys::flags(&p.passkey);
            serde_json::json!({
                "type": "PASSKEY",
                "channel": "PASSKEY",
                "status": "ACTIVE",
                "credentialId": p.credential_id,
                "createdAt": p.created_at,
                "lastUsedAt": p.last_used_at,
                "backupEligible": backup_eligible,
                "backedUp": backed_up,
            })
        }))
        .chain((user.recovery_codes_left() > 0).then(|| {
            serde_json::json!({
                "type": "RECOVERY_CODES",
                "channel": "RECOVERY_CODES",
                "status": "ACTIVE",
                "remaining": user.recovery_codes_left(),
            })
        }))
        .collect();
    Ok(ok(&serde_json::json!({ "factors": factors })))
}
