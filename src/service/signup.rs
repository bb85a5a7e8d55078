//! An organization signs up: its account and contact details in one
//! transaction, and a token shown once.

use chrono::Utc;
use serde_json::Value;
use uuid::Uuid;

use super::{Service, ServiceError};
use crate::domain::organization;
use crate::domain::user::{new_token, token_hash};
use crate::domain::{Role, User};

impl Service {
    /// Checks a sign-up, stores the account (only the token's hash) and
    /// returns the user with the token.
    pub async fn sign_up(&self, body: &Value) -> Result<(User, String), ServiceError> {
        let details = organization::sign_up(body)?;
        let token = new_token().map_err(|e| ServiceError::NoRandomness(e.to_string()))?;
        let user = User {
            schools: Vec::new(),
            districts: Vec::new(),
            id: Uuid::new_v4(),
            name: details.name.clone(),
            role: Role::Organization,
            created_at: Utc::now(),
            expires_at: None,
        };
        self.store
            .create_organization(&user, &token_hash(&token), &details)
            .await?;
        Ok((user, token))
    }
}
