//! The HTTP edge: axum handlers per surface over the use cases of [`crate::app`], typed
//! extractors, one error mapping per surface, the layers every answer passes through, and the
//! route table both the local server and the Lambda functions serve.

pub mod admin;
pub mod admin_export;
pub mod admin_import;
pub mod admin_transfer;
pub mod authorizer;
pub mod error;
pub mod extract;
pub mod fields;
pub mod lambda;
pub mod layers;
#[cfg(feature = "local-server")]
pub mod local;
pub mod oidc;
pub mod routed;
pub mod routes;
pub mod surface1;
pub mod surface2;

use axum::response::{IntoResponse, Response};

pub use error::ApiError;
pub use extract::AppState;

/// What a handler answers.
pub type Answer = Result<Response, ApiError>;

/// 200 with a JSON body.
pub fn ok<T: serde::Serialize>(body: &T) -> Response {
    axum::Json(body).into_response()
}

/// `status` with a JSON body.
pub fn json<T: serde::Serialize>(status: axum::http::StatusCode, body: &T) -> Response {
    (status, axum::Json(body)).into_response()
}

/// 204 without a body.
pub fn no_content() -> Response {
    axum::http::StatusCode::NO_CONTENT.into_response()
}

/// What every handler module uses.
pub mod prelude {
    pub use axum::extract::State;
    pub use axum::http::StatusCode;

    pub use crate::api::error::{ApiError, FieldErrorKind};
    pub use crate::api::extract::{
        Access, AccessOrIdCaller, AccessOrPasswordUpdate, AnyCaller, AppState, Auth, AuthOrAccess, Body, Caller,
        ChallengeIdParam, CredentialIdParam, IdCaller, MaybeXOtp, OptionalBody, OtpChannel, PathId, PollToken,
        PushChannel, StepUpChannel, XOtp, XOtpProof,
    };
    pub use crate::api::fields::Fields;
    pub use crate::api::{Answer, json, no_content, ok};
    pub use crate::app::{App, Ctx};
    pub use crate::domain::error::{DomainError, Rule};
}
