//! A login's one atomic write in DynamoDB, shared by surface-1 sessions and surface-2 refresh
//! families.

use super::*;

impl DynamoStore {
    /// A login's one atomic write: the new item (a session or a refresh token), the account
    /// saved at its next version, and the failed-login counter cleared if `failed` says so.
    pub(super) async fn write_login(
        &self,
        new_item: Item,
        user: &User,
        failed: FailedLogins,
        events: Events<'_>,
    ) -> StoreResult<User> {
        // The account's last login, only while the verified password is still its password and
        // it is not blocked; no version bump, so a login never makes another write retry.
        // The verified password's hash goes with it: the same one, or, when the account's was
        // imported from another system, its upgrade to the service's Argon2id
        // ([`crate::password::check`]). Only the service's own form is written: the condition
        // on the credentials version makes it a hash of the password that is still the account's.
        let upgrade = crate::password::is_native(&user.password_hash);
        let set = if upgrade {
            "SET lastLoginAt = :at, lastLoginDevice = :device, passwordHash = :ph"
        } else {
            "SET lastLoginAt = :at, lastLoginDevice = :device"
        };
        let mut login = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(&user.email), "PROFILE")))
            .update_expression(set)
            .condition_expression("credentialsVersion = :cv AND (attribute_not_exists(blocked) OR blocked = :false)")
            .expression_attribute_values(":at", user.last_login_at.map_or(AttributeValue::Null(true), n))
            .expression_attribute_values(
                ":device",
                user.last_login_device.as_ref().map_or(AttributeValue::Null(true), s),
            )
            .expression_attribute_values(":cv", n(user.credentials_version))
            .expression_attribute_values(":false", AttributeValue::Bool(false));
        if upgrade {
            login = login.expression_attribute_values(":ph", s(&user.password_hash));
        }
        let login = login.build().map_err(|e| StoreError::Other(e.into()))?;
        let put_new = Put::builder()
            .table_name(&self.table)
            .set_item(Some(new_item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let clear_lockout = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(&user.email), "LOCKOUT")))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let mut items =
            vec![TransactWriteItem::builder().put(put_new).build(), TransactWriteItem::builder().update(login).build()];
        if failed == FailedLogins::Clear {
            items.push(TransactWriteItem::builder().delete(clear_lockout).build());
        }
        self.transact_with_events(items, events).await?;
        Ok(user.clone())
    }
}
