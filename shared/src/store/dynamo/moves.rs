//! Accounts moving between addresses, and known devices, in DynamoDB.
//!
//! | item            | PK                 | SK                    |
//! |-----------------|--------------------|-----------------------|
//! | moved away      | `ACCOUNT#<email>`  | `MOVED`               |
//! | known device    | `USER#<userId>`    | `DEVICE#<key>`        |

use aws_sdk_dynamodb::types::ConditionCheck;

use super::*;
use crate::model::{KnownDevice, MovedAddress};
use crate::store::AccountMove;

fn built<T, E: std::error::Error + Send + Sync + 'static>(r: Result<T, E>) -> StoreResult<T> {
    r.map_err(|e| StoreError::Other(e.into()))
}

fn device_key(user_id: &str, device: &str) -> Item {
    key(format!("USER#{user_id}"), &format!("DEVICE#{device}"))
}

impl DynamoStore {
    fn delete(
        &self,
        key: Item,
        condition: Option<&str>,
        values: Vec<(&str, AttributeValue)>,
    ) -> StoreResult<TransactWriteItem> {
        let mut d = Delete::builder().table_name(&self.table).set_key(Some(key));
        if let Some(c) = condition {
            d = d.condition_expression(c);
        }
        for (k, v) in values {
            d = d.expression_attribute_values(k, v);
        }
        Ok(TransactWriteItem::builder().delete(built(d.build())?).build())
    }

    /// The parts of a move both directions share: the profile leaves `before.email` (at the
    /// version read) and lands at `after.email` (where no account may be), both counters go,
    /// the passkey names and the caller's login follow. Returns the items and the stored account.
    fn relocation(&self, mv: AccountMove<'_>) -> StoreResult<(Vec<TransactWriteItem>, User)> {
        let (from, to) = (mv.before.email.as_str(), mv.after.email.as_str());
        let mut saved = mv.after.clone();
        saved.version = mv.before.version + 1;
        let mut items = vec![self.delete(
            key(account_pk(from), "PROFILE"),
            Some("version = :v AND userId = :uid"),
            vec![(":v", n(mv.before.version)), (":uid", s(&mv.before.user_id))],
        )?];
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(&saved, account_pk(to), "PROFILE", None)?))
            .condition_expression("attribute_not_exists(PK)");
        items.push(TransactWriteItem::builder().put(built(put.build())?).build());
        items.push(self.delete(key(account_pk(from), "LOCKOUT"), None, vec![])?);
        items.push(self.delete(key(account_pk(to), "LOCKOUT"), None, vec![])?);
        for name in mv.passkey_names {
            let mut owner = key(format!("PASSKEY#{name}"), "OWNER");
            owner.insert("email".to_owned(), s(to));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(owner))
                .condition_expression("attribute_not_exists(PK) OR email = :from")
                .expression_attribute_values(":from", s(from));
            items.push(TransactWriteItem::builder().put(built(put.build())?).build());
        }
        let follows = [mv.caller_session.map(|id| (id, "SESSION#")), mv.caller_family.map(|id| (id, "REFRESH#"))];
        for (id, prefix) in follows.into_iter().flatten() {
            let user_id = Session::user_id_of(id).ok_or(StoreError::Conflict)?;
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(format!("USER#{user_id}"), &format!("{prefix}{id}"))))
                .update_expression("SET email = :to")
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_values(":to", s(to));
            items.push(TransactWriteItem::builder().update(built(update.build())?).build());
        }
        Ok((items, saved))
    }
}

#[async_trait]
impl MoveStore for DynamoStore {
    async fn move_account(&self, mv: AccountMove<'_>, moved: &MovedAddress, events: Events<'_>) -> StoreResult<User> {
        let (mut items, saved) = self.relocation(mv)?;
        // Another account's live reservation of the new address stands; this account's own,
        // or an expired one (TTL deletes late), goes.
        items.push(self.delete(
            key(account_pk(&mv.after.email), "MOVED"),
            Some("attribute_not_exists(PK) OR userId = :uid OR expiresAt <= :now"),
            vec![(":uid", s(&mv.before.user_id)), (":now", n(moved.moved_at))],
        )?);
        let put = Put::builder().table_name(&self.table).set_item(Some(encode(
            moved,
            account_pk(&moved.from),
            "MOVED",
            Some(moved.expires_at),
        )?));
        items.push(TransactWriteItem::builder().put(built(put.build())?).build());
        self.transact_with_events(items, events).await?;
        Ok(saved)
    }

    async fn revert_account(&self, mv: AccountMove<'_>, nonce_hash: &str, events: Events<'_>) -> StoreResult<User> {
        let (mut items, saved) = self.relocation(mv)?;
        items.push(self.delete(
            key(account_pk(&mv.after.email), "MOVED"),
            Some("nonceHash = :h"),
            vec![(":h", s(nonce_hash))],
        )?);
        self.transact_with_events(items, events).await?;
        Ok(saved)
    }

    async fn get_moved(&self, email: &str) -> StoreResult<Option<MovedAddress>> {
        self.get(key(account_pk(email), "MOVED")).await
    }
}

#[async_trait]
impl DeviceStore for DynamoStore {
    async fn see_device(&self, device: &KnownDevice, now: Epoch) -> StoreResult<bool> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(device_key(&device.user_id, &device.key)))
            .update_expression(
                "SET #u = :u, #k = :k, #b = :b, #sys = :sys, #net = :net, #id = :id, \
                 #first = if_not_exists(#first, :first), #last = :last, #exp = :exp",
            )
            .expression_attribute_names("#u", "userId")
            .expression_attribute_names("#k", "key")
            .expression_attribute_names("#b", "browser")
            .expression_attribute_names("#sys", "system")
            .expression_attribute_names("#net", "network")
            .expression_attribute_names("#id", "identified")
            .expression_attribute_names("#first", "firstSeenAt")
            .expression_attribute_names("#last", "lastSeenAt")
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_values(":u", s(&device.user_id))
            .expression_attribute_values(":k", s(&device.key))
            .expression_attribute_values(":b", s(&device.browser))
            .expression_attribute_values(":sys", s(&device.system))
            .expression_attribute_values(":net", s(&device.network))
            .expression_attribute_values(":id", AttributeValue::Bool(device.identified))
            .expression_attribute_values(":first", n(device.first_seen_at))
            .expression_attribute_values(":last", n(device.last_seen_at))
            .expression_attribute_values(":exp", n(device.expires_at))
            .return_values(ReturnValue::UpdatedOld)
            .send()
            .await
            .map_err(classify)?;
        let earlier = out
            .attributes
            .as_ref()
            .and_then(|a| a.get(TTL_ATTRIBUTE))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<Epoch>().ok());
        Ok(earlier.is_some_and(|at| now < at))
    }

    async fn list_devices(&self, user_id: &str) -> StoreResult<Vec<KnownDevice>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(format!("USER#{user_id}")))
            .expression_attribute_values(":prefix", s("DEVICE#"))
            .consistent_read(true);
        self.query_all(query).await?.into_iter().map(decode).collect()
    }

    async fn forget_devices(&self, user_id: &str) -> StoreResult<usize> {
        let devices = self.list_devices(user_id).await?;
        for d in &devices {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(device_key(user_id, &d.key)))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(devices.len())
    }
}

impl DynamoStore {
    /// Registration's one write: the profile at a free address, unless an account that moved
    /// away from it still holds it for its revert.
    pub(super) async fn create_unreserved(&self, user: &User) -> StoreResult<()> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(user, account_pk(&user.email), "PROFILE", None)?))
            .condition_expression("attribute_not_exists(PK)");
        let reserved = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(&user.email), "MOVED")))
            .condition_expression("attribute_not_exists(PK)");
        let items = vec![
            TransactWriteItem::builder().put(built(put.build())?).build(),
            TransactWriteItem::builder().condition_check(built(reserved.build())?).build(),
        ];
        self.transact_with_events(items, &[]).await
    }
}
