//! Transfers between accounts and installer hand-overs (`/transfers`, docs/api.md).

use rekey_web::Secret;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ApiError, Client};

/// A device a transfer lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferDevice {
    /// Its serial number.
    pub serial: String,
    /// Its name in the sender's list.
    #[serde(default)]
    pub name: Option<String>,
    /// Once answered: `accepted`, `declined` or `gone`.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// A transfer of devices between two accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Its id.
    pub id: String,
    /// `incoming` (offered to this account) or `outgoing` (offered by it).
    pub direction: String,
    /// The sender's username.
    pub from: String,
    /// The recipient's e-mail address.
    pub to: String,
    /// `open`, `accepted`, `declined`, `cancelled` or `expired`.
    pub state: String,
    /// When it was offered (RFC 3339).
    pub created_at: String,
    /// Until when it can be accepted (RFC 3339).
    pub expires_at: String,
    /// The devices it lists.
    pub devices: Vec<TransferDevice>,
}

#[derive(Debug, Deserialize)]
struct Transfers {
    transfers: Vec<Transfer>,
}

/// What an acceptance did, by serial number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// Now in this account.
    pub moved: Vec<String>,
    /// Left with the sender.
    pub declined: Vec<String>,
    /// No longer the sender's since the offer: nothing moved.
    pub gone: Vec<String>,
}

impl Client {
    /// `GET /transfers`: the open transfers this account sent or may accept.
    pub async fn transfers(&self) -> Result<Vec<Transfer>, ApiError> {
        let t: Transfers = self.call(Method::GET, "/transfers", None, true).await?;
        Ok(t.transfers)
    }

    /// `GET /transfers/{id}`.
    pub async fn transfer(&self, id: &str) -> Result<Transfer, ApiError> {
        let path = format!("/transfers/{}", path_segment(id));
        self.call(Method::GET, &path, None, true).await
    }

    /// `POST /transfers`: offers devices (serial numbers) to an address.
    pub async fn offer_transfer(
        &self,
        to: &str,
        serials: &[String],
        password: &Secret<String>,
    ) -> Result<Transfer, ApiError> {
        let body = json!({ "to": to, "serials": serials, "password": password.expose() });
        self.call(Method::POST, "/transfers", Some(body), true)
            .await
    }

    /// `POST /transfers/{id}/accept`: the devices given, or all of them.
    pub async fn accept_transfer(
        &self,
        id: &str,
        serials: Option<&[String]>,
    ) -> Result<Accepted, ApiError> {
        let body = match serials {
            Some(s) => json!({ "serials": s }),
            None => json!({}),
        };
        let path = format!("/transfers/{}/accept", path_segment(id));
        self.call(Method::POST, &path, Some(body), true).await
    }

    /// `POST /transfers/{id}/decline`.
    pub async fn decline_transfer(&self, id: &str) -> Result<(), ApiError> {
        let path = format!("/transfers/{}/decline", path_segment(id));
        self.call_empty(Method::POST, &path, None, true).await
    }

    /// `POST /transfers/{id}/cancel`.
    pub async fn cancel_transfer(&self, id: &str) -> Result<(), ApiError> {
        let path = format!("/transfers/{}/cancel", path_segment(id));
        self.call_empty(Method::POST, &path, None, true).await
    }
}

/// A transfer id as one path segment: ids are hexadecimal; anything else is sent as a harmless
/// placeholder the cloud does not know.
fn path_segment(id: &str) -> String {
    let id = id.trim();
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()) {
        id.to_ascii_lowercase()
    } else {
        "invalid".to_string()
    }
}
