//! The AWS permissions each adapter needs, declared beside the adapter that needs them: the
//! DynamoDB store per port method ([`crate::store::dynamo::permissions`]), the SNS and SES
//! senders, the Secrets Manager key source and the key rotation. `tests/api/iam.rs` records
//! which port methods, sends and keys each function really uses, turns them into permissions
//! with these declarations, and checks every function's policy in `template.yaml` against
//! them both ways: nothing missing, nothing granted that is never used. On DynamoDB Local the
//! same test proves the declarations against the requests the SDK really sends.

use crate::keys::Purpose;

/// A resource of the stack, as `template.yaml` names it in a policy statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// The one DynamoDB table (`!GetAtt Table.Arn`).
    Table,
    /// The table's warm-up item alone: the table, on the condition that the partition key is
    /// `WARMUP` (`dynamodb:LeadingKeys`), which holds nothing.
    WarmUpItem,
    /// The key secret of a purpose (`!Ref SessionKeys`, ...).
    Secret(Purpose),
    /// Every SNS target (`"*"`): an SMS to a phone number has no ARN to name.
    AnyPhoneNumber,
    /// The account's SNS platform applications (`...:app/*`).
    PlatformApplications,
    /// The account's SNS platform endpoints, one per enrolled device (`...:endpoint/*`).
    PlatformEndpoints,
    /// The account's SES identities (`...:identity/*`): which one sends is configuration.
    EmailIdentity,
    /// The objects of the operator's transfer bucket (`arn:…:s3:::${TransferBucket}/*`), named
    /// by a template parameter: the import's source and the export's target.
    TransferObjects,
}

/// One IAM permission: an action on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission {
    pub action: &'static str,
    pub resource: Resource,
}

impl Permission {
    pub const fn new(action: &'static str, resource: Resource) -> Self {
        Permission { action, resource }
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {:?}", self.action, self.resource)
    }
}

/// `DynamoStore::warm_up`, at every cold start of a function on DynamoDB: one read of the
/// empty warm-up item opens the connection (DNS, TCP, TLS) before the first request. Granted
/// to every function by one managed policy, so the read is never denied (a denied call would
/// still warm the connection, but would put an AccessDenied in CloudTrail at every cold start).
pub const STORE_WARM_UP: Permission = Permission::new("dynamodb:GetItem", Resource::WarmUpItem);

/// `SnsSms::send`: one `Publish` to a phone number.
pub const SMS_SEND: &[Permission] = &[Permission::new("sns:Publish", Resource::AnyPhoneNumber)];

/// `SnsPush::register`: a platform endpoint for the device token.
pub const PUSH_REGISTER: &[Permission] =
    &[Permission::new("sns:CreatePlatformEndpoint", Resource::PlatformApplications)];

/// `SnsPush::unregister`: the device's endpoint goes.
pub const PUSH_UNREGISTER: &[Permission] = &[Permission::new("sns:DeleteEndpoint", Resource::PlatformEndpoints)];

/// `SnsPush::send`: one `Publish` to the device's endpoint.
pub const PUSH_SEND: &[Permission] = &[Permission::new("sns:Publish", Resource::PlatformEndpoints)];

/// `SesEmail::send`: one SES v2 `SendEmail` (its IAM action is `ses:SendEmail`).
pub const EMAIL_SEND: &[Permission] = &[Permission::new("ses:SendEmail", Resource::EmailIdentity)];

/// `SecretsManagerKeys::load`: the current version of the purpose's secret.
pub const fn key_load(purpose: Purpose) -> Permission {
    Permission::new("secretsmanager:GetSecretValue", Resource::Secret(purpose))
}

/// The rotation function's four steps on the secret it rotates (`crate::rotation::Rotator`):
/// `DescribeSecret` (stages), `GetSecretValue` (current and pending), `PutSecretValue` (the
/// pending generation), `UpdateSecretVersionStage` (finish). Publishing the idToken public
/// keys is one more `PutSecretValue`, on the public key secret: [`ROTATION_PUBLISH`].
pub const ROTATION_STEPS: &[&str] = &[
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
];

/// What rotating the idToken key secret also does: writes the public keys.
pub const ROTATION_PUBLISH: Permission =
    Permission::new("secretsmanager:PutSecretValue", Resource::Secret(Purpose::IdTokenPublic));

/// The `admin` function's import from S3: the file read as a stream (`GetObject`).
pub const TRANSFER_READ: &[Permission] = &[Permission::new("s3:GetObject", Resource::TransferObjects)];

/// The `admin` function's export to S3: a multipart upload (`CreateMultipartUpload`,
/// `UploadPart` and `CompleteMultipartUpload` are all authorised as `s3:PutObject`).
pub const TRANSFER_WRITE: &[Permission] = &[Permission::new("s3:PutObject", Resource::TransferObjects)];
