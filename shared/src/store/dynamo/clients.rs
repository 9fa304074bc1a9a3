//! The OpenID Connect clients in DynamoDB: one partition holds them all (a handful of items).

use super::*;
use crate::model::oidc::OidcClient;

const PARTITION: &str = "OIDC#CLIENTS";

fn sort_key(client_id: &str) -> String {
    format!("CLIENT#{client_id}")
}

#[async_trait]
impl ClientStore for DynamoStore {
    async fn put_client(&self, client: &OidcClient) -> StoreResult<()> {
        let item = encode(client, PARTITION.to_owned(), &sort_key(&client.client_id), None)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn get_client(&self, client_id: &str) -> StoreResult<Option<OidcClient>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(PARTITION.to_owned(), &sort_key(client_id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        out.item.map(decode).transpose()
    }

    async fn list_clients(&self) -> StoreResult<Vec<OidcClient>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :sk)")
            .expression_attribute_values(":pk", s(PARTITION))
            .expression_attribute_values(":sk", s("CLIENT#"))
            .consistent_read(true);
        self.query_all(query).await?.into_iter().map(decode).collect()
    }

    async fn remove_client(&self, client_id: &str) -> StoreResult<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(PARTITION.to_owned(), &sort_key(client_id))))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
